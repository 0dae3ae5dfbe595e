/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file metrics.c  What hras-fcgi serves at GET {base}/metrics
 *
 * The process's families (build, start, uptime: prom.h) and each room's: the
 * tunnel (tun_metrics.c), the SIP service (sip_metrics.c), the media
 * relay (rat_metrics.c).  Every name starts sofw_hras_; counters end
 * _total.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "mono.h"
#include "prom.h"
#include "quota.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "tunsrv.h"
#include "iface.h"
#include "rat.h"
#include "sipsrv.h"
#include "store.h"
#include "hras.h"
#include "metrics.h"

#ifndef SOFW_VERSION
#define SOFW_VERSION "0.1"
#endif

int metrics_render(struct mbuf *mb, struct hras *h)
{
	int err;

	err = prom_process(mb, "hras", SOFW_VERSION, NULL, NULL,
	                   (mono_us() - h->started) / 1000000);
	err |= tunsrv_metrics(mb, &h->tun);
	if (h->sip)
		err |= sipsrv_metrics(mb, h->sip);
	if (h->relay)
		err |= rat_metrics(mb, h->relay);
	err |= store_metrics(mb, h->store);
	return err;
}
