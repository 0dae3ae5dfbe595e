/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_down_direct.c  The loop thread writes a waiting down
 * writer's batch itself (down_direct.h)
 *
 * A socket pair stands in for the FastCGI connection: its far end reads
 * what nginx would, whole FastCGI STDOUT records.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <re.h>
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "hracs.h"
#include "session.h"
#include "down_batch.h"
#include "down_direct.h"
#include "session_fix.h"
#include "unit.h"

enum {
	REQ_ID = 7,
	BUF = 65536,
	RTP_WIRE = 12 + 4 + 172, /* session_fix_rtp's frame */
};

struct fix {
	struct sessions *t;
	struct session *s;
	struct down_direct dd;
	uint32_t window;
	int sv[2]; /* [0] hras-fcgi's end, [1] nginx's */
	uint8_t *buf;
};

static int fix_open(struct fix *x)
{
	struct chan_limits lim;
	struct session_open o = {
		.id = "site-a", .peer = "p", .instance = "i1", .key = "k"
	};
	uint32_t resumed;
	bool replaced;

	memset(x, 0, sizeof(*x));
	session_fix_limits(&lim);
	TEST_EQ(sessions_alloc(&x->t, 4, &lim), 0);
	TEST_EQ(sessions_open(x->t, &o, &x->s, &replaced, &resumed), 0);
	TEST_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, x->sv), 0);
	x->buf = malloc(BUF);
	TEST_ASSERT(x->buf);
	x->dd.fd = x->sv[0];
	x->dd.request_id = REQ_ID;
	x->dd.window = &x->window;
	x->dd.buf = x->buf;
	x->dd.size = BUF;
	return 0;
}

static void fix_close(struct fix *x)
{
	pthread_mutex_lock(&x->s->lock);
	down_direct_reclaim(x->s, &x->dd);
	x->s->down_waiting = false;
	pthread_mutex_unlock(&x->s->lock);
	session_deref(x->s);
	sessions_free(x->t);
	close(x->sv[0]);
	if (x->sv[1] >= 0)
		close(x->sv[1]);
	free(x->buf);
}

/* @n RTP frames queued, then the writer waits and lends, as ep_down's
 * does (without a thread: the flag is what a wake-up clears) */
static int queue_and_park(struct fix *x, int n)
{
	for (int i = 0; i < n; i++)
		TEST_EQ(session_fix_rtp(x->s), 0);
	pthread_mutex_lock(&x->s->lock);
	x->s->down_waiting = true;
	down_direct_lend(x->s, &x->dd, UINT64_MAX);
	pthread_mutex_unlock(&x->s->lock);
	return 0;
}

static bool direct_write(struct fix *x)
{
	bool done;

	pthread_mutex_lock(&x->s->lock);
	done = down_direct_write(x->s, mono_us());
	pthread_mutex_unlock(&x->s->lock);
	return done;
}

