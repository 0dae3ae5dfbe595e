/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file sofw-probe.c  hrac's tunnel in a test harness
 *
 * Opens the tunnel exactly as hrac does (same library, same options) to
 * an hras-fcgi running with --echo, and checks what comes back:
 *
 *   echo mode (default): --sip N signalling frames and --rtp N media
 *   frames go up at --rate per second; every echo must come back, SIP
 *   exactly once and in order, media in order; payloads byte for byte.
 *
 *   bench mode (--bench): --streams S each sending --fps PING frames of
 *   --size bytes for --seconds; HRAS stamps each PONG, so one-way times
 *   up and down are measured on one clock (same host).  With --udp the
 *   same schedule goes over plain UDP on loopback instead: the baseline.
 *
 * Output: human lines, then one "result ..." line of key=value pairs.
 * Exit 0 when every check passed.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <curl/curl.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "secret.h"
#include "curl_loop.h"
#include "tunnel.h"
#include "hrac.h"

enum {
	TICK_MS = 1,
	PONG_STAMP = 8,
	BENCH_HDR = 16, /* u32 stream, u32 seq, u64 sent (us) */
};

struct probe_opts {
	uint32_t sip, sip_size, rtp, rtp_size, rate, timeout;
	bool bench, udp;
	uint32_t streams, fps, seconds, size, warmup_ms;
	char *expect_down, *expect_up;
	uint32_t max_loss; /* per mille of media frames, echo mode */
};

struct sample {
	uint32_t up, down, rtt; /* us */
};

struct probe {
	struct probe_opts o;
	struct hrac_conf cfg;
	struct hrac_resolved res;
	struct tunnel_conf tc;
	struct curl_loop *cl;
	struct tunnel *t;
	struct tmr tick, deadline;
	bool running, finished, failed;
	char why[256];
	uint64_t start, send_until;

	/* echo mode */
	uint32_t sip_sent, rtp_sent, sip_next, rtp_last;
	uint32_t sip_recv, rtp_recv, sip_bad, rtp_bad, rtp_reordered;
	uint8_t *buf;

	/* bench mode */
	uint64_t *next_send; /* per stream, us */
	double cpu_start;    /* ms of CPU when sending began */
	uint32_t *seq;
	uint64_t sent, recv, bad;
	struct sample *samples;
	size_t nsamples, cap;
	struct udp_sock *us_tx, *us_rx;
	struct sa rx_addr;
	struct mbuf *mb;
};

