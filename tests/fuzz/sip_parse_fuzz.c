/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sip_parse_fuzz.c  libFuzzer target: HRAS's own parsers of SIP
 *
 * The input is one SIP message as libre decodes it, then everything of
 * ours that reads a message without the network: validation helpers
 * (sipfwd_body, sipfwd_maxfwd), the forwarding writers (Vias, headers,
 * responses), Record-Route tokens (route_preprocess), digest credentials
 * (digest_check against a users file) and the SDP rewriter (read, then
 * write).  No loop, no sockets: fast enough for 10^7 runs, where the
 * whole-service target (sip_fuzz) is not.
 *
 * Properties: no crash, no sanitizer report, no leak; a rewritten SDP
 * reads back with the same number of m= lines.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "quota.h"
#include "hracs.h"
#include "session.h"
#include "iface.h"
#include "sdp_rw.h"
#include "rat.h"
#include "sipsrv.h"
#include "sipfwd.h"
#include "route.h"
#include "digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sipsrv srv;
static struct sipsrv_conf cfg = { .dialog_max = 86400 };
static struct digest *dg;

static void setup(void)
{
	static const char users[] =
	    "alice:example.test:3fd2f7cbc1d6ee9e7a4d6b5de4f7d6a5\n"
	    "alice:example.test:"
	    "5a8fb2f3a0e1c2d3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f"
	    "\n";
	char path[64], err[256];
	FILE *f;

	if (libre_init())
		abort();
	log_init("sip_parse_fuzz", true, -3);
	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	for (size_t i = 0; i < sizeof(srv.rr_key); i++)
		srv.rr_key[i] = (uint8_t)i;
	sa_set_str(&srv.laddr[0], "127.0.0.1", 5060);
	srv.nladdr = 1;
	if (hash_alloc(&srv.lan_addrs, 16))
		abort();

	snprintf(path, sizeof(path), "/tmp/sofw-parse-fuzz-%d", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(users, f);
	fclose(f);
	chmod(path, 0600);
	if (digest_alloc(&dg, path, "example.test", 300, "md5,sha-256", err,
	                 sizeof(err))) {
		fprintf(stderr, "sip_parse_fuzz: %s\n", err);
		abort();
	}
	unlink(path);
}

static void sdp(const struct sip_msg *msg, const struct pl *body)
{
	struct sdp_rw_media mv[SDP_RW_MEDIA_MAX], back[SDP_RW_MEDIA_MAX];
	const struct sip_hdr *ct = sip_msg_hdr(msg, SIP_HDR_CONTENT_TYPE);
	struct sdp_rw_to to;
	struct mbuf *mb;
	struct pl out;
	size_t n, m;

	if (!ct || !sdp_rw_is_sdp(&ct->val) || sdp_rw_read(body, mv, &n))
		return;
	memset(&to, 0, sizeof(to));
	sa_set_str(&to.addr, "192.0.2.1", 0);
	to.n = n;
	to.fix_origin = true;
	for (size_t i = 0; i < n; i++)
		to.ports[i] = (uint16_t)(20000 + 2 * i);
	mb = mbuf_alloc(body->l + 256);
	if (mb && !sdp_rw_write(mb, body, &to)) {
		out.p = (const char *)mb->buf;
		out.l = mb->end;
		/* what we write must read back as the same streams */
		if (sdp_rw_read(&out, back, &m) || m != n)
			abort();
	}
	mem_deref(mb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	char user[DIGEST_USER_MAX];
	struct route_pre rp;
	struct sip_msg *msg = NULL;
	struct mbuf *mb, *out;
	struct pl body;

	if (!ready) {
		setup();
		ready = true;
	}
	mb = mbuf_alloc(size ? size : 1);
	if (!mb)
		return 0;
	mbuf_write_mem(mb, data, size);
	mb->pos = 0;
	if (sip_msg_decode(&msg, mb)) {
		mem_deref(mb);
		return 0;
	}
	msg->tp = SIP_TRANSP_UDP;
	sa_set_str(&msg->src, "198.51.100.7", 5060);

	out = mbuf_alloc(1024);
	(void)sipfwd_maxfwd(msg);
	if (!sipfwd_body(msg, &body)) {
		if (out && msg->req) {
			(void)sipfwd_vias(out, msg, &msg->src);
			(void)sipfwd_headers(out, msg, 1, 69, "example.test",
			                     &body);
		} else if (out) {
			(void)sipfwd_response(out, msg, NULL, true, &body, NULL,
			                      NULL);
		}
		sdp(msg, &body);
	}
	if (msg->req) {
		(void)route_preprocess(&srv, msg, &rp);
		(void)digest_check(dg, msg, true, user, sizeof(user));
		(void)digest_check(dg, msg, false, user, sizeof(user));
	}
	mem_deref(out);
	mem_deref(msg);
	mem_deref(mb);
	return 0;
}
