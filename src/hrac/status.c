/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file status.c  What hrac says of itself: the status file, the status
 * line on SIGUSR1, the metrics file, and hrac --status reading them back
 *
 * The status file is one JSON object built as a libre odict, so every
 * string (a server URL, an error) is escaped by libre's encoder; hrac
 * --status prints it as text, or as it is with --json.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <re.h>
#include "conf.h"
#include "frame.h"
#include "chan.h"
#include "log.h"
#include "mono.h"
#include "secret.h"
#include "wholefile.h"
#include "tunnel.h"
#include "hrac.h"
#include "sip_lan.h"
#include "media_lan.h"
#include "sdnotify.h"
#include "status.h"

#ifndef SOFW_VERSION
#define SOFW_VERSION "0.1"
#endif

enum {
	TICK_MS = 1000,
	STATUS_MS = 5000,
	STATUS_FRESH_S = 15, /* --status: older means hrac is not running */
	STATUS_FILE_MAX = 65536,
};

static volatile sig_atomic_t status_asked;

static void on_usr1(int sig)
{
	(void)sig;
	status_asked = 1;
}

static int put_int(struct odict *o, const char *key, uint64_t v)
{
	return odict_entry_add(o, key, ODICT_INT, (int64_t)v);
}

static int tunnel_part(struct odict *o, const struct status *st)
{
	const struct tunnel_stats *ts = tunnel_stats(st->t);
	int err;

	/* open: frames pass now; session: HRAS may still know it */
	err = odict_entry_add(o, "open", ODICT_BOOL, status_tunnel_up(st));
	err |= odict_entry_add(o, "session", ODICT_BOOL, tunnel_is_open(st->t));
	err |= odict_entry_add(o, "server", ODICT_STRING, tunnel_server(st->t));
	err |= odict_entry_add(o, "path", ODICT_STRING, tunnel_path(st->t));
	err |=
	    odict_entry_add(o, "down", ODICT_STRING, tunnel_down_mode(st->t));
	err |= odict_entry_add(o, "up", ODICT_STRING, tunnel_up_mode(st->t));
	err |= put_int(o, "opens", ts->opens);
	err |= put_int(o, "bytes_down", ts->bytes_down);
	err |= put_int(o, "bytes_up", ts->bytes_up);
	if (st->last_open)
		err |= put_int(o, "last_open", (uint64_t)st->last_open);
	else
		err |= odict_entry_add(o, "last_open", ODICT_NULL);
	if (st->last_error[0])
		err |= odict_entry_add(o, "last_error", ODICT_STRING,
		                       st->last_error);
	else
		err |= odict_entry_add(o, "last_error", ODICT_NULL);
	return err;
}

static int media_part(struct odict *o, const struct status *st)
{
	const struct media_lan_stats *ms;
	const struct sa *ip;
	uint16_t lo, hi;
	char s[64];
	int err;

	ms = media_lan_stats(st->media, &ip, &lo, &hi);
	re_snprintf(s, sizeof(s), "%j", ip);
	err = odict_entry_add(o, "ip", ODICT_STRING, s);
	snprintf(s, sizeof(s), "%u-%u", lo, hi);
	err |= odict_entry_add(o, "ports", ODICT_STRING, s);
	err |= put_int(o, "pairs_open", ms->ports);
	err |= put_int(o, "packets_up", ms->up_pkts);
	err |= put_int(o, "packets_down", ms->down_pkts);
	err |= put_int(o, "drops_stranger", ms->drops_stranger);
	err |= put_int(o, "drops_closed", ms->drops_closed);
	return err;
}

static int add_object(struct odict *o, const char *key,
                      int (*fill)(struct odict *, const struct status *),
                      const struct status *st)
{
	struct odict *c;
	int err = odict_alloc(&c, 16);

	if (err)
		return err;
	err = fill(c, st);
	err |= odict_entry_add(o, key, ODICT_OBJECT, c);
	mem_deref(c);
	return err;
}