static void done(struct probe *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void deadline(void *arg);

static void done(struct probe *p, const char *fmt, ...)
{
	va_list ap;

	if (p->finished)
		return;
	p->finished = true;
	if (fmt) {
		p->failed = true;
		va_start(ap, fmt);
		vsnprintf(p->why, sizeof(p->why), fmt, ap);
		va_end(ap);
	}
	tmr_cancel(&p->tick);
	if (p->t)
		tunnel_close(p->t); /* TUNNEL_CLOSED stops the loop */
	else
		re_cancel();
}

static void put_u32(uint8_t *b, uint32_t v)
{
	memcpy(b, &v, 4);
}

static uint64_t get_be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Echo payloads: "sip N " or "rtp N " then a pattern derived from N */
static size_t make_payload(uint8_t *buf, const char *kind, uint32_t n,
                           size_t size)
{
	int h = snprintf((char *)buf, size, "%s %u ", kind, n);

	for (size_t i = (size_t)h; i < size; i++)
		buf[i] = (uint8_t)('a' + (i * 7 + n) % 26);
	return size;
}

static bool payload_ok(const struct frame *f, const char *kind, uint32_t n,
                       size_t size, uint8_t *scratch)
{
	make_payload(scratch, kind, n, size);
	return f->len == size && !memcmp(f->payload, scratch, size);
}

static uint32_t payload_num(const struct frame *f)
{
	char tmp[24];
	size_t n = min(f->len, sizeof(tmp) - 1);

	memcpy(tmp, f->payload, n);
	tmp[n] = '\0';
	return (uint32_t)strtoul(tmp + 4, NULL, 10);
}

static void echo_rx(struct probe *p, const struct frame *f)
{
	uint8_t scratch[FRAME_MAX_PAYLOAD];
	uint32_t n = payload_num(f);

	if (f->type == FRAME_SIP) {
		if (n != p->sip_next + 1 ||
		    !payload_ok(f, "sip", n, p->o.sip_size, scratch)) {
			p->sip_bad++;
			fprintf(stderr,
			        "SIP echo %u out of order or damaged "
			        "(expected %u)\n",
			        n, p->sip_next + 1);
		}
		p->sip_next = n;
		p->sip_recv++;
	} else if (f->type == FRAME_RTP) {
		if (!payload_ok(f, "rtp", n, p->o.rtp_size, scratch))
			p->rtp_bad++;
		if (n <= p->rtp_last)
			p->rtp_reordered++;
		p->rtp_last = n;
		p->rtp_recv++;
	}

	if (p->sip_recv >= p->o.sip && p->rtp_sent >= p->o.rtp &&
	    p->sip_sent >= p->o.sip) {
		/* all SIP back; media may still be in flight: a moment */
		if (p->rtp_recv >= p->o.rtp)
			done(p, NULL);
	}
}

static void bench_record(struct probe *p, const uint8_t *pl, size_t len,
                         uint64_t hras_us, uint64_t now)
{
	uint64_t sent;

	if (len < BENCH_HDR) {
		p->bad++;
		return;
	}
	memcpy(&sent, pl + 8, 8);
	p->recv++;
	if (sent < p->start + (uint64_t)p->o.warmup_ms * 1000 ||
	    p->nsamples >= p->cap)
		return;
	p->samples[p->nsamples].rtt = (uint32_t)(now - sent);
	p->samples[p->nsamples].up = hras_us ? (uint32_t)(hras_us - sent) : 0;
	p->samples[p->nsamples].down = hras_us ? (uint32_t)(now - hras_us) : 0;
	p->nsamples++;
}

static void on_frame(const struct frame *f, void *arg)
{
	struct probe *p = arg;

	if (p->o.bench) {
		if (f->type == FRAME_KEEPALIVE && (f->flags & FRAME_F_PONG) &&
		    f->len >= BENCH_HDR + PONG_STAMP)
			bench_record(p, f->payload, f->len - PONG_STAMP,
			             get_be64(f->payload + f->len - PONG_STAMP),
			             mono_us());
		return;
	}
	echo_rx(p, f);
}

static void send_frame(struct probe *p, struct frame *f)
{
	int e = tunnel_send(p->t, f);

	if (e)
		fprintf(stderr, "tunnel_send: %s\n", strerror(e));
}

static void echo_tick(struct probe *p, uint64_t now)
{
	uint64_t due = (now - p->start) * p->o.rate / 1000000 + 1;
	struct frame f;

	while (p->sip_sent + p->rtp_sent < due &&
	       (p->sip_sent < p->o.sip || p->rtp_sent < p->o.rtp)) {
		memset(&f, 0, sizeof(f));
		f.payload = p->buf;
		/* interleave: one RTP, one SIP */
		if (p->rtp_sent < p->o.rtp &&
		    (p->rtp_sent <= p->sip_sent || p->sip_sent >= p->o.sip)) {
			f.type = FRAME_RTP;
			f.relay_port = 40000;
			sa_set_str(&f.addr, "10.77.1.10", 4000);
			f.len = make_payload(p->buf, "rtp", ++p->rtp_sent,
			                     p->o.rtp_size);
		} else {
			f.type = FRAME_SIP;
			sa_set_str(&f.addr, "10.77.1.10", 5060);
			f.len = make_payload(p->buf, "sip", ++p->sip_sent,
			                     p->o.sip_size);
		}
		send_frame(p, &f);
	}
}

static void bench_send(struct probe *p, uint32_t s, uint64_t now)
{
	uint8_t *b = p->buf;
	struct frame f;

	put_u32(b, s);
	put_u32(b + 4, ++p->seq[s]);
	memcpy(b + 8, &now, 8);
	memset(b + BENCH_HDR, 0x55, p->o.size - BENCH_HDR);
	p->sent++;

	if (p->o.udp) {
		mbuf_rewind(p->mb);
		mbuf_write_mem(p->mb, b, p->o.size);
		mbuf_set_pos(p->mb, 0);
		udp_send(p->us_tx, &p->rx_addr, p->mb);
		return;
	}
	memset(&f, 0, sizeof(f));
	f.type = FRAME_KEEPALIVE;
	f.flags = FRAME_F_PING;
	f.payload = b;
	f.len = p->o.size;
	send_frame(p, &f);
}

/* Send what is due; @return microseconds until the next frame is due */
static uint64_t bench_tick(struct probe *p, uint64_t now)
{
	uint64_t period = 1000000 / p->o.fps, next = UINT64_MAX;

	if (now >= p->send_until)
		return UINT64_MAX;
	for (uint32_t s = 0; s < p->o.streams; s++) {
		while (p->next_send[s] <= now) {
			bench_send(p, s, now);
			p->next_send[s] += period;
		}
		next = min(next, p->next_send[s]);
	}
	return next - now;
}

static void tick(void *arg)
{
	struct probe *p = arg;
	uint64_t now = mono_us(), wait;

	if (p->o.bench) {
		/* sleep until the next frame is due, as a phone would */
		wait = bench_tick(p, now);
		if (wait != UINT64_MAX)
			tmr_start(&p->tick, (wait + 999) / 1000, tick, p);
		return;
	}
	tmr_start(&p->tick, TICK_MS, tick, p);
	echo_tick(p, now);
}

static void udp_rx(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct probe *p = arg;

	(void)src;
	bench_record(p, mbuf_buf(mb), mbuf_get_left(mb), 0, mono_us());
}

static double cpu_now_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
	       ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
}

