/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_callstate.c  What a restart of hras-fcgi keeps: the state
 * writer thread, the relay's calls and the dialogs written down and read
 * back
 *
 * A record read back and written again must be the very same line; a
 * restored outside leg holds its relay ports again (nobody else can bind
 * them); malformed records are refused one by one.
 */
#include <errno.h>
#include <glob.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
#include "rat.h"
#include "sipsrv.h"
#include "dialog.h"
#include "statefield.h"
#include "wholefile.h"
#include "statewriter.h"
#include "unit.h"

static char path[64];

/* -- the writer thread ---------------------------------------------------- */

static int write_number(FILE *f, void *arg)
{
	fprintf(f, "snapshot %d\n", *(int *)arg);
	return 0;
}

static int leftovers(void)
{
	char pattern[96];
	glob_t g;
	int n;

	snprintf(pattern, sizeof(pattern), "%s?*", path);
	if (glob(pattern, 0, NULL, &g))
		return 0;
	n = (int)g.gl_pathc;
	globfree(&g);
	return n;
}

static int read_file(char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return errno;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

/* Many snapshots at once: the last one is on disk, whole, 0600, and
 * nothing else is left beside it */
static int writer_keeps_the_last(void)
{
	struct statewriter *sw = NULL;
	struct stat st;
	char buf[64];

	unlink(path);
	TEST_EQ(statewriter_alloc(&sw, path, 0600), 0);
	for (int i = 1; i <= 500; i++)
		TEST_EQ(statewriter_put(sw, write_number, &i), 0);
	TEST_EQ(statewriter_sync(sw), 0);
	TEST_ASSERT(!statewriter_waiting(sw));
	TEST_EQ(read_file(buf, sizeof(buf)), 0);
	TEST_STREQ(buf, "snapshot 500\n");
	TEST_EQ(stat(path, &st), 0);
	TEST_EQ(st.st_mode & 0777, 0600);
	TEST_EQ(leftovers(), 0);

	/* what waits at the end is written before the thread goes */
	for (int i = 501; i <= 510; i++)
		TEST_EQ(statewriter_put(sw, write_number, &i), 0);
	statewriter_free(sw);
	TEST_EQ(read_file(buf, sizeof(buf)), 0);
	TEST_STREQ(buf, "snapshot 510\n");
	TEST_EQ(leftovers(), 0);
	return 0;
}

static int write_fails(FILE *f, void *arg)
{
	(void)f;
	(void)arg;
	return EIO;
}

/* A directory that is not there: the error comes back; a snapshot that
 * cannot be taken is refused at once, and the file keeps its content */
static int writer_errors(void)
{
	struct statewriter *sw = NULL;
	char nodir[96], buf[64];
	int one = 1;

	snprintf(nodir, sizeof(nodir), "/tmp/sofw-callstate-%d-nodir/calls",
	         (int)getpid());
	TEST_EQ(statewriter_alloc(&sw, nodir, 0600), 0);
	TEST_EQ(statewriter_put(sw, write_number, &one), 0);
	TEST_EQ(statewriter_sync(sw), ENOENT);
	statewriter_free(sw);

	unlink(path);
	TEST_EQ(statewriter_alloc(&sw, path, 0600), 0);
	TEST_EQ(statewriter_put(sw, write_number, &one), 0);
	TEST_EQ(statewriter_put(sw, write_fails, NULL), EIO);
	TEST_EQ(statewriter_sync(sw), 0);
	statewriter_free(sw);
	TEST_EQ(read_file(buf, sizeof(buf)), 0);
	TEST_STREQ(buf, "snapshot 1\n");
	return 0;
}

/* -- records -------------------------------------------------------------- */

/* @line cut into fields (the copy is @buf's) */
static size_t fields(char *buf, size_t size, const char *line, char **fld)
{
	snprintf(buf, size, "%s", line);
	return statefield_split(buf, fld, 256);
}

static int written(char *out, size_t size, int (*wr)(FILE *, void *), void *arg)
{
	FILE *f;

	memset(out, 0, size);
	f = fmemopen(out, size, "w");

	if (!f)
		return errno;
	wr(f, arg);
	fclose(f);
	return 0;
}

static int rat_write(FILE *f, void *arg)
{
	return rat_state_write(f, arg);
}

static int dialogs_write(FILE *f, void *arg)
{
	return dialogs_state_write(f, arg);
}

/* A port we may use: outside every test's range, one per process */
static uint16_t base_port(void)
{
	return (uint16_t)(47000 + (getpid() % 400) * 20);
}

static int port_bindable_on(uint32_t addr, uint16_t port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), r;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(addr);
	r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return r == 0;
}