static int sip_part(struct odict *o, const struct status *st)
{
	struct sip_lan_counts c;
	int err;

	sip_lan_counts(st->lan, &c);
	err = odict_entry_add(o, "address", ODICT_STRING, st->cfg->sip);
	err |= put_int(o, "phones", c.phones);
	return err;
}

static int build(struct odict **op, const struct status *st)
{
	struct odict *o;
	int err = odict_alloc(&o, 16);

	if (err)
		return err;
	err |= odict_entry_add(o, "version", ODICT_STRING, SOFW_VERSION);
	err |= odict_entry_add(o, "id", ODICT_STRING, st->tc->id);
	err |= put_int(o, "pid", (uint64_t)getpid());
	err |= put_int(o, "uptime_s", (mono_ms() - st->started) / 1000);
	err |= put_int(o, "written", (uint64_t)time(NULL));
	err |= add_object(o, "tunnel", tunnel_part, st);
	err |= add_object(o, "sip", sip_part, st);
	err |= add_object(o, "media", media_part, st);
	if (err) {
		mem_deref(o);
		return err;
	}
	*op = o;
	return 0;
}

static int write_json(FILE *f, void *arg)
{
	const struct status *st = arg;
	struct odict *o = NULL;
	int err;

	err = build(&o, st);
	if (!err && re_fprintf(f, "%H\n", json_encode_odict, o) < 0)
		err = EIO;
	mem_deref(o);
	return err;
}

static int write_metrics(FILE *f, void *arg)
{
	struct mbuf *mb = mbuf_alloc(4096);
	int err;

	if (!mb)
		return ENOMEM;
	err = metrics_print(mb, arg);
	if (!err && fwrite(mb->buf, 1, mb->end, f) != mb->end)
		err = EIO;
	mem_deref(mb);
	return err;
}

/* Written whole, 0644: a reader never sees half; neither holds a
 * secret.  An error is logged when it starts, not every time */
static void write_file(const char *path, wholefile_write_h *wh,
                       struct status *st, int *last)
{
	int e = wholefile_replace(path, 0644, false, wh, st);

	if (e && e != *last)
		log_warn("%s: %s", path, strerror(e));
	else if (!e && *last)
		log_info("%s written again", path);
	*last = e;
}

static void write_metrics_file(struct status *st)
{
	if (!st->cfg->metrics_file)
		return;
	st->was_open = status_tunnel_up(st);
	write_file(st->cfg->metrics_file, write_metrics, st, &st->metrics_err);
}

/* One line for the log: the text status, its lines joined by ';' */
static int text_line(struct re_printf *pf, struct status *st)
{
	const struct tunnel_stats *ts = tunnel_stats(st->t);
	int err;

	err = re_hprintf(pf, "hrac %s as '%s', pid %d, up %llu s; ",
	                 SOFW_VERSION, st->tc->id, (int)getpid(),
	                 (unsigned long long)(mono_ms() - st->started) / 1000);
	err |= re_hprintf(
	    pf,
	    "tunnel: %s to %s, path %s, down %s, up %s, "
	    "%llu opens, %llu bytes down, %llu up; ",
	    status_tunnel_up(st) ? "open" : "not open", tunnel_server(st->t),
	    tunnel_path(st->t), tunnel_down_mode(st->t), tunnel_up_mode(st->t),
	    (unsigned long long)ts->opens, (unsigned long long)ts->bytes_down,
	    (unsigned long long)ts->bytes_up);
	err |= re_hprintf(pf, "sip: %s; %H", st->cfg->sip, media_lan_status,
	                  st->media);
	return err;
}

/* Each second: a change of the tunnel's state goes to the metrics file at
 * once (a broken stream is not always an event); every STATUS_MS, or
 * on SIGUSR1, both files */
