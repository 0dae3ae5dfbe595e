/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file rtp-load.c  Many G.711 streams at once, for the voice benchmark
 *
 *   rtp-load send --bind IP:PORT --dests FILE [--seconds S] [--pps 50]
 *                 [--size 172] [--tick-us 1000] [--burst 0]
 *     one stream per line of FILE (IP:PORT), each sending a packet every
 *     1/pps s (staggered), all from the one socket, the packets due
 *     within one tick together (1 ms: the streams of many calls come in
 *     bursts a millisecond apart; 100 us spreads them as independent
 *     phones' would, at the cost of more wake-ups here); the far end echoes
 *     each packet; prints sent, received, lost and the round trip
 *     (median, p99) in microseconds.  --burst 1: not staggered, every
 *     stream due at once (a burst each 1/pps s, its echoes together).
 *     --rtt-file FILE: each echo's send time (us since the start), its
 *     round trip (us) and its stream, a line each, to see when the slow
 *     ones came.
 *   rtp-load echo --bind IP:PORT [--seconds S]
 *     sends every packet back where it came from.
 *   rtp-load relay --bind IP:PORT --to IP:PORT [--seconds S]
 *     the plainest user-space hop: every packet from elsewhere to --to,
 *     and what --to sends back to whoever sent last (one recvfrom and
 *     one sendto a packet); the bench's floor for a process in the path.
 *     --batch N: up to N packets a system call each way (recvmmsg,
 *     sendmmsg).  --calls N: a pair of sockets a call instead of one
 *     socket for all, as hrac's LAN side and hras-fcgi's relay have
 *     (call i's packets to --bind's port + i, from a port of its own
 *     to --to), woken by epoll and read with recvmmsg of up to --batch
 *     a socket.  bench/sockets.sh compares the three.
 *
 * A packet: an RTP header (PT 0), then the stream index, the sequence
 * number and the send time (CLOCK_MONOTONIC ns), padded to --size.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { STREAMS_MAX = 4096, PKT_MAX = 1500, BATCH_MAX = 64 };
enum { TICK_MIN_US = 20, TICK_MAX_US = 1000 };

struct stream {
	struct sockaddr_in dst;
	uint32_t seq;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int parse_addr(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int open_sock(const char *bind_to)
{
	struct sockaddr_in a;
	int fd, sz = 8 << 20;

	if (parse_addr(bind_to, &a))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* open_sock, saying why not */
static int open_sock_or_say(const char *bind_to)
{
	int fd = open_sock(bind_to);

	if (fd < 0)
		fprintf(stderr, "rtp-load: cannot bind %s: %s\n", bind_to,
		        strerror(errno));
	return fd;
}

/* a packet that came from @src, for the echo or the relay */
typedef void(packet_h)(int fd, const uint8_t *buf, size_t len,
                       const struct sockaddr_in *src, void *arg);

/* every packet to @ph for @seconds; how many there were */
static uint64_t serve(int fd, double seconds, packet_h *ph, void *arg)
{
	uint64_t end = now_ns() + (uint64_t)(seconds * 1e9), n = 0;
	uint8_t buf[PKT_MAX];

	while (now_ns() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_in src;
		socklen_t sl = sizeof(src);
		ssize_t len;

		if (poll(&p, 1, 100) <= 0)
			continue;
		while ((len = recvfrom(fd, buf, sizeof(buf), 0,
		                       (struct sockaddr *)&src, &sl)) > 0) {
			ph(fd, buf, (size_t)len, &src, arg);
			n++;
			sl = sizeof(src);
		}
	}
	return n;
}

static void echo_packet(int fd, const uint8_t *buf, size_t len,
                        const struct sockaddr_in *src, void *arg)
{
	(void)arg;
	sendto(fd, buf, len, 0, (const struct sockaddr *)src, sizeof(*src));
}

static int run_echo(int fd, double seconds)
{
	uint64_t n = serve(fd, seconds, echo_packet, NULL);

	printf("echoed=%llu\n", (unsigned long long)n);
	return 0;
}

struct relay {
	struct sockaddr_in to, back;
	bool have_back;
};

/* where @r sends a packet from @src, or NULL: relay_packet's rule */
static const struct sockaddr_in *relay_dest(struct relay *r,
                                            const struct sockaddr_in *src)
{
	if (src->sin_addr.s_addr != r->to.sin_addr.s_addr ||
	    src->sin_port != r->to.sin_port) {
		r->back = *src;
		r->have_back = true;
		return &r->to;
	}
	return r->have_back ? &r->back : NULL;
}

static void relay_packet(int fd, const uint8_t *buf, size_t len,
                         const struct sockaddr_in *src, void *arg)
{
	const struct sockaddr_in *d = relay_dest(arg, src);

	if (d)
		sendto(fd, buf, len, 0, (const struct sockaddr *)d, sizeof(*d));
}

/* up to BATCH_MAX datagrams in or out with one system call */
struct mbatch {
	uint8_t bufs[BATCH_MAX][PKT_MAX];
	struct mmsghdr in[BATCH_MAX], out[BATCH_MAX];
	struct iovec iin[BATCH_MAX], iout[BATCH_MAX];
	struct sockaddr_in src[BATCH_MAX], dst[BATCH_MAX];
	unsigned nout;
};

/* the received messages' headers, each on its buffer: set once, as the
 * kernel only writes their lengths */
static void mbatch_init(struct mbatch *b)
{
	for (unsigned i = 0; i < BATCH_MAX; i++) {
		b->iin[i] = (struct iovec){ b->bufs[i], PKT_MAX };
		b->in[i].msg_hdr = (struct msghdr){
			.msg_name = &b->src[i],
			.msg_namelen = sizeof(b->src[i]),
			.msg_iov = &b->iin[i],
			.msg_iovlen = 1,
		};
	}
}

/* up to @batch datagrams from @fd; how many */
static int mbatch_recv(struct mbatch *b, int fd, unsigned batch)
{
	int k = recvmmsg(fd, b->in, batch, MSG_DONTWAIT, NULL);

	b->nout = 0;
	for (int i = 0; i < k; i++)
		b->in[i].msg_hdr.msg_namelen = sizeof(b->src[i]);
	return k;
}

/* the @i-th datagram received, to go out to @d */
static void mbatch_forward(struct mbatch *b, int i, const struct sockaddr_in *d)
{
	unsigned m = b->nout++;

	b->dst[m] = *d;
	b->iout[m] = (struct iovec){ b->bufs[i], b->in[i].msg_len };
	b->out[m].msg_hdr = (struct msghdr){
		.msg_name = &b->dst[m],
		.msg_namelen = sizeof(b->dst[m]),
		.msg_iov = &b->iout[m],
		.msg_iovlen = 1,
	};
}

static void mbatch_send(struct mbatch *b, int fd)
{
	for (unsigned sent = 0; sent < b->nout;) {
		int n = sendmmsg(fd, b->out + sent, b->nout - sent, 0);

		if (n <= 0)
			break;
		sent += (unsigned)n;
	}
}

/* the relay with up to @batch packets a system call each way (recvmmsg,
 * sendmmsg) on its one socket */
static uint64_t relay_batched(int fd, struct relay *r, double seconds,
                              unsigned batch)
{
	static struct mbatch b;
	uint64_t end = now_ns() + (uint64_t)(seconds * 1e9), n = 0;

	mbatch_init(&b);
	while (now_ns() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int k;

		if (poll(&p, 1, 100) <= 0)
			continue;
		do {
			k = mbatch_recv(&b, fd, batch);
			for (int i = 0; i < k; i++) {
				const struct sockaddr_in *d =
				    relay_dest(r, &b.src[i]);

				if (d)
					mbatch_forward(&b, i, d);
			}
			mbatch_send(&b, fd);
			if (k > 0)
				n += (uint64_t)k;
		} while (k == (int)batch);
	}
	return n;
}

/* One call of the relay with a socket a call on each side, as hrac's
 * LAN side and hras-fcgi's relay have: the phone's side (bound to the
 * call's port) and the far side (towards --to) */
struct relay_call {
	int near, far;
	struct sockaddr_in back;
	bool have_back;
};

/* the relay with @ncalls calls, each on its own pair of sockets, woken
 * by epoll and read with recvmmsg of up to @batch a socket */
static uint64_t relay_per_call(struct relay_call *c, unsigned ncalls,
                               const struct sockaddr_in *to, double seconds,
                               unsigned batch)
{
	static struct mbatch b;
	uint64_t end = now_ns() + (uint64_t)(seconds * 1e9), n = 0;
	int ep = epoll_create1(0);

	if (ep < 0)
		return 0;
	mbatch_init(&b);
	for (unsigned i = 0; i < ncalls; i++) {
		struct epoll_event near = { .events = EPOLLIN,
			                    .data.u32 = 2 * i },
		                   far = { .events = EPOLLIN,
			                   .data.u32 = 2 * i + 1 };

		epoll_ctl(ep, EPOLL_CTL_ADD, c[i].near, &near);
		epoll_ctl(ep, EPOLL_CTL_ADD, c[i].far, &far);
	}
	while (now_ns() < end) {
		struct epoll_event ev[64];
		int k = epoll_wait(ep, ev, 64, 100);

		for (int e = 0; e < k; e++) {
			struct relay_call *rc = &c[ev[e].data.u32 / 2];
			bool up = !(ev[e].data.u32 & 1);
			int got =
			    mbatch_recv(&b, up ? rc->near : rc->far, batch);

			for (int i = 0; i < got; i++) {
				if (up) {
					rc->back = b.src[i];
					rc->have_back = true;
					mbatch_forward(&b, i, to);
				} else if (rc->have_back) {
					mbatch_forward(&b, i, &rc->back);
				}
			}
			mbatch_send(&b, up ? rc->far : rc->near);
			if (got > 0)
				n += (uint64_t)got;
		}
	}
	close(ep);
	return n;
}

/* @ncalls pairs of sockets: the near ones on @bind_to's port and the
 * next ones, the far ones on its address */
static struct relay_call *relay_calls_open(const char *bind_to, unsigned ncalls)
{
	struct relay_call *c = calloc(ncalls, sizeof(*c));
	struct sockaddr_in a;
	char ip[INET_ADDRSTRLEN], where[INET_ADDRSTRLEN + 8];

	if (!c || parse_addr(bind_to, &a) ||
	    !inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip)))
		goto fail;
	for (unsigned i = 0; i < ncalls; i++) {
		snprintf(where, sizeof(where), "%s:%u", ip,
		         ntohs(a.sin_port) + i);
		c[i].near = open_sock_or_say(where);
		if (c[i].near < 0)
			goto fail;
		snprintf(where, sizeof(where), "%s:0", ip);
		c[i].far = open_sock_or_say(where);
		if (c[i].far < 0)
			goto fail;
	}
	return c;
fail:
	free(c); /* the process ends: its sockets with it */
	return NULL;
}

static int run_relay(const char *bind_to, const char *to, double seconds,
                     unsigned batch, unsigned ncalls)
{
	struct relay r = { .have_back = false };
	uint64_t n;

	if (parse_addr(to, &r.to))
		return 2;
	if (ncalls) {
		struct relay_call *c = relay_calls_open(bind_to, ncalls);

		if (!c)
			return 1;
		n = relay_per_call(c, ncalls, &r.to, seconds, batch);
		free(c);
	} else {
		int fd = open_sock_or_say(bind_to);

		if (fd < 0)
			return 1;
		n = batch > 1 ? relay_batched(fd, &r, seconds, batch)
		              : serve(fd, seconds, relay_packet, &r);
	}
	printf("relayed=%llu\n", (unsigned long long)n);
	return 0;
}

/* The echoes' round trips, and when each was sent */
struct rtts {
	uint64_t *us;   /* round trip */
	uint64_t *when; /* sent, us since the start */
	uint32_t *stream;
	size_t n, cap;
	uint64_t start;
};

static void receive(int fd, struct rtts *r, uint32_t nstreams,
                    uint64_t *received)
{
	uint8_t buf[PKT_MAX];
	ssize_t len;

	while ((len = recv(fd, buf, sizeof(buf), 0)) >= 28) {
		uint32_t idx;
		uint64_t sent;

		memcpy(&idx, buf + 12, 4);
		memcpy(&sent, buf + 20, 8);
		if (idx >= nstreams)
			continue;
		(*received)++;
		if (r->n < r->cap) {
			r->us[r->n] = (now_ns() - sent) / 1000;
			r->when[r->n] = (sent - r->start) / 1000;
			r->stream[r->n++] = idx;
		}
	}
}

static int rtts_write(const struct rtts *r, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	for (size_t i = 0; i < r->n; i++)
		fprintf(f, "%llu %llu %u\n", (unsigned long long)r->when[i],
		        (unsigned long long)r->us[i], r->stream[i]);
	return fclose(f);
}

static int run_send(int fd, const char *dests, double seconds, unsigned pps,
                    uint64_t tick_ns, size_t size, bool burst,
                    const char *rtt_file)
{
	static struct stream st[STREAMS_MAX];
	uint32_t n = 0;
	uint64_t period = 1000000000ull / pps, start, end, sent = 0;
	uint64_t received = 0;
	struct rtts r = { 0 };
	uint8_t pkt[PKT_MAX];
	char line[128];
	FILE *f = fopen(dests, "r");

	if (!f)
		return 2;
	while (n < STREAMS_MAX && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (*line && !parse_addr(line, &st[n].dst))
			n++;
	}
	fclose(f);
	if (!n || size < 28 || size > PKT_MAX)
		return 2;
	r.cap = (size_t)(n * pps * (seconds + 1));
	r.us = malloc(r.cap * sizeof(*r.us));
	r.when = malloc(r.cap * sizeof(*r.when));
	r.stream = malloc(r.cap * sizeof(*r.stream));
	if (!r.us || !r.when || !r.stream) {
		free(r.us);
		free(r.when);
		free(r.stream);
		return 2;
	}

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x80;
	start = r.start = now_ns();
	end = start + (uint64_t)(seconds * 1e9);
	/* stream i is due at start + i * period / n + k * period */
	for (uint64_t tick = 0;; tick++) {
		uint64_t t = start + tick * tick_ns;

		if (t >= end)
			break;
		/* until the tick, take echoes as they come: the round trip
		 * is measured to the microsecond, not to the tick */
		for (;;) {
			uint64_t now = now_ns();
			struct pollfd p = { .fd = fd, .events = POLLIN };
			struct timespec left;

			if (now >= t)
				break;
			left.tv_sec = (time_t)((t - now) / 1000000000ull);
			left.tv_nsec = (long)((t - now) % 1000000000ull);
			if (ppoll(&p, 1, &left, NULL) > 0)
				receive(fd, &r, n, &received);
		}
		for (uint32_t i = 0; i < n; i++) {
			uint64_t due = start +
			               (burst ? 0 : (uint64_t)i * period / n) +
			               (uint64_t)st[i].seq * period;
			uint64_t ns;
			uint16_t seq16;

			if (due > t + tick_ns)
				continue;
			seq16 = htons((uint16_t)st[i].seq);
			memcpy(pkt + 2, &seq16, 2);
			memcpy(pkt + 12, &i, 4);
			memcpy(pkt + 16, &st[i].seq, 4);
			ns = now_ns();
			memcpy(pkt + 20, &ns, 8);
			if (sendto(fd, pkt, size, 0,
			           (struct sockaddr *)&st[i].dst,
			           sizeof(st[i].dst)) > 0)
				sent++;
			st[i].seq++;
		}
		receive(fd, &r, n, &received);
	}
	/* the last echoes */
	for (uint64_t t = now_ns(); now_ns() - t < 1000000000ull;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 50) > 0)
			receive(fd, &r, n, &received);
	}
	if (rtt_file && rtts_write(&r, rtt_file))
		fprintf(stderr, "rtp-load: cannot write %s: %s\n", rtt_file,
		        strerror(errno));
	qsort(r.us, r.n, sizeof(*r.us), cmp_u64);
	printf("streams=%u sent=%llu received=%llu lost=%llu "
	       "rtt_median_us=%llu rtt_p99_us=%llu\n",
	       n, (unsigned long long)sent, (unsigned long long)received,
	       (unsigned long long)(sent > received ? sent - received : 0),
	       (unsigned long long)(r.n ? r.us[r.n / 2] : 0),
	       (unsigned long long)(r.n ? r.us[r.n * 99 / 100] : 0));
	free(r.us);
	free(r.when);
	free(r.stream);
	return 0;
}

