/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_up_coalesce.c  When the next write up the tunnel may go
 *
 * By default (--coalesce-us 0) frames leave a loop iteration at a time:
 * hrac's flush is a zero libre timer, which runs once after the handlers
 * of every socket readable in that wake-up, so what they read shares one
 * write, and runs at once, so a lone frame does not wait.
 * With a window, on an idle link (nothing written for the window, or
 * ever) a frame leaves at once; on a busy one it waits until the window
 * since the last write has passed, never longer.  The timer that ends
 * the wait fires after the delay, below libre's millisecond timers, and
 * not once cancelled.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <re.h>
#include "mono.h"
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "secret.h"
#include "tunnel.h"
#include "hrac.h"
#include "coalesce.h"
#include "unit.h"

#define T0 1000000000ull /* us: an arbitrary start, far from 0 */

static int lone_packet_is_not_delayed(void)
{
	TEST_EQ(coalesce_wait(0, T0, 300), 0);          /* never wrote */
	TEST_EQ(coalesce_wait(T0, T0 + 300, 300), 0);   /* window over */
	TEST_EQ(coalesce_wait(T0, T0 + 20000, 300), 0); /* 20 ms idle */
	TEST_EQ(coalesce_wait(T0, T0 + 20000, 500), 0);
	TEST_EQ(coalesce_wait(T0 + 5, T0, 300), 0); /* a clock gone back */
	return 0;
}

static int busy_link_waits_for_the_window(void)
{
	TEST_EQ(coalesce_wait(T0, T0, 300), 300);
	TEST_EQ(coalesce_wait(T0, T0 + 1, 300), 299);
	TEST_EQ(coalesce_wait(T0, T0 + 100, 300), 200);
	TEST_EQ(coalesce_wait(T0, T0 + 299, 300), 1);
	TEST_EQ(coalesce_wait(T0, T0 + 100, 500), 400);
	return 0;
}

static int window_zero_never_waits(void)
{
	TEST_EQ(coalesce_wait(T0, T0, 0), 0);
	TEST_EQ(coalesce_wait(T0, T0 + 1, 0), 0);
	return 0;
}

struct fired {
	unsigned n;
	uint64_t at;
};

static void on_fire(void *arg)
{
	struct fired *f = arg;

	f->n++;
	f->at = mono_us();
	re_cancel();
}

static void guard(void *arg)
{
	(void)arg;
	re_cancel();
}

/* run the loop until the timer fires or @ms pass */
static void run_for(uint64_t ms)
{
	struct tmr g;

	tmr_init(&g);
	tmr_start(&g, ms, guard, NULL);
	re_main(NULL);
	tmr_cancel(&g);
}

static int timer_fires_after_the_wait(void)
{
	struct fired f = { 0 };
	struct coalesce *c = NULL;
	uint64_t t0;

	TEST_EQ(coalesce_alloc(&c, on_fire, &f), 0);
	TEST_ASSERT(!coalesce_armed(c));
	t0 = mono_us();
	TEST_EQ(coalesce_arm(c, 400), 0);
	TEST_ASSERT(coalesce_armed(c));
	run_for(1000);
	TEST_EQ(f.n, 1);
	TEST_ASSERT(!coalesce_armed(c));
	TEST_ASSERT(f.at - t0 >= 400);
	/* well below libre's timers' millisecond and a loaded box's jitter */
	TEST_ASSERT(f.at - t0 < 200000);

	/* cancelled: does not fire */
	TEST_EQ(coalesce_arm(c, 300), 0);
	coalesce_cancel(c);
	TEST_ASSERT(!coalesce_armed(c));
	run_for(20);
	TEST_EQ(f.n, 1);
	coalesce_free(c);
	return 0;
}

static int default_is_per_iteration(void)
{
	struct hrac_conf cfg;
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	TEST_EQ(conf_defaults(hrac_opts, &cfg, err, sizeof(err)), 0);
	TEST_EQ(cfg.coalesce_us, 0);
	conf_free(hrac_opts, &cfg);
	return 0;
}

enum { SOCKS = 8 };

/* The phones' sockets and hrac's flush, in miniature */
static struct pass {
	int fd[SOCKS];     /* the sockets read */
	unsigned read;     /* datagrams read by the handlers */
	unsigned flushes;  /* the zero timer's runs */
	unsigned at_flush; /* datagrams read when it first ran */
	uint64_t kicked, flushed;
	struct tmr flush;
} P;

static void flush_fire(void *arg)
{
	struct pass *p = arg;

	if (!p->flushes++) {
		p->at_flush = p->read;
		p->flushed = mono_us();
	}
	re_cancel();
}

static void sock_readable(int flags, void *arg)
{
	const int *fd = arg;
	struct pass *p = &P;
	char b[16];

	(void)flags;
	if (read(*fd, b, sizeof(b)) > 0)
		p->read++;
	/* as tunnel_up_kick: armed once per pass */
	if (!tmr_isrunning(&p->flush)) {
		p->kicked = mono_us();
		tmr_start(&p->flush, 0, flush_fire, p);
	}
}

static int one_write_per_loop_iteration(void)
{
	struct pass *p = &P;
	int sv[SOCKS][2];

	memset(p, 0, sizeof(*p));
	tmr_init(&p->flush);
	for (int i = 0; i < SOCKS; i++) {
		TEST_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv[i]), 0);
		p->fd[i] = sv[i][0];
		TEST_EQ(fd_listen(sv[i][0], FD_READ, sock_readable, &p->fd[i]),
		        0);
	}
	/* every socket readable before the loop wakes: one wake-up */
	for (int i = 0; i < SOCKS; i++)
		TEST_EQ(write(sv[i][1], "rtp", 3), 3);
	run_for(1000);
	TEST_EQ(p->read, SOCKS);
	TEST_EQ(p->flushes, 1);
	TEST_EQ(p->at_flush, SOCKS); /* after every handler of the wake-up */
	/* no timed wait: the same pass (a loaded box's jitter allowed) */
	TEST_ASSERT(p->flushed - p->kicked < 200000);

	/* a lone datagram: flushed at once, on its own */
	TEST_EQ(write(sv[3][1], "rtp", 3), 3);
	run_for(1000);
	TEST_EQ(p->read, SOCKS + 1);
	TEST_EQ(p->flushes, 2);
	for (int i = 0; i < SOCKS; i++) {
		fd_close(sv[i][0]);
		close(sv[i][0]);
		close(sv[i][1]);
	}
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(lone_packet_is_not_delayed),
		UNIT_TEST(busy_link_waits_for_the_window),
		UNIT_TEST(window_zero_never_waits),
		UNIT_TEST(timer_fires_after_the_wait),
		UNIT_TEST(default_is_per_iteration),
		UNIT_TEST(one_write_per_loop_iteration),
	};
	int r;

	if (libre_init())
		return 1;
	r = unit_main("coalesce", tests, ARRAY_SIZE(tests));
	libre_close();
	return r;
}