static void tick(void *arg)
{
	struct status *st = arg;
	bool asked = status_asked;

	tmr_start(&st->tmr, TICK_MS, tick, st);
	/* the files first at the first tick, then every STATUS_MS */
	if (!asked && st->ticks++ % (STATUS_MS / TICK_MS)) {
		if (status_tunnel_up(st) != st->was_open)
			write_metrics_file(st);
		return;
	}
	if (asked) {
		char line[4096];

		status_asked = 0;
		re_snprintf(line, sizeof(line), "%H", text_line, st);
		log_info("status: %s", line);
	}
	if (st->cfg->status_file)
		write_file(st->cfg->status_file, write_json, st,
		           &st->status_err);
	write_metrics_file(st);
}

static void status_destructor(void *arg)
{
	struct status *st = arg;

	tmr_cancel(&st->tmr);
}

int status_alloc(struct status **sp, const struct hrac_conf *cfg,
                 const struct tunnel_conf *tc, struct tunnel *t,
                 struct sip_lan *lan, struct media_lan *media)
{
	struct status *st = mem_zalloc(sizeof(*st), status_destructor);

	if (!st)
		return ENOMEM;
	st->cfg = cfg;
	st->tc = tc;
	st->t = t;
	st->lan = lan;
	st->media = media;
	st->started = mono_ms();
	signal(SIGUSR1, on_usr1);
	tmr_init(&st->tmr);
	tmr_start(&st->tmr, 1000, tick, st);
	*sp = st;
	return 0;
}

/* The tunnel opened or failed: remembered for the status, and the
 * metrics file written at once if up or down changed */
/* systemd's STATUS= follows the tunnel (systemctl status shows it) */
static void tell_manager(const struct status *st, enum tunnel_event ev,
                         const char *msg)
{
	char line[512];

	if (ev == TUNNEL_OPENED)
		snprintf(line, sizeof(line), "STATUS=tunnel up to %s",
		         tunnel_server(st->t));
	else if (ev == TUNNEL_ERROR || ev == TUNNEL_REFUSED)
		snprintf(line, sizeof(line), "STATUS=tunnel down: %s",
		         msg ? msg : "");
	else
		return;
	(void)sdnotify(line);
}

void status_tunnel_event(struct status *st, enum tunnel_event ev,
                         const char *msg)
{
	if (!st)
		return;
	tell_manager(st, ev, msg);
	if (ev == TUNNEL_OPENED)
		st->last_open = (int64_t)time(NULL);
	if ((ev == TUNNEL_ERROR || ev == TUNNEL_REFUSED) && msg)
		snprintf(st->last_error, sizeof(st->last_error), "%s", msg);
	if (status_tunnel_up(st) != st->was_open)
		write_metrics_file(st);
}

bool status_tunnel_up(const struct status *st)
{
	return !st->closing && tunnel_is_up(st->t);
}

/* Going away: no status file says hrac runs; the metrics file stays,
 * saying the tunnel is down (a collector keeps the last file it read) */
void status_close(struct status *st)
{
	if (!st)
		return;
	tmr_cancel(&st->tmr);
	if (st->cfg->status_file)
		unlink(st->cfg->status_file);
	st->closing = true;
	write_metrics_file(st);
}

/* -- hrac --status ------------------------------------------------------ */

static const struct odict *object(const struct odict *o, const char *key)
{
	const struct odict_entry *e = odict_get_type(o, ODICT_OBJECT, key);

	return e ? e->u.odict : NULL;
}

static uint64_t num(const struct odict *o, const char *key)
{
	uint64_t v = 0;

	if (o)
		(void)odict_get_number(o, &v, key);
	return v;
}

static const char *str(const struct odict *o, const char *key)
{
	const char *s = o ? odict_string(o, key) : NULL;

	return s ? s : "?";
}