int main(int argc, char **argv)
{
	const char *bind_to = NULL, *dests = NULL, *to = NULL, *rtt_file = NULL;
	double seconds = 10;
	unsigned pps = 50, tick_us = TICK_MAX_US, batch = 1, ncalls = 0;
	bool burst = false;
	size_t size = 172;
	int fd;

	if (argc < 2)
		goto usage;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--bind"))
			bind_to = argv[i + 1];
		else if (!strcmp(argv[i], "--dests"))
			dests = argv[i + 1];
		else if (!strcmp(argv[i], "--to"))
			to = argv[i + 1];
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--pps"))
			pps = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--size"))
			size = (size_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--tick-us"))
			tick_us = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--burst"))
			burst = atoi(argv[i + 1]) != 0;
		else if (!strcmp(argv[i], "--calls"))
			ncalls = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--batch"))
			batch = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--rtt-file"))
			rtt_file = argv[i + 1];
		else
			goto usage;
	}
	if (!bind_to || !pps || tick_us < TICK_MIN_US ||
	    tick_us > TICK_MAX_US || !batch || batch > BATCH_MAX)
		goto usage;
	if (!strcmp(argv[1], "relay") && to && ncalls <= STREAMS_MAX)
		return run_relay(bind_to, to, seconds, batch, ncalls);
	fd = open_sock_or_say(bind_to);
	if (fd < 0)
		return 1;
	if (!strcmp(argv[1], "echo"))
		return run_echo(fd, seconds);
	if (!strcmp(argv[1], "send") && dests)
		return run_send(fd, dests, seconds, pps, tick_us * 1000ull,
		                size, burst, rtt_file);
usage:
	fprintf(stderr, "usage: rtp-load send --bind IP:PORT --dests FILE "
	                "[--seconds S] [--pps N] [--size B] [--tick-us "
	                "20-1000] [--burst 0|1] [--rtt-file FILE]\n"
	                "       rtp-load echo --bind IP:PORT [--seconds S]\n"
	                "       rtp-load relay --bind IP:PORT --to IP:PORT "
	                "[--seconds S] [--batch 1-64] [--calls N]\n");
	return 2;
}