static int port_bindable(uint16_t port)
{
	return port_bindable_on(INADDR_LOOPBACK, port);
}

static int relay(struct rat **rp, struct sessions **sp)
{
	static char ports[32];
	struct chan_limits lim;
	struct rat_conf cfg;
	struct sa sip;

	memset(&lim, 0, sizeof(lim));
	lim.rel_max_bytes = lim.media_max_bytes = 1 << 16;
	lim.rel_max_frames = 64;
	lim.rto = 1000000;
	lim.max_payload = FRAME_MAX_PAYLOAD;
	TEST_EQ(sessions_alloc(sp, 4, &lim), 0);
	snprintf(ports, sizeof(ports), "%u-%u", base_port(), base_port() + 19);
	memset(&cfg, 0, sizeof(cfg));
	cfg.public_ip = "127.0.0.1";
	cfg.rtp_ports = ports;
	cfg.media_timeout = 60;
	TEST_EQ(sa_set_str(&sip, "127.0.0.1", 5060), 0);
	TEST_EQ(rat_alloc(rp, &cfg, *sp, &sip, 32000), 0);
	return 0;
}

/* An inside phone of site-a calls an outside party; audio and video,
 * the video line rejected */
static const char *call_line(char *buf, size_t size, uint16_t port,
                             const char *expires)
{
	snprintf(buf, size,
	         "c\tcall-1@10.77.1.5\tft1\ttt1\ti:site-a\ti,0,site-a\to,0,2"
	         "\t%s\t2"
	         "\t0\t41000\t10.77.1.5:4000\t10.77.1.5:4001\t10.77.1.5:5060"
	         "\t10.77.1.5:4000\t-"
	         "\t%u\t192.0.2.7:6000\t192.0.2.7:6001\t192.0.2.7:5060"
	         "\t192.0.2.7:6000\t192.0.2.7:6001"
	         "\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\n",
	         expires, port);
	return buf;
}

static int calls_round_trip(void)
{
	struct sessions *ss = NULL;
	struct rat *r = NULL;
	char line[1024], buf[1024], out[4096], *fld[257];
	uint16_t port = base_port() + 4;
	size_t n;

	TEST_EQ(relay(&r, &ss), 0);
	call_line(line, sizeof(line), port, "-");
	n = fields(buf, sizeof(buf), line, fld);
	TEST_EQ(n, 9 + 2 * 13);
	TEST_EQ(rat_state_read(r, fld, n, 0, NULL), 0);
	TEST_EQ(rat_count(r), 1);
	/* the outside leg holds its relay ports again */
	TEST_ASSERT(!port_bindable(port));
	TEST_ASSERT(!port_bindable(port + 1));
	TEST_EQ(written(out, sizeof(out), rat_write, r), 0);
	TEST_STREQ(out, line);

	/* the same call twice: refused, the first one untouched */
	n = fields(buf, sizeof(buf), line, fld);
	TEST_EQ(rat_state_read(r, fld, n, 0, NULL), EEXIST);
	TEST_EQ(rat_count(r), 1);

	mem_deref(r);
	TEST_ASSERT(port_bindable(port));
	sessions_free(ss);
	return 0;
}

