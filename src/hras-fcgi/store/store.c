/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file store.c  The shared store: two hiredis contexts, their reconnects,
 * the bounded command queue, the subscriptions, the metrics
 *
 * A command is formatted when asked for (hiredis's printf-like verbs) and
 * kept whole until Redis has answered it, so that one asked for while
 * Redis is away is sent once it is back: the store is a write-behind
 * cache's tail, and the nodes' memory is the cache.  What is in flight
 * when the connection drops is lost (its handler is told ENOTCONN); the
 * users write their state back when the store comes up again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <re.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include "log.h"
#include "mono.h"
#include "prom.h"
#include "secret.h"
#include "store.h"
#include "store_priv.h"
#include "store_re.h"

enum {
	BACKOFF_MIN_MS = 100,
	BACKOFF_MAX_MS = 2000,
	CONNECT_TIMEOUT_MS = 2000, /* hiredis 0.14 has none of its own */
	DROP_LOG_MS = 10000,       /* one drop line per this, at most */
	PENDING_DEFAULT = 1024,
	QUEUE_DEFAULT = 65536,
};

struct store_req {
	struct le le;
	struct store *s;
	store_reply_h *h;
	void *arg;
	char *cmd; /* the command on the wire (hiredis formatted) */
	int len;
	bool put_back; /* answered "not now" once */
};

static void conn_connect(struct store_conn *c);
static void pump(struct store *s);

static void req_free(struct store_req *r)
{
	list_unlink(&r->le);
	redisFreeCommand(r->cmd);
	mem_deref(r);
}

static void reply_to(struct store_req *r, int err, const redisReply *rep)
{
	store_reply_h *h = r->h;
	void *arg = r->arg;
	struct store *s = r->s;

	req_free(r);
	if (h && !s->closing)
		h(err, rep, arg);
}

/* Both contexts up or not: tell the watchers when that changes */
static void tell_watchers(struct store *s)
{
	bool up = s->cmd.up && s->sub.up;

	if (up == s->up || s->closing)
		return;
	s->up = up;
	if (up) {
		s->up_since = mono_ms();
		log_info("store: up, %s (node %s)", s->url_log, s->node);
	}
	if (!up)
		store_load_abort(s, NULL); /* each load starts anew */
	store_node_conn(s, up);
	for (size_t i = 0; i < s->nwatchers; i++)
		s->watchers[i].h(up, s->watchers[i].arg);
	if (up)
		pump(s);
}

static void on_retry(void *arg)
{
	conn_connect(arg);
}

static void retry_later(struct store_conn *c)
{
	tmr_start(&c->tmr, c->backoff, on_retry, c);
	c->backoff = min(c->backoff * 2, (uint32_t)BACKOFF_MAX_MS);
}

/* The context went (or never came): say so once per streak, retry */
static void conn_lost(struct store_conn *c, const char *why)
{
	struct store *s = c->s;
	bool was_up = c->up;
	/* a connection that lived retries soon and is news; one closed at
	 * once (protected mode, a wrong password) backs off, said once */
	bool lived =
	    was_up && !c->busy && mono_ms() - c->up_at > BACKOFF_MAX_MS;

	c->ac = NULL;
	c->up = false;
	c->busy = false;
	if (s->closing)
		return;
	if (lived) {
		c->told_down = false;
		c->backoff = BACKOFF_MIN_MS;
	}
	if (!c->told_down)
		log_warn("store: %s connection to %s %s: %s; retrying every "
		         "%u ms at most",
		         c->name, s->url_log, was_up ? "lost" : "failed", why,
		         (unsigned)BACKOFF_MAX_MS);
	c->told_down = true;
	tell_watchers(s);
	retry_later(c);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct store_conn *c = ac->data;

	if (c && c->ac == ac)
		conn_lost(c, ac->errstr[0] ? ac->errstr : "closed");
}

static void on_auth(redisAsyncContext *ac, void *rv, void *priv)
{
	struct store_conn *c = priv;
	redisReply *r = rv;

	if (!r || r->type != REDIS_REPLY_ERROR || c->s->closing)
		return;
	c->s->errors++;
	redisAsyncDisconnect(ac);
	if (c->told_down)
		return; /* said already, at the first refusal */
	/* a wrong password is the operator's to fix: say it, and keep
	 * trying (the password file may be fixed, or Redis's config) */
	log_error("store: %s refused the login or the db (%s): check "
	          "--store-password-file, the URL and Redis's requirepass/ACL",
	          c->s->url_log, r->str);
}

static void login(struct store_conn *c)
{
	const struct store_url *u = &c->s->url;

	if (u->password[0] && u->user[0])
		redisAsyncCommand(c->ac, on_auth, c, "AUTH %s %s", u->user,
		                  u->password);
	else if (u->password[0])
		redisAsyncCommand(c->ac, on_auth, c, "AUTH %s", u->password);
	if (!c->sub && u->db)
		redisAsyncCommand(c->ac, on_auth, c, "SELECT %u", u->db);
}

static void on_message(redisAsyncContext *ac, void *rv, void *priv)
{
	struct store_channel *ch = priv;
	struct store_conn *c = ac->data;
	redisReply *r = rv;

	if (!r || !c || c->s->closing || r->type != REDIS_REPLY_ARRAY ||
	    r->elements != 3 || r->element[0]->type != REDIS_REPLY_STRING)
		return;
	if (!strcmp(r->element[0]->str, "subscribe")) {
		if (c->subs_wanted && !--c->subs_wanted) {
			c->up = true;
			tell_watchers(c->s);
		}
		return;
	}
	if (strcmp(r->element[0]->str, "message") ||
	    r->element[2]->type != REDIS_REPLY_STRING)
		return;
	ch->h(ch->name, r->element[2]->str, r->element[2]->len, ch->arg);
}

static void subscribe_one(struct store_conn *c, struct store_channel *ch)
{
	c->subs_wanted++;
	redisAsyncCommand(c->ac, on_message, ch, "SUBSCRIBE %s", ch->name);
}

static void on_connect(const redisAsyncContext *cac, int status)
{
	struct store_conn *c = cac->data;
	redisAsyncContext *ac = (redisAsyncContext *)cac;

	if (!c || c->ac != ac)
		return;
	tmr_cancel(&c->tmr);
	if (status != REDIS_OK) {
		/* hiredis frees the context after this returns */
		ac->data = NULL;
		conn_lost(c, ac->errstr[0] ? ac->errstr : "cannot connect");
		return;
	}
	c->s->connects++;
	c->up_at = mono_ms();
	login(c);
	if (!c->sub) {
		c->up = true;
		tell_watchers(c->s);
		return;
	}
	c->subs_wanted = 0;
	for (size_t i = 0; i < c->s->nchannels; i++)
		subscribe_one(c, &c->s->channels[i]);
	if (!c->s->nchannels) {
		c->up = true;
		tell_watchers(c->s);
	}
}

static void connect_timeout(void *arg)
{
	struct store_conn *c = arg;
	redisAsyncContext *ac = c->ac;

	ac->data = NULL;
	redisAsyncFree(ac);
	conn_lost(c, "no answer in time");
}

static void conn_connect(struct store_conn *c)
{
	const struct store_url *u = &c->s->url;
	redisAsyncContext *ac;

	ac = u->path[0] ? redisAsyncConnectUnix(u->path)
	                : redisAsyncConnect(u->host, u->port);
	if (!ac || ac->err) {
		char why[128];

		snprintf(why, sizeof(why), "%s",
		         ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		conn_lost(c, why);
		return;
	}
	if (store_re_attach(ac)) {
		redisAsyncFree(ac);
		conn_lost(c, "out of memory");
		return;
	}
	ac->data = c;
	c->ac = ac;
	/* the connect callback arms the first write: attached before */
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	tmr_start(&c->tmr, CONNECT_TIMEOUT_MS, connect_timeout, c);
}

/* Redis answers so while it cannot take a command now, whatever the
 * command: a replica (READONLY: a floating address mid-failover, a
 * master demoted), a dataset loading (LOADING), a master short of
 * replicas (MASTERDOWN, NOREPLICAS), a script running (BUSY) */
static bool not_now(const redisReply *rep)
{
	static const char *const codes[] = { "LOADING",    "READONLY",
		                             "MASTERDOWN", "NOREPLICAS",
		                             "BUSY",       "TRYAGAIN" };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		size_t n = strlen(codes[i]);

		if (rep->len >= n && !strncmp(rep->str, codes[i], n) &&
		    (rep->len == n || rep->str[n] == ' '))
			return true;
	}
	return false;
}

/* @r waits again, behind those answered so on this connection before
 * it (replies come in the order sent, and all in flight were sent before
 * all that waits), and the commands connection is made anew after its
 * backoff: a change is not lost because Redis was not ready for it */
static void put_back(struct store *s, struct store_req *r, const char *why)
{
	struct store_conn *c = &s->cmd;
	struct le *after = NULL, *le = s->queue.head;

	if (!c->busy)
		s->nput_back = 0; /* the first of this connection */
	list_unlink(&r->le);
	for (uint32_t i = 0; i < s->nput_back && le; i++) {
		after = le;
		le = le->next;
	}
	if (after)
		list_insert_after(&s->queue, after, &r->le, r);
	else
		list_prepend(&s->queue, &r->le, r);
	s->nput_back++;
	s->nqueue++;
	r->put_back = true;
	if (!s->told_busy)
		log_warn("store: %s takes no commands now (%s): they wait, "
		         "and the connection is made again every %u ms at "
		         "most",
		         s->url_log, why, (unsigned)BACKOFF_MAX_MS);
	s->told_busy = true;
	if (c->busy || !c->ac)
		return;
	c->busy = true;
	c->told_down = true; /* said just now */
	/* hiredis reads the replies in flight first: each comes back here */
	redisAsyncDisconnect(c->ac);
}

static void on_reply(redisAsyncContext *ac, void *rv, void *priv)
{
	struct store_req *r = priv;
	redisReply *rep = rv;
	struct store *s = r->s;

	s->npending--;
	if (!rep) {
		/* the context is going: nothing more is sent on it */
		reply_to(r, ENOTCONN, NULL);
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR && not_now(rep) && !s->closing) {
		s->errors++;
		put_back(s, r, rep->str);
		return;
	}
	if (r->put_back && s->told_busy) {
		s->told_busy = false;
		log_info("store: %s takes commands again", s->url_log);
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		s->errors++;
		log_debug("store: Redis error: %s", rep->str);
		reply_to(r, EPROTO, rep);
	} else {
		reply_to(r, 0, rep);
	}
	if (!s->closing)
		pump(s);
}

/* @return false if the context takes no more (it is going) */
static bool issue(struct store *s, struct store_req *r)
{
	if (redisAsyncFormattedCommand(s->cmd.ac, on_reply, r, r->cmd,
	                               (size_t)r->len) != REDIS_OK)
		return false; /* stays first in the queue */
	list_unlink(&r->le);
	list_append(&s->pending, &r->le, r);
	s->npending++;
	s->nqueue--;
	s->commands++;
	return true;
}

/* Send what waits, as far as the flight allows */
static void pump(struct store *s)
{
	while (s->cmd.up && !s->cmd.busy && s->cmd.ac &&
	       s->npending < s->max_pending && s->queue.head) {
		if (!issue(s, s->queue.head->data))
			break;
	}
}

static void drop(struct store *s, struct store_req *r)
{
	uint64_t now = mono_ms();

	s->dropped++;
	if (!s->last_drop_log || now - s->last_drop_log >= DROP_LOG_MS) {
		s->last_drop_log = now;
		log_warn("store: %u commands wait for %s (at most %u): "
		         "dropped %llu so far; the shared state misses them "
		         "until the nodes write it again",
		         s->nqueue, s->url_log, s->max_queue,
		         (unsigned long long)s->dropped);
	}
	reply_to(r, ENOTCONN, NULL);
}

static int enqueue(struct store *s, store_reply_h *h, void *arg, char *cmd,
                   int len)
{
	struct store_req *r;

	if (len < 0)
		return ENOMEM;
	r = mem_zalloc(sizeof(*r), NULL);
	if (!r) {
		redisFreeCommand(cmd);
		return ENOMEM;
	}
	r->s = s;
	r->h = h;
	r->arg = arg;
	r->cmd = cmd;
	r->len = len;
	list_append(&s->queue, &r->le, r);
	if (s->nqueue >= s->max_queue) {
		drop(s, r);
		return 0;
	}
	s->nqueue++;
	pump(s);
	return 0;
}

/**
 * Send a command (hiredis's verbs: %s a string, %b a buffer and its
 * length); @replyh, if any, is called once with its reply, or ENOTCONN
 * if it was dropped or lost
 *
 * @return 0 (queued or sent; the reply says the rest), ENOTSUP without a
 * shared store, EINVAL for a malformed format
 */
int store_cmd(struct store *s, store_reply_h *replyh, void *arg,
              const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	int len;

	if (!store_shared(s))
		return ENOTSUP;
	va_start(ap, fmt);
	len = redisvFormatCommand(&cmd, fmt, ap);
	va_end(ap);
	if (len == -2)
		return EINVAL;
	return enqueue(s, replyh, arg, cmd, len);
}

/* The same with arguments counted (binary-safe) */
int store_cmd_argv(struct store *s, store_reply_h *replyh, void *arg, int argc,
                   const char **argv, const size_t *argvlen)
{
	char *cmd = NULL;
	int len;

	if (!store_shared(s))
		return ENOTSUP;
	len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
	return enqueue(s, replyh, arg, cmd, len);
}

static void cancel_in(struct list *l, const void *arg)
{
	for (struct le *le = l->head; le; le = le->next) {
		struct store_req *r = le->data;

		if (r->arg == arg)
			r->h = NULL;
	}
}

/* @arg is going: no reply handler is called with it any more (its
 * commands are still sent) */
void store_cancel(struct store *s, const void *arg)
{
	if (!s)
		return;
	cancel_in(&s->queue, arg);
	cancel_in(&s->pending, arg);
	store_load_abort(s, arg);
}

/**
 * Hear @channel: @msgh gets each message published on it, from the next
 * (re)connect on if the store is up now
 */
int store_subscribe(struct store *s, const char *channel, store_msg_h *msgh,
                    void *arg)
{
	struct store_channel *ch;

	if (!store_shared(s))
		return ENOTSUP;
	if (s->nchannels >= STORE_CHANNELS)
		return ENOSPC;
	ch = &s->channels[s->nchannels];
	if (str_dup(&ch->name, channel))
		return ENOMEM;
	ch->h = msgh;
	ch->arg = arg;
	s->nchannels++;
	if (s->sub.ac && s->sub.up)
		subscribe_one(&s->sub, ch);
	return 0;
}

/* Be told too when Redis comes and goes */
int store_watch(struct store *s, store_conn_h *connh, void *arg)
{
	if (!connh)
		return EINVAL;
	if (s->nwatchers >= STORE_WATCHERS)
		return ENOSPC;
	s->watchers[s->nwatchers].h = connh;
	s->watchers[s->nwatchers].arg = arg;
	s->nwatchers++;
	return 0;
}

bool store_shared(const struct store *s)
{
	return s && s->url.kind == STORE_REDIS;
}

bool store_up(const struct store *s)
{
	return store_shared(s) && s->up;
}

const char *store_node(const struct store *s)
{
	return s ? s->node : "";
}

static void conn_close(struct store_conn *c)
{
	tmr_cancel(&c->tmr);
	if (c->ac) {
		redisAsyncContext *ac = c->ac;

		c->ac = NULL;
		ac->data = NULL;
		redisAsyncFree(ac);
	}
}

static void destructor(void *arg)
{
	struct store *s = arg;

	s->closing = true;
	store_load_abort(s, NULL);
	store_node_stop(s);
	store_home_stop(s);
	conn_close(&s->sub);
	conn_close(&s->cmd);
	while (s->queue.head)
		req_free(s->queue.head->data);
	while (s->pending.head)
		req_free(s->pending.head->data);
	for (size_t i = 0; i < s->nchannels; i++)
		mem_deref(s->channels[i].name);
	memset(&s->url, 0, sizeof(s->url)); /* the password */
}

static int read_password(struct store *s, const struct store_conf *cfg)
{
	char err[512];
	int e;

	if (!cfg->password_file)
		return 0;
	e = secret_file_read(cfg->password_file, s->url.password,
	                     sizeof(s->url.password), err, sizeof(err));
	if (e)
		log_error("store: %s", err);
	return e;
}

static void conn_init(struct store *s, struct store_conn *c, bool sub)
{
	c->s = s;
	c->sub = sub;
	c->name = sub ? "pub/sub" : "commands";
	c->backoff = BACKOFF_MIN_MS;
	tmr_init(&c->tmr);
}

/**
 * Make the store that @cfg names; for Redis, start connecting (the store
 * is not up before the loop runs) and announcing this node
 *
 * @param connh told when Redis comes and goes (may be NULL)
 * @return 0, or an errno (logged)
 */
int store_alloc(struct store **sp, const struct store_conf *cfg,
                store_conn_h *connh, void *arg)
{
	struct store *s;
	char err[512];
	int e;

	s = mem_zalloc(sizeof(*s), destructor);
	if (!s)
		return ENOMEM;
	list_init(&s->queue);
	list_init(&s->pending);
	list_init(&s->loads);
	conn_init(s, &s->cmd, false);
	conn_init(s, &s->sub, true);
	tmr_init(&s->beat);
	s->started = (uint64_t)time(NULL);
	s->max_pending = cfg->max_pending ? cfg->max_pending : PENDING_DEFAULT;
	s->max_queue = cfg->max_queue ? cfg->max_queue : QUEUE_DEFAULT;
	e = store_url_parse(&s->url, cfg->url, err, sizeof(err));
	if (e) {
		log_error("%s", err);
		goto out;
	}
	if (cfg->node)
		snprintf(s->node, sizeof(s->node), "%s", cfg->node);
	else if (gethostname(s->node, sizeof(s->node)))
		snprintf(s->node, sizeof(s->node), "hras");
	s->node[sizeof(s->node) - 1] = '\0';
	if (cfg->node_sip)
		snprintf(s->node_sip, sizeof(s->node_sip), "%s", cfg->node_sip);
	if (!store_node_id_valid(s->node)) {
		log_error("store: node id '%s': letters, digits, '.', '-' and "
		          "'_' only; give --node-id",
		          s->node);
		e = EINVAL;
		goto out;
	}
	if (connh)
		(void)store_watch(s, connh, arg);
	if (s->url.kind == STORE_FILE)
		goto out;
	e = read_password(s, cfg);
	e = e ? e : store_url_print(s->url_log, sizeof(s->url_log), &s->url);
	e = e ? e : store_node_start(s);
	e = e ? e : store_home_start(s);
	if (e)
		goto out;
	log_info("store: %s, node %s; connecting", s->url_log, s->node);
	conn_connect(&s->sub);
	conn_connect(&s->cmd);
out:
	if (e)
		mem_deref(s);
	else
		*sp = s;
	return e;
}

int store_metrics(struct mbuf *mb, const struct store *s)
{
	int err;

	if (!store_shared(s))
		return 0;
	err = prom_one(mb, "sofw_hras_store_up", PROM_GAUGE,
	               "1 while the shared store (Redis) is connected",
	               s->up ? 1 : 0);
	err |= prom_one(mb, "sofw_hras_store_commands_total", PROM_COUNTER,
	                "commands sent to the shared store", s->commands);
	err |= prom_one(mb, "sofw_hras_store_errors_total", PROM_COUNTER,
	                "commands the shared store refused", s->errors);
	err |= prom_one(mb, "sofw_hras_store_dropped_total", PROM_COUNTER,
	                "commands dropped while the store was away and its "
	                "queue full",
	                s->dropped);
	err |= prom_one(mb, "sofw_hras_store_connects_total", PROM_COUNTER,
	                "connections made to the shared store", s->connects);
	err |= prom_one(mb, "sofw_hras_store_queued", PROM_GAUGE,
	                "commands waiting to be sent", s->nqueue);
	err |= prom_one(mb, "sofw_hras_store_nodes", PROM_GAUGE,
	                "nodes heard of, this one included", s->npeers + 1);
	return err;
}