static void start_sending(struct probe *p)
{
	if (p->running)
		return;
	p->cpu_start = cpu_now_ms();
	p->running = true;
	p->start = mono_us();
	if (p->o.bench) {
		uint64_t period = 1000000 / p->o.fps;

		for (uint32_t s = 0; s < p->o.streams; s++)
			p->next_send[s] = p->start + period * s / p->o.streams;
		p->send_until = p->start + (uint64_t)p->o.seconds * 1000000;
		/* the last frames have 1.5 s to come back */
		tmr_start(&p->deadline, (uint64_t)p->o.seconds * 1000 + 1500,
		          deadline, p);
	}
	tmr_start(&p->tick, TICK_MS, tick, p);
}

static bool mode_is(const char *got, const char *want)
{
	return !want || !strncmp(got, want, strlen(want));
}

static void on_event(enum tunnel_event ev, const char *msg, void *arg)
{
	struct probe *p = arg;

	switch (ev) {

	case TUNNEL_OPENED:
		printf("opened: %s, path %s\n", msg, tunnel_path(p->t));
		break;
	case TUNNEL_DOWN_MODE:
	case TUNNEL_UP_MODE:
		printf("%s: %s\n", ev == TUNNEL_DOWN_MODE ? "down" : "up", msg);
		break;
	case TUNNEL_PATH_OK:
		if (!mode_is(tunnel_down_mode(p->t), p->o.expect_down) ||
		    !mode_is(tunnel_up_mode(p->t), p->o.expect_up)) {
			done(p, "modes are down %s, up %s; expected %s, %s",
			     tunnel_down_mode(p->t), tunnel_up_mode(p->t),
			     p->o.expect_down ? p->o.expect_down : "any",
			     p->o.expect_up ? p->o.expect_up : "any");
			return;
		}
		start_sending(p);
		break;
	case TUNNEL_ERROR:
		printf("error: %s\n", msg);
		break;
	case TUNNEL_REFUSED:
		done(p, "refused: %s", msg);
		return;
	case TUNNEL_CLOSED:
		re_cancel();
		break;
	}
	fflush(stdout);
}