/* A session timer keeps running while hras-fcgi is away */
static int calls_session_timer(void)
{
	struct sessions *ss = NULL;
	struct rat *r = NULL;
	char line[1024], buf[1024], out[4096], *fld[257], *p;
	unsigned long left;
	size_t n;

	TEST_EQ(relay(&r, &ss), 0);
	call_line(line, sizeof(line), base_port() + 8, "9000");
	n = fields(buf, sizeof(buf), line, fld);
	TEST_EQ(rat_state_read(r, fld, n, 4000, NULL), 0);
	TEST_EQ(written(out, sizeof(out), rat_write, r), 0);
	p = strstr(out, "\to,0,2\t");
	TEST_ASSERT(p != NULL);
	left = strtoul(p + 7, NULL, 10);
	TEST_ASSERT(left <= 5000 && left > 4000);
	mem_deref(r);
	sessions_free(ss);
	return 0;
}

/* A dead node's call taken over (callshare.h): its outside leg bound on
 * that node's relay address (127.0.0.2 here, ours 127.0.0.1), the line
 * written back with that address at its end, and read back so (a
 * restart of the survivor) the same; the writer's address being ours
 * makes no difference to the line */
static int calls_taken_over(void)
{
	struct sessions *ss = NULL;
	struct rat *r = NULL;
	char line[1024], buf[1200], out[4096], want[1100], *fld[257];
	uint16_t port = base_port() + 16;
	struct sa dead, own;
	size_t n;

	TEST_EQ(sa_set_str(&dead, "127.0.0.2", 0), 0);
	TEST_EQ(sa_set_str(&own, "127.0.0.1", 0), 0);
	call_line(line, sizeof(line), port, "-");
	snprintf(want, sizeof(want), "%.*s\t127.0.0.2\n", (int)strlen(line) - 1,
	         line);

	TEST_EQ(relay(&r, &ss), 0);
	n = fields(buf, sizeof(buf), line, fld);
	TEST_EQ(rat_state_read(r, fld, n, 0, &dead), 0);
	TEST_ASSERT(!port_bindable_on(0x7f000002, port));
	TEST_ASSERT(!port_bindable_on(0x7f000002, port + 1));
	TEST_ASSERT(port_bindable(port)); /* not on ours */
	TEST_EQ(written(out, sizeof(out), rat_write, r), 0);
	TEST_STREQ(out, want);
	mem_deref(r);
	sessions_free(ss);
	TEST_ASSERT(port_bindable_on(0x7f000002, port));

	/* read back from the survivor's own state: the same */
	TEST_EQ(relay(&r, &ss), 0);
	n = fields(buf, sizeof(buf), want, fld);
	TEST_EQ(n, 9 + 2 * 13 + 1);
	TEST_EQ(rat_state_read(r, fld, n, 0, NULL), 0);
	TEST_EQ(written(out, sizeof(out), rat_write, r), 0);
	TEST_STREQ(out, want);
	mem_deref(r);
	sessions_free(ss);

	/* written by a node on our own address: ours */
	TEST_EQ(relay(&r, &ss), 0);
	n = fields(buf, sizeof(buf), line, fld);
	TEST_EQ(rat_state_read(r, fld, n, 0, &own), 0);
	TEST_ASSERT(!port_bindable(port));
	TEST_EQ(written(out, sizeof(out), rat_write, r), 0);
	TEST_STREQ(out, line);
	mem_deref(r);
	sessions_free(ss);

	/* a RELAY that is no address */
	TEST_EQ(relay(&r, &ss), 0);
	snprintf(want, sizeof(want), "%.*s\t-\n", (int)strlen(line) - 1, line);
	n = fields(buf, sizeof(buf), want, fld);
	TEST_EQ(rat_state_read(r, fld, n, 0, NULL), EINVAL);
	TEST_EQ(rat_count(r), 0);
	mem_deref(r);
	sessions_free(ss);
	return 0;
}

