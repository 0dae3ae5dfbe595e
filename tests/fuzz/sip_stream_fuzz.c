/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sip_stream_fuzz.c  libFuzzer target: hrac's TCP message splitter
 *
 * Properties: never reads past the buffer (ASan); a message or keepalive
 * it finds lies within the input and the limit; cutting the input into
 * messages one after another ends in "need more" or "bad stream", never
 * a zero-length step (which would spin forever).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sip_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max = size > 2 ? 64 + data[0] * 256u : SIP_STREAM_MAX;
	size_t at = 0;

	for (;;) {
		enum sip_stream_kind kind;
		size_t n = 0;
		int e = sip_stream_next(data + at, size - at, max, &kind, &n);

		if (e == EAGAIN || e == EBADMSG)
			break;
		if (e || n == 0 || n > size - at ||
		    (kind == SIP_STREAM_MSG && n > max))
			abort();
		at += n;
	}
	return 0;
}
