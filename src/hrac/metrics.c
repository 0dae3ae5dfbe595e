/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file metrics.c  hrac's metrics, for node_exporter's textfile collector
 * (--metrics-file; hrac(8), METRICS)
 *
 * The counters the tunnel, the phones' SIP and their media keep anyway,
 * as Prometheus text; every name starts sofw_hrac_, counters end _total.
 * No proxy, no URL, no secret: the identity is the only label of ours.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "mono.h"
#include "prom.h"
#include "secret.h"
#include "tunnel.h"
#include "hrac.h"
#include "sip_lan.h"
#include "media_lan.h"
#include "status.h"

#ifndef SOFW_VERSION
#define SOFW_VERSION "0.1"
#endif

static int tunnel(struct mbuf *mb, const struct status *st)
{
	const struct tunnel_stats *ts = tunnel_stats(st->t);
	const struct chan_stats *cs = tunnel_chan_stats(st->t);
	const char *fr = "sofw_hrac_tunnel_frames_total";
	const char *by = "sofw_hrac_tunnel_bytes_total";
	const char *qb = "sofw_hrac_tunnel_queue_bytes";
	const char *dr = "sofw_hrac_tunnel_dropped_frames_total";
	const char *wr = "sofw_hrac_tunnel_writes_total";
	uint64_t sig, media;
	int err;

	tunnel_queued(st->t, &sig, &media);
	err = prom_one(mb, "sofw_hrac_tunnel_up", PROM_GAUGE,
	               "1 while the tunnel to HRAS is open",
	               status_tunnel_up(st));
	err |= prom_one(mb, "sofw_hrac_tunnel_opens_total", PROM_COUNTER,
	                "tunnel sessions opened", ts->opens);
	err |=
	    prom_one(mb, "sofw_hrac_tunnel_last_open_time_seconds", PROM_GAUGE,
	             "when the tunnel last opened, seconds since the "
	             "epoch; 0: never",
	             (uint64_t)st->last_open);
	err |= prom_by(mb, fr, PROM_COUNTER,
	               "frames through the tunnel: up, sent to HRAS (resent "
	               "included); down, delivered from it",
	               "direction",
	               (struct prom_kv[]){
	                   { "up", cs->tx_rel + cs->tx_retrans + cs->tx_media },
	                   { "down", cs->rx_rel + cs->rx_media } },
	               2);
	err |=
	    prom_by(mb, by, PROM_COUNTER,
	            "bytes of the tunnel's HTTP bodies, each way", "direction",
	            (struct prom_kv[]){ { "up", ts->bytes_up },
	                                { "down", ts->bytes_down } },
	            2);
	err |= prom_by(mb, wr, PROM_COUNTER,
	               "pieces of the tunnel's HTTP bodies: up, writes (an "
	               "HTTP chunk or a batch POST each); down, reads as "
	               "they came; frames per write is frames_total over "
	               "this",
	               "direction",
	               (struct prom_kv[]){ { "up", ts->up_writes },
	                                   { "down", ts->down_reads } },
	               2);
	err |= prom_by(
	    mb, qb, PROM_GAUGE,
	    "bytes queued toward HRAS: signalling awaiting its ack, "
	    "media awaiting sending",
	    "queue",
	    (struct prom_kv[]){ { "signalling", sig }, { "media", media } }, 2);
	err |= prom_by(
	    mb, dr, PROM_COUNTER, "tunnel frames dropped, by reason", "reason",
	    (struct prom_kv[]){ { "duplicate", cs->rx_dup },
	                        { "out_of_order", cs->rx_gap },
	                        { "media_stale", cs->drop_stale },
	                        { "media_queue_full", cs->drop_overflow },
	                        { "signalling_queue_full",
	                          cs->rel_refused + ts->send_refused } },
	    5);
	return err;
}

static int phones(struct mbuf *mb, const struct status *st)
{
	const char *sd = "sofw_hrac_sip_dropped_total";
	const char *mp = "sofw_hrac_media_packets_total";
	const char *md = "sofw_hrac_media_dropped_packets_total";
	const struct media_lan_stats *ms;
	struct sip_lan_counts c;
	const struct sa *ip;
	uint16_t lo, hi;
	int err;

	sip_lan_counts(st->lan, &c);
	ms = media_lan_stats(st->media, &ip, &lo, &hi);
	err = prom_one(mb, "sofw_hrac_phones", PROM_GAUGE,
	               "phones seen sending SIP within --seen-ttl", c.phones);
	err |=
	    prom_by(mb, sd, PROM_COUNTER,
	            "SIP from the LAN dropped: from outside --allow, or over "
	            "the table of phones",
	            "reason",
	            (struct prom_kv[]){ { "stranger", c.dropped_strangers },
	                                { "table_full", c.dropped_full } },
	            2);
	err |= prom_one(mb, "sofw_hrac_sip_refused_total", PROM_COUNTER,
	                "phones' requests answered 503 by hrac (HRAS did not "
	                "get them)",
	                c.refused);
	err |= prom_one(mb, "sofw_hrac_media_pairs_open", PROM_GAUGE,
	                "media port pairs open for calls", ms->ports);
	err |= prom_by(mb, mp, PROM_COUNTER,
	               "RTP and RTCP packets: up, from phones into the tunnel; "
	               "down, from the tunnel to phones",
	               "direction",
	               (struct prom_kv[]){ { "up", ms->up_pkts },
	                                   { "down", ms->down_pkts } },
	               2);
	err |=
	    prom_by(mb, md, PROM_COUNTER,
	            "media packets dropped: not from the call's phone, or "
	            "for a port no call has",
	            "reason",
	            (struct prom_kv[]){ { "stranger", ms->drops_stranger },
	                                { "closed_port", ms->drops_closed } },
	            2);
	err |= prom_by(mb, "sofw_hrac_media_reads_total", PROM_COUNTER,
	               "passes over the media ports: woken by a phone's "
	               "packet, or at the end of an up window that held them",
	               "by",
	               (struct prom_kv[]){ { "wakeup", ms->reads_woken },
	                                   { "window", ms->reads_window } },
	               2);
	return err;
}

int metrics_print(struct mbuf *mb, const struct status *st)
{
	int err;

	err = prom_process(mb, "hrac", SOFW_VERSION, "hrac", st->tc->id,
	                   (mono_ms() - st->started) / 1000);
	err |= tunnel(mb, st);
	err |= phones(mb, st);
	return err;
}