/* Each malformed record refused, nothing set up, no port kept */
static int calls_refused(void)
{
	static const struct {
		const char *from, *to;
	} bad[] = {
		{ "\t2\t0\t41000", "\t3\t0\t41000" },     /* stream count */
		{ "\ti,0,site-a\to", "\tx,0,site-a\to" }, /* side */
		{ "\ti,0,site-a\to", "\ti,0,\to" },       /* no HRAC */
		{ "\t10.77.1.5:4001", "\t10.77.1.5:x" },  /* address */
		{ "\t41000\t", "\t70000\t" },             /* port */
		{ "\t0\t41000", "\t9\t41000" },           /* stream index */
		{ "c\tcall-1@10.77.1.5", "c\t-" },        /* no Call-ID */
	};
	struct sessions *ss = NULL;
	struct rat *r = NULL;
	char line[1024], buf[1024], *fld[257];
	uint16_t port = base_port() + 12;

	TEST_EQ(relay(&r, &ss), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *p;
		size_t n;

		call_line(line, sizeof(line), port, "-");
		p = strstr(line, bad[i].from);
		TEST_ASSERT(p != NULL);
		memmove(p + strlen(bad[i].to), p + strlen(bad[i].from),
		        strlen(p + strlen(bad[i].from)) + 1);
		memcpy(p, bad[i].to, strlen(bad[i].to));
		n = fields(buf, sizeof(buf), line, fld);
		if (rat_state_read(r, fld, n, 0, NULL) != EINVAL) {
			fprintf(stderr, "record %zu taken: %s", i, line);
			return 1;
		}
		TEST_EQ(rat_count(r), 0);
		TEST_ASSERT(port_bindable(port));
	}
	/* a port another program holds: the call is not taken up */
	{
		struct sa a;
		struct udp_sock *us = NULL;
		size_t n;

		sa_set_str(&a, "0.0.0.0", port);
		TEST_EQ(udp_listen(&us, &a, NULL, NULL), 0);
		call_line(line, sizeof(line), port, "-");
		n = fields(buf, sizeof(buf), line, fld);
		TEST_EQ(rat_state_read(r, fld, n, 0, NULL), EADDRINUSE);
		TEST_EQ(rat_count(r), 0);
		mem_deref(us);
	}
	mem_deref(r);
	sessions_free(ss);
	return 0;
}

static const char dialog_line[] =
    "d\tcall-1@10.77.1.5\tft1\ttt1"
    "\ti,0,site-a\t10.77.1.5:5060\tUDP\tsip:alice@10.77.1.5:5060"
    "\to,1,2\t192.0.2.7:5070\tTCP\tsip:bob@192.0.2.7:5070;transport=tcp\n";

static int dialogs_round_trip(void)
{
	struct dialogs *ds = NULL;
	char buf[2048], out[2048], *fld[257];
	size_t n;

	TEST_EQ(dialogs_alloc(&ds, 1, 3600), 0);
	n = fields(buf, sizeof(buf), dialog_line, fld);
	TEST_EQ(dialogs_state_read(ds, fld, n), 0);
	TEST_EQ(dialogs_count(ds), 1);
	TEST_EQ(written(out, sizeof(out), dialogs_write, ds), 0);
	TEST_STREQ(out, dialog_line);
	n = fields(buf, sizeof(buf), dialog_line, fld);
	TEST_EQ(dialogs_state_read(ds, fld, n), ENOSPC); /* max 1 */
	mem_deref(ds);

	TEST_EQ(dialogs_alloc(&ds, 10, 3600), 0);
	n = fields(buf, sizeof(buf), dialog_line, fld);
	TEST_EQ(dialogs_state_read(ds, fld, n), 0);
	n = fields(buf, sizeof(buf), dialog_line, fld);
	TEST_EQ(dialogs_state_read(ds, fld, n), EEXIST);
	/* malformed: a transport we do not speak, a party with no address,
	 * a field missing */
	snprintf(out, sizeof(out), "%s", dialog_line);
	memcpy(strstr(out, "\tUDP\t"), "\tSCP\t", 5);
	n = fields(buf, sizeof(buf), out, fld);
	TEST_EQ(dialogs_state_read(ds, fld, n), EINVAL);
	snprintf(out, sizeof(out), "%s", dialog_line);
	memcpy(strstr(out, "10.77.1.5:5060\tUDP"), "-", 1);
	n = fields(buf, sizeof(buf), out, fld);
	TEST_EQ(dialogs_state_read(ds, fld, n), EINVAL);
	n = fields(buf, sizeof(buf), dialog_line, fld);
	TEST_EQ(dialogs_state_read(ds, fld, n - 1), EINVAL);
	TEST_EQ(dialogs_count(ds), 1);
	mem_deref(ds);
	return 0;
}