static void deadline(void *arg)
{
	struct probe *p = arg;

	if (p->finished) {
		re_cancel(); /* the close never finished */
		return;
	}
	if (!p->running)
		done(p, "no working tunnel within %u s", p->o.timeout);
	else if (p->o.bench)
		done(p, NULL);
	else
		done(p, "timed out: SIP %u/%u back, media %u/%u back",
		     p->sip_recv, p->o.sip, p->rtp_recv, p->o.rtp);
	tmr_start(&p->deadline, 5000, deadline, p);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void pct(uint32_t *v, size_t n, uint32_t *med, uint32_t *p99)
{
	qsort(v, n, sizeof(*v), cmp_u32);
	*med = n ? v[n / 2] : 0;
	*p99 = n ? v[(n * 99 + 99) / 100 - 1] : 0;
}

static int report_bench(struct probe *p)
{
	uint32_t *v = malloc((p->nsamples + 1) * sizeof(*v));
	uint32_t um, u99, dm, d99, rm, r99;
	double cpu_ms = cpu_now_ms() - p->cpu_start;

	if (!v)
		return 2;
	for (size_t i = 0; i < p->nsamples; i++)
		v[i] = p->samples[i].up;
	pct(v, p->nsamples, &um, &u99);
	for (size_t i = 0; i < p->nsamples; i++)
		v[i] = p->samples[i].down;
	pct(v, p->nsamples, &dm, &d99);
	for (size_t i = 0; i < p->nsamples; i++)
		v[i] = p->samples[i].rtt;
	pct(v, p->nsamples, &rm, &r99);
	free(v);

	if (p->o.udp)
		printf("result mode=udp sent=%" PRIu64 " recv=%" PRIu64
		       " lost=%" PRIu64 " samples=%zu oneway_median_us=%u "
		       "oneway_p99_us=%u cpu_ms=%.0f\n",
		       p->sent, p->recv, p->sent - p->recv, p->nsamples, rm,
		       r99, cpu_ms);
	else
		printf("result mode=tunnel down=%s up=%s sent=%" PRIu64
		       " recv=%" PRIu64 " lost=%" PRIu64 " samples=%zu "
		       "up_median_us=%u up_p99_us=%u down_median_us=%u "
		       "down_p99_us=%u rtt_median_us=%u rtt_p99_us=%u "
		       "cpu_ms=%.0f\n",
		       tunnel_down_mode(p->t), tunnel_up_mode(p->t), p->sent,
		       p->recv, p->sent - p->recv, p->nsamples, um, u99, dm,
		       d99, rm, r99, cpu_ms);
	return p->failed ? 1 : 0;
}

static int report_echo(struct probe *p)
{
	uint32_t lost = p->o.rtp - p->rtp_recv;
	bool ok = !p->failed && p->sip_recv == p->o.sip && !p->sip_bad &&
	          !p->rtp_bad && !p->rtp_reordered &&
	          (uint64_t)lost * 1000 <= (uint64_t)p->o.max_loss * p->o.rtp;

	if (p->failed)
		printf("failed: %s\n", p->why);
	printf("result ok=%d down=%s up=%s sip_sent=%u sip_recv=%u "
	       "sip_bad=%u rtp_sent=%u rtp_recv=%u rtp_bad=%u "
	       "rtp_reordered=%u\n",
	       ok, p->t ? tunnel_down_mode(p->t) : "-",
	       p->t ? tunnel_up_mode(p->t) : "-", p->sip_sent, p->sip_recv,
	       p->sip_bad, p->rtp_sent, p->rtp_recv, p->rtp_bad,
	       p->rtp_reordered);
	return ok ? 0 : 1;
}

#define POPT(name, type, field, min, max, arg, help)                           \
	CONF_OPT(probe_opts, name, 0, type, field, min, max, arg, NULL, help)

static const struct conf_opt probe_opts[] = {
	POPT("sip", CONF_U32, sip, 0, 10000000, "N", "signalling frames"),
	POPT("sip-size", CONF_U32, sip_size, 8, 65535, "BYTES", "their size"),
	POPT("rtp", CONF_U32, rtp, 0, 10000000, "N", "media frames"),
	POPT("rtp-size", CONF_U32, rtp_size, 8, 65535, "BYTES", "their size"),
	POPT("rate", CONF_U32, rate, 1, 1000000, "FPS", "frames per second"),
	POPT("timeout", CONF_U32, timeout, 1, 3600, "S", "give up after"),
	POPT("max-loss", CONF_U32, max_loss, 0, 1000, "PERMILLE",
	     "media loss allowed"),
	POPT("bench", CONF_BOOL, bench, 0, 0, NULL, "latency benchmark"),
	POPT("udp", CONF_BOOL, udp, 0, 0, NULL, "bench over plain UDP"),
	POPT("streams", CONF_U32, streams, 1, 100000, "S", "bench streams"),
	POPT("fps", CONF_U32, fps, 1, 10000, "F", "frames/s per stream"),
	POPT("seconds", CONF_U32, seconds, 1, 3600, "D", "bench duration"),
	POPT("size", CONF_U32, size, BENCH_HDR, 65000, "B", "bench frame size"),
	POPT("warmup-ms", CONF_U32, warmup_ms, 0, 60000, "MS",
	     "not counted at the start"),
	POPT("expect-down", CONF_STR, expect_down, 0, 0, "MODE",
	     "fail unless the down mode is this"),
	POPT("expect-up", CONF_STR, expect_up, 0, 0, "MODE",
	     "fail unless the up mode is this"),
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL },
};

