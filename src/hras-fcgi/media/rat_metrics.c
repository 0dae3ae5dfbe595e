/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file rat_metrics.c  The media relay's metrics (Prometheus text,
 * hras-fcgi(8) METRICS): packets, bytes, drops by reason, ports
 *
 * From the counters relay.c keeps as it relays (plain increments on the
 * loop thread), rendered once a second by the loop thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "prom.h"
#include "quota.h"
#include "hracs.h"
#include "session.h"
#include "iface.h"
#include "sdp_rw.h"
#include "portpool.h"
#include "rat.h"
#include "rat_priv.h"

/* Loop thread: the relay's families, appended to @mb */
int rat_metrics(struct mbuf *mb, const struct rat *r)
{
	const struct rat_stats *st = &r->st;
	const char *dr = "sofw_hras_relay_dropped_packets_total";
	const char *rf = "sofw_hras_relay_refused_total";
	int err;

	err = prom_one(mb, "sofw_hras_relay_calls", PROM_GAUGE,
	               "calls whose media HRAS relays now", st->calls);
	err |= prom_one(mb, "sofw_hras_relay_calls_total", PROM_COUNTER,
	                "calls whose media HRAS relayed", st->calls_total);
	err |= prom_one(mb, "sofw_hras_relay_streams", PROM_GAUGE,
	                "media streams relayed now", st->streams);
	err |= prom_one(mb, "sofw_hras_relay_packets_total", PROM_COUNTER,
	                "RTP and RTCP packets relayed", st->pkts);
	err |= prom_one(mb, "sofw_hras_relay_bytes_total", PROM_COUNTER,
	                "bytes of RTP and RTCP relayed", st->bytes);
	err |=
	    prom_one(mb, "sofw_hras_relay_routed_packets_total", PROM_COUNTER,
	             "of the packets relayed, those from HRACs that the "
	             "worker thread reading them sent on itself (a settled "
	             "call's route), not the loop thread",
	             st->routed);
	err |= prom_one(mb, "sofw_hras_relay_port_reads_total", PROM_COUNTER,
	                "reads of outside relay ports that brought packets, "
	                "each all that was waiting",
	                st->rx_reads);
	err |= prom_by(mb, "sofw_hras_relay_reads_total", PROM_COUNTER,
	               "passes over the outside relay ports: woken by a "
	               "packet, or at the end of a relay window that held them",
	               "by",
	               (struct prom_kv[]){ { "wakeup", st->reads_woken },
	                                   { "window", st->reads_window } },
	               2);
	err |= prom_by(mb, dr, PROM_COUNTER,
	               "media packets dropped, by reason: from a stranger, for "
	               "a leg with no peer yet, not taken by the tunnel, for a "
	               "port of no call",
	               "reason",
	               (struct prom_kv[]){ { "stranger", st->drops_stranger },
	                                   { "no_peer", st->drops_nopeer },
	                                   { "tunnel", st->drops_tunnel },
	                                   { "no_call", st->drops_nocall } },
	               4);
	err |= prom_by(mb, rf, PROM_COUNTER,
	               "calls whose media was refused: an SDP not understood, "
	               "or a party over its quota",
	               "reason",
	               (struct prom_kv[]){ { "sdp", st->refused_sdp },
	                                   { "quota", st->refused_quota } },
	               2);
	err |=
	    prom_one(mb, "sofw_hras_relay_ports_in_use", PROM_GAUGE,
	             "relay ports open (RTP and RTCP each count)", st->ports);
	err |= prom_one(mb, "sofw_hras_relay_ports", PROM_GAUGE,
	                "relay ports there are (--rtp-ports, as the open-files "
	                "limit allows)",
	                2 * (uint64_t)portpool_pairs(r->pool));
	return err;
}