static ssize_t read_all(int fd, uint8_t *p, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t r = read(fd, p + got, want - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* One STDOUT record of request REQ_ID from nginx's end, holding @frames
 * whole RTP frames and nothing else */
static int expect_record(int fd, int frames)
{
	uint8_t h[FCGI_RECORD_HDR], *body;
	size_t len, off = 0;
	int n = 0;

	TEST_EQ(read_all(fd, h, sizeof(h)), sizeof(h));
	TEST_EQ(h[0], 1); /* FCGI_VERSION_1 */
	TEST_EQ(h[1], 6); /* FCGI_STDOUT */
	TEST_EQ((h[2] << 8) | h[3], REQ_ID);
	len = (size_t)((h[4] << 8) | h[5]);
	TEST_EQ(h[6], 0);
	TEST_EQ(len, (size_t)frames * RTP_WIRE);
	body = malloc(len);
	TEST_ASSERT(body);
	TEST_EQ(read_all(fd, body, len), (ssize_t)len);
	while (off < len) {
		struct frame f;
		size_t fl;

		if (frame_decode(&f, body + off, len - off, FRAME_MAX_PAYLOAD,
		                 &fl) ||
		    f.type != FRAME_RTP || f.len != 172) {
			free(body);
			TEST_ASSERT(!"a whole RTP frame");
		}
		off += fl;
		n++;
	}
	free(body);
	TEST_EQ(n, frames);
	return 0;
}

/* Frames queued for a waiting writer leave in one record, and the
 * writer is left asleep */
static int batch_goes_as_one_record(void)
{
	struct fix x;

	TEST_EQ(fix_open(&x), 0);
	TEST_EQ(queue_and_park(&x, 10), 0);
	TEST_ASSERT(direct_write(&x));
	TEST_EQ(expect_record(x.sv[1], 10), 0);
	TEST_EQ(x.s->down_direct_writes, 1);
	TEST_EQ(x.s->down_writes, 1);
	TEST_ASSERT(x.dd.wrote);
	TEST_ASSERT(!down_direct_owed(&x.dd));
	TEST_ASSERT(x.s->down_waiting);
	fix_close(&x);
	return 0;
}

/* Through the loop's flush: the writer is not woken, the frames are on
 * the connection */
static int flush_writes_instead_of_waking(void)
{
	struct down_batch *db;
	struct fix x;

	TEST_EQ(fix_open(&x), 0);
	TEST_EQ(down_batch_alloc(&db), 0);
	TEST_EQ(queue_and_park(&x, 3), 0);
	pthread_mutex_lock(&x.s->lock);
	TEST_ASSERT(down_batch_add(db, x.s));
	pthread_mutex_unlock(&x.s->lock);
	down_batch_flush(db);
	TEST_ASSERT(x.s->down_waiting);
	TEST_EQ(expect_record(x.sv[1], 3), 0);

	/* a --coalesce-us window (a reload): the writer is woken instead,
	 * and nothing is written behind its back */
	x.window = 200;
	TEST_EQ(queue_and_park(&x, 2), 0);
	pthread_mutex_lock(&x.s->lock);
	TEST_ASSERT(down_batch_add(db, x.s));
	pthread_mutex_unlock(&x.s->lock);
	down_batch_flush(db);
	TEST_ASSERT(!x.s->down_waiting);
	TEST_EQ(x.s->down_direct_writes, 1);
	TEST_ASSERT(chan_pending(&x.s->chan));
	mem_deref(db);
	fix_close(&x);
	return 0;
}

/* No loan (a poll, or a writer that is awake) or a newer writer: the
 * loop thread does not write */
static int no_loan_no_write(void)
{
	struct down_direct other;
	struct fix x;

	TEST_EQ(fix_open(&x), 0);
	TEST_EQ(queue_and_park(&x, 1), 0);
	pthread_mutex_lock(&x.s->lock);
	down_direct_reclaim(x.s, &x.dd);
	pthread_mutex_unlock(&x.s->lock);
	TEST_ASSERT(!direct_write(&x));
	TEST_EQ(x.s->down_direct_writes, 0);

	/* an older writer's reclaim leaves a newer one's loan alone */
	other = x.dd;
	pthread_mutex_lock(&x.s->lock);
	down_direct_lend(x.s, &other, UINT64_MAX);
	down_direct_reclaim(x.s, &x.dd);
	TEST_ASSERT(x.s->down_direct == &other);
	down_direct_reclaim(x.s, &other);
	TEST_ASSERT(!x.s->down_direct);
	pthread_mutex_unlock(&x.s->lock);
	fix_close(&x);
	return 0;
}

/* A closed session: its writer is ending, nothing goes on its stream */
static int closed_session_not_written(void)
{
	struct fix x;
	uint8_t c;

	TEST_EQ(fix_open(&x), 0);
	TEST_EQ(queue_and_park(&x, 1), 0);
	pthread_mutex_lock(&x.s->lock);
	x.s->closed = true;
	pthread_mutex_unlock(&x.s->lock);
	TEST_ASSERT(!direct_write(&x));
	TEST_EQ(x.s->down_direct_writes, 0);
	TEST_EQ(recv(x.sv[1], &c, 1, MSG_DONTWAIT), -1);
	TEST_EQ(errno, EAGAIN);
	fix_close(&x);
	return 0;
}

/* A retransmission due before the writer wakes by itself: it is woken */
static int earlier_deadline_wakes(void)
{
	static const uint8_t sip[] = "OPTIONS sip:a SIP/2.0\r\n\r\n";
	struct frame f;
	struct fix x;

	TEST_EQ(fix_open(&x), 0);
	memset(&f, 0, sizeof(f));
	f.type = FRAME_SIP;
	sa_set_str(&f.addr, "10.0.0.1", 5060);
	f.payload = sip;
	f.len = sizeof(sip) - 1;
	TEST_EQ(session_send(x.s, &f, mono_us()), 0);
	TEST_EQ(queue_and_park(&x, 0), 0);
	x.dd.deadline = mono_us() + 3600000000ULL; /* an hour */
	TEST_ASSERT(!direct_write(&x));
	TEST_EQ(x.s->down_direct_writes, 1); /* sent, and the writer told */
	fix_close(&x);
	return 0;
}

struct drain {
	int fd;
	uint8_t *got;
	size_t len;
	int err;
};

static void *drainer(void *arg)
{
	struct drain *d = arg;
	uint8_t h[FCGI_RECORD_HDR];

	usleep(50000); /* the writer blocks first */
	if (read_all(d->fd, h, sizeof(h)) != sizeof(h)) {
		d->err = 1;
		return NULL;
	}
	d->len = (size_t)((h[4] << 8) | h[5]);
	d->got = malloc(d->len);
	if (!d->got || read_all(d->fd, d->got, d->len) != (ssize_t)d->len)
		d->err = 1;
	return NULL;
}

/* A record the socket takes only in part: the writer is woken, sends
 * the rest, and nginx's end reads one whole record */
static int part_left_to_writer(void)
{
	struct drain dr = { 0 };
	struct fix x;
	pthread_t th;
	int sz = 4096;
	size_t n;

	TEST_EQ(fix_open(&x), 0);
	TEST_EQ(setsockopt(x.sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	TEST_EQ(queue_and_park(&x, 200), 0);
	TEST_ASSERT(!direct_write(&x));
	TEST_ASSERT(down_direct_owed(&x.dd));
	TEST_ASSERT(x.dd.rest_off > 0); /* some went at once */
	n = x.dd.rest_off + x.dd.rest_len;
	TEST_EQ(n, FCGI_RECORD_HDR + 200 * RTP_WIRE);

	dr.fd = x.sv[1];
	TEST_EQ(pthread_create(&th, NULL, drainer, &dr), 0);
	TEST_EQ(down_direct_finish(&x.dd), 0);
	pthread_join(th, NULL);
	TEST_EQ(dr.err, 0);
	TEST_EQ(dr.len, 200 * RTP_WIRE);
	TEST_ASSERT(!down_direct_owed(&x.dd));
	free(dr.got);
	fix_close(&x);
	return 0;
}

/* nginx closed the connection: the writer is woken and ends */
static int failed_send_ends_stream(void)
{
	struct fix x;

	TEST_EQ(fix_open(&x), 0);
	close(x.sv[1]);
	x.sv[1] = -1;
	TEST_EQ(queue_and_park(&x, 1), 0);
	TEST_ASSERT(!direct_write(&x));
	TEST_ASSERT(x.dd.failed);
	TEST_EQ(down_direct_finish(&x.dd), EPIPE);
	/* failed: nothing more is tried on that connection */
	TEST_EQ(queue_and_park(&x, 1), 0);
	TEST_ASSERT(!direct_write(&x));
	TEST_EQ(x.s->down_direct_writes, 1);
	fix_close(&x);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(batch_goes_as_one_record),
		UNIT_TEST(flush_writes_instead_of_waking),
		UNIT_TEST(no_loan_no_write),
		UNIT_TEST(closed_session_not_written),
		UNIT_TEST(earlier_deadline_wakes),
		UNIT_TEST(part_left_to_writer),
		UNIT_TEST(failed_send_ends_stream),
	};
	int r;

	log_init("test_down_direct", true, -2);
	if (libre_init())
		return 1;
	r = unit_main("down_direct", tests, ARRAY_SIZE(tests));
	libre_close();
	return r;
}
