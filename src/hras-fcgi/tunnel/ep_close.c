/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file ep_close.c  POST close: an HRAC ends its session now
 *
 * Everything bound to the session is freed at once instead of after the
 * idle timeout.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <fcgiapp.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "tunsrv.h"
#include "hreq.h"
#include "endpoints.h"

void ep_close(struct hreq *q)
{
	static const char ok[] = "closed\n";
	struct session *s;
	uint32_t epoch;

	s = ep_session(q, &epoch);
	if (!s)
		return;
	sessions_drop(q->t->sessions, s, "closed by the HRAC");
	session_deref(s);
	if (hreq_start(q, 200, "text/plain", sizeof(ok) - 1, NULL) == 0)
		hreq_write(q, ok, sizeof(ok) - 1, true);
}