static void print_text(const struct odict *o)
{
	const struct odict *t = object(o, "tunnel"), *s = object(o, "sip");
	const struct odict *m = object(o, "media");
	bool open = false;
	time_t when;

	if (t)
		(void)odict_get_boolean(t, &open, "open");
	printf("hrac %s as '%s', pid %llu, up %llu s\n", str(o, "version"),
	       str(o, "id"), (unsigned long long)num(o, "pid"),
	       (unsigned long long)num(o, "uptime_s"));
	printf("tunnel: %s to %s, path %s, down %s, up %s, %llu opens, %llu "
	       "bytes down, %llu up\n",
	       open ? "open" : "not open", str(t, "server"), str(t, "path"),
	       str(t, "down"), str(t, "up"),
	       (unsigned long long)num(t, "opens"),
	       (unsigned long long)num(t, "bytes_down"),
	       (unsigned long long)num(t, "bytes_up"));
	when = (time_t)num(t, "last_open");
	if (when) {
		char buf[64];

		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC",
		         gmtime(&when));
		printf("tunnel: last opened %s\n", buf);
	}
	if (t && odict_string(t, "last_error"))
		printf("tunnel: last error: %s\n",
		       odict_string(t, "last_error"));
	printf("sip: %s, %llu phones seen\n", str(s, "address"),
	       (unsigned long long)num(s, "phones"));
	printf("media on %s ports %s: %llu pairs open, %llu packets up, %llu "
	       "down, %llu dropped (not a phone), %llu for closed ports\n",
	       str(m, "ip"), str(m, "ports"),
	       (unsigned long long)num(m, "pairs_open"),
	       (unsigned long long)num(m, "packets_up"),
	       (unsigned long long)num(m, "packets_down"),
	       (unsigned long long)num(m, "drops_stranger"),
	       (unsigned long long)num(m, "drops_closed"));
}

static int read_file(const char *path, char *buf, size_t size, size_t *n,
                     time_t *mtime)
{
	struct stat sb;
	FILE *f = fopen(path, "r");

	if (!f)
		return errno;
	if (fstat(fileno(f), &sb)) {
		fclose(f);
		return errno;
	}
	*n = fread(buf, 1, size - 1, f);
	buf[*n] = '\0';
	fclose(f);
	*mtime = sb.st_mtime;
	return 0;
}

/**
 * hrac --status [--json]: what the running hrac last wrote
 *
 * @return 0 the tunnel is open, 1 it is not, or hrac is not running (no
 * file, or one older than STATUS_FRESH_S), 2 usage
 */
int status_show(const struct hrac_conf *cfg)
{
	const struct odict *t;
	struct odict *o = NULL;
	bool open = false;
	long long age;
	time_t mtime = 0;
	char *buf;
	size_t n = 0;
	int rc;

	if (!cfg->status_file) {
		fprintf(stderr, "hrac: --status needs --status-file FILE (as "
		                "the running hrac has it)\n");
		return 2;
	}
	buf = malloc(STATUS_FILE_MAX);
	if (!buf)
		return 1;
	if (read_file(cfg->status_file, buf, STATUS_FILE_MAX, &n, &mtime) ||
	    json_decode_odict(&o, 32, buf, n, 8)) {
		fprintf(stderr,
		        "hrac: no status in %s: is hrac running with "
		        "--status-file?\n",
		        cfg->status_file);
		free(buf);
		return 1;
	}
	free(buf);
	age = (long long)(time(NULL) - mtime);
	t = object(o, "tunnel");
	if (t)
		(void)odict_get_boolean(t, &open, "open");
	rc = age > STATUS_FRESH_S || !open ? 1 : 0;
	if (cfg->json) {
		(void)odict_entry_add(o, "age_s", ODICT_INT, (int64_t)age);
		(void)odict_entry_add(o, "fresh", ODICT_BOOL,
		                      age <= STATUS_FRESH_S);
		re_printf("%H\n", json_encode_odict, o);
	} else {
		print_text(o);
	}
	fflush(stdout); /* the report first, then why it exits 1 */
	if (age > STATUS_FRESH_S)
		fprintf(stderr,
		        "hrac: the status is %lld s old: hrac is not "
		        "running\n",
		        age);
	else if (!open)
		fprintf(stderr, "hrac: the tunnel is down\n");
	mem_deref(o);
	return rc;
}
