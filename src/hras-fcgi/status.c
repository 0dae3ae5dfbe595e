/**
 * @file status.c  What hras-fcgi reports at GET {base}/status, as JSON
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
#include "mono.h"
#include "hracs.h"
#include "session.h"
#include "inbox.h"
#include "report.h"
#include "tunsrv.h"
#include "iface.h"
#include "rat.h"
#include "sipsrv.h"
#include "hras.h"
#include "status.h"

static int print_report(struct re_printf *pf, struct hras *h)
{
	int err;

	err = re_hprintf(pf, "{\"uptime_s\":%llu,\"sessions\":%H",
	                 (unsigned long long)(mono_us() / 1000000),
	                 sessions_status, h->tun.sessions);
	if (h->sip)
		err |= re_hprintf(pf, ",\"registrations\":%u",
		                  sipsrv_registrations(h->sip));
	if (h->relay)
		err |= re_hprintf(pf, ",%H", rat_status, h->relay);
	return err | re_hprintf(pf, "}\n");
}

/* Render the report and publish it; a failure keeps the last one */
void status_refresh(struct hras *h)
{
	struct mbuf *mb = mbuf_alloc(4096);

	if (!mb)
		return;
	if (!mbuf_printf(mb, "%H", print_report, h))
		(void)report_publish(h->tun.report, (const char *)mb->buf,
		                     mb->end);
	mem_deref(mb);
}