static void count_change(void *arg)
{
	(*(int *)arg)++;
}

/* What a restart must keep, changed: the calls file is told (a target
 * refresh, a BYE), and a dialog that ended is no longer written */
static int dialog_changes(void)
{
	struct dialogs *ds = NULL;
	char buf[2048], out[2048], *fld[257];
	struct dialog *d;
	struct pl uri;
	int changes = 0, k = -1;
	size_t n;

	TEST_EQ(dialogs_alloc(&ds, 10, 3600), 0);
	dialogs_on_change(ds, count_change, &changes);
	n = fields(buf, sizeof(buf), dialog_line, fld);
	TEST_EQ(dialogs_state_read(ds, fld, n), 0);
	TEST_EQ(changes, 0); /* read back: nothing new to write */
	{
		struct sip_msg *msg = NULL;
		struct mbuf *mb = mbuf_alloc(512);
		static const char bye[] =
		    "BYE sip:alice@10.77.1.5 SIP/2.0\r\n"
		    "Via: SIP/2.0/TCP 192.0.2.7:5070;branch=z9hG4bK-1\r\n"
		    "From: <sip:bob@x>;tag=tt1\r\nTo: <sip:alice@x>;tag=ft1\r\n"
		    "Call-ID: call-1@10.77.1.5\r\nCSeq: 2 BYE\r\n"
		    "Content-Length: 0\r\n\r\n";

		TEST_ASSERT(mb != NULL);
		TEST_EQ(mbuf_write_str(mb, bye), 0);
		mb->pos = 0;
		TEST_EQ(sip_msg_decode(&msg, mb), 0);
		d = dialogs_find(ds, msg, &k);
		mem_deref(msg);
		mem_deref(mb);
	}
	TEST_ASSERT(d != NULL);
	TEST_EQ(k, 1); /* the callee's */
	pl_set_str(&uri, "sip:bob@192.0.2.8:5080;transport=tcp");
	dialogs_target(ds, d, k, &uri);
	TEST_EQ(changes, 1);
	TEST_EQ(written(out, sizeof(out), dialogs_write, ds), 0);
	TEST_ASSERT(strstr(out, "\tsip:bob@192.0.2.8:5080;transport=tcp\n"));
	dialogs_bye(ds, d);
	TEST_EQ(changes, 2);
	TEST_EQ(written(out, sizeof(out), dialogs_write, ds), 0);
	TEST_STREQ(out, "");
	mem_deref(ds);
	return 0;
}

/* Values that would not read back are not written; fields split where
 * the tabs are, empty ones kept */
static int fields_exact(void)
{
	char buf[64], *fld[4];

	TEST_ASSERT(statefield_ok("abc"));
	TEST_ASSERT(!statefield_ok("-"));
	TEST_ASSERT(!statefield_ok("a\tb"));
	TEST_ASSERT(!statefield_ok("a\nb"));
	TEST_EQ(fields(buf, sizeof(buf), "a\t\tb\n", fld), 3);
	TEST_STREQ(fld[1], "");
	TEST_EQ(statefield_split(strcpy(buf, "1\t2\t3\t4\t5"), fld, 4), 5);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(writer_keeps_the_last),
		UNIT_TEST(writer_errors),
		UNIT_TEST(calls_round_trip),
		UNIT_TEST(calls_session_timer),
		UNIT_TEST(calls_refused),
		UNIT_TEST(calls_taken_over),
		UNIT_TEST(dialogs_round_trip),
		UNIT_TEST(dialog_changes),
		UNIT_TEST(fields_exact),
	};
	int r;

	snprintf(path, sizeof(path), "/tmp/sofw-callstate-%d", (int)getpid());
	if (libre_init())
		return 1;
	log_init("test_callstate", true, -1);
	r = unit_main("callstate", tests, ARRAY_SIZE(tests));
	unlink(path);
	libre_close();
	return r;
}