/* Split argv: probe options here, the rest are hrac options */
static int parse(struct probe *p, int argc, char *argv[])
{
	char *pa[128], *ha[128], err[512];
	int pn = 1, hn = 1;

	pa[0] = ha[0] = argv[0];
	for (int i = 1; i < argc && pn < 127 && hn < 127; i++) {
		const char *a = argv[i];
		bool mine = false;

		for (const struct conf_opt *o = probe_opts; o->name; o++) {
			size_t l = strlen(o->name);

			if (!strncmp(a, "--", 2) &&
			    !strncmp(a + 2, o->name, l) &&
			    (a[2 + l] == '\0' || a[2 + l] == '=')) {
				mine = true;
				pa[pn++] = argv[i];
				if (!a[2 + l] && o->type != CONF_BOOL &&
				    i + 1 < argc)
					pa[pn++] = argv[++i];
				break;
			}
		}
		if (!mine)
			ha[hn++] = argv[i];
	}

	if (conf_parse_args(probe_opts, &p->o, pn, pa, err, sizeof(err)) ||
	    conf_parse_args(hrac_opts, &p->cfg, hn, ha, err, sizeof(err)) ||
	    (!p->o.udp && hrac_conf_check(&p->cfg, err, sizeof(err)))) {
		fprintf(stderr, "sofw-probe: %s\n", err);
		return 1;
	}
	if (!p->o.udp &&
	    hrac_tunnel_conf(&p->cfg, &p->res, &p->tc, err, sizeof(err))) {
		fprintf(stderr, "sofw-probe: %s\n", err);
		return 1;
	}
	return 0;
}

static int setup_bench(struct probe *p)
{
	p->next_send = calloc(p->o.streams, sizeof(*p->next_send));
	p->seq = calloc(p->o.streams, sizeof(*p->seq));
	p->cap = (size_t)p->o.streams * p->o.fps * (p->o.seconds + 2);
	p->samples = calloc(p->cap, sizeof(*p->samples));
	if (!p->next_send || !p->seq || !p->samples)
		return ENOMEM;
	if (!p->o.udp)
		return 0;

	{
		struct sa any;
		int e;

		sa_set_str(&any, "127.0.0.1", 0);
		e = udp_listen(&p->us_rx, &any, udp_rx, p);
		e = e ? e : udp_listen(&p->us_tx, &any, NULL, NULL);
		e = e ? e : udp_local_get(p->us_rx, &p->rx_addr);
		if (!e) {
			udp_sockbuf_set(p->us_rx, 4 << 20);
			p->mb = mbuf_alloc(2048);
		}
		return e ? e : (p->mb ? 0 : ENOMEM);
	}
}

int main(int argc, char *argv[])
{
	struct probe p;
	int e, rc;

	memset(&p, 0, sizeof(p));
	if (conf_defaults(hrac_opts, &p.cfg, NULL, 0))
		return 2;
	p.o.sip = 100;
	p.o.sip_size = 1024;
	p.o.rtp = 100;
	p.o.rtp_size = 172;
	p.o.rate = 200;
	p.o.timeout = 30;
	p.o.streams = 1;
	p.o.fps = 50;
	p.o.seconds = 10;
	p.o.size = 172;
	p.o.warmup_ms = 1000;
	if (parse(&p, argc, argv))
		return 2;

	log_init("sofw-probe", true, p.cfg.verbose - 1);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) || libre_init())
		return 2;
	signal(SIGPIPE, SIG_IGN); /* after libre_init(): see hras-fcgi */
	fd_setsize(65536);
	p.buf = malloc(FRAME_MAX_PAYLOAD);
	tmr_init(&p.tick);
	tmr_init(&p.deadline);
	if (!p.buf || curl_loop_alloc(&p.cl))
		return 2;
	if (p.o.bench && setup_bench(&p)) {
		fprintf(stderr, "sofw-probe: cannot set up the benchmark\n");
		return 2;
	}

	if (p.o.udp) {
		start_sending(&p);
	} else {
		e = tunnel_alloc(&p.t, &p.tc, p.cl, on_frame, on_event, &p);
		if (e)
			return 2;
		tmr_start(&p.deadline, (uint64_t)p.o.timeout * 1000, deadline,
		          &p);
		tunnel_start(p.t);
	}
	re_main(NULL);

	if (p.o.bench) {
		if (p.failed)
			printf("failed: %s\n", p.why);
		rc = report_bench(&p);
	} else {
		rc = report_echo(&p);
	}

	tmr_cancel(&p.tick);
	tmr_cancel(&p.deadline);
	tunnel_free(p.t);
	mem_deref(p.us_rx);
	mem_deref(p.us_tx);
	mem_deref(p.mb);
	curl_loop_free(p.cl);
	libre_close();
	curl_global_cleanup();
	free(p.buf);
	free(p.next_send);
	free(p.seq);
	free(p.samples);
	conf_free(probe_opts, &p.o);
	conf_free(hrac_opts, &p.cfg);
	return rc;
}
