/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file session_fix.h  What the tests of hras-fcgi's sessions share: a
 * channel's limits, and an RTP frame sent down
 */

static inline void session_fix_limits(struct chan_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->rel_max_bytes = 1 << 16;
	lim->rel_max_frames = 64;
	lim->media_max_bytes = 1 << 16;
	lim->media_max_age = 60000;
	lim->rto = 1000000;
	lim->max_payload = FRAME_MAX_PAYLOAD;
}

static inline int session_fix_rtp(struct session *s)
{
	static const uint8_t pl[172];
	struct frame f;

	memset(&f, 0, sizeof(f));
	f.type = FRAME_RTP;
	sa_set_str(&f.addr, "10.0.0.1", 4000);
	f.relay_port = 30000;
	f.payload = pl;
	f.len = sizeof(pl);
	return session_send(s, &f, mono_us());
}
