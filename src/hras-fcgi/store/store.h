/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file store.h  The shared store: the state several hras-fcgi nodes share,
 * in Redis, or nothing at all (the single-node default, --store file)
 *
 * Loop thread only: two hiredis contexts (commands, and pub/sub) driven by
 * libre's loop (store_re.c).  Neither tunnel workers nor anything else
 * off the loop thread may call it.
 *
 * store_load() reads every value under a key pattern (SCAN, MGET) in
 * steps; store_home_*() keep each HRAC's home node (store_home.c).
 *
 * Every queue is bounded: at most cfg.max_pending commands are in flight
 * and at most cfg.max_queue wait (while Redis is away, or the flight is
 * full); one more is dropped, counted, logged, and its reply handler gets
 * ENOTCONN.  The store reconnects by itself (100 ms doubling to 2 s).
 *
 * Each node announces itself (store_node.c): the key sofw:node:<id>
 * ("<sip> <relay> <started>") with a 1.5 s TTL refreshed every 0.5 s, and
 * the same on the channel sofw:nodes, so that every node knows the others
 * and tells a dead one within 3 s (store_peer_h).
 */

struct redisReply;
struct store;
struct sa;
struct mbuf;

enum store_kind {
	STORE_FILE,  /* no shared store: --state files, one node */
	STORE_REDIS, /* redis:// or redis+unix:// */
};

enum {
	STORE_HOST_MAX = 256,
	STORE_PATH_MAX = 108, /* sun_path */
	STORE_USER_MAX = 64,
	STORE_PASSWORD_MAX = 256,
	STORE_NODE_MAX = 64, /* a node id */
	STORE_DB_MAX = 65535,
};

/* --store, parsed (store_url.c) */
struct store_url {
	enum store_kind kind;
	char host[STORE_HOST_MAX]; /* TCP; empty for unix */
	uint16_t port;
	char path[STORE_PATH_MAX]; /* redis+unix:// */
	char user[STORE_USER_MAX]; /* Redis 6 ACL user; empty: default */
	char password[STORE_PASSWORD_MAX];
	uint32_t db;
};

int store_url_parse(struct store_url *u, const char *url, char *err,
                    size_t errsz);
int store_url_print(char *buf, size_t size, const struct store_url *u);
bool store_node_id_valid(const char *id);

struct store_conf {
	char *url;           /* --store: "file" or a Redis URL */
	char *password_file; /* --store-password-file */
	char *node;          /* --node-id; NULL: the host name */
	char *node_sip;      /* --node-sip HOST:PORT: as other nodes reach it */
	uint32_t max_pending;
	uint32_t max_queue;
};

/* Redis came (@up) or went; after it came, the store has re-subscribed */
typedef void(store_conn_h)(bool up, void *arg);
/* A command's reply: @err 0 and @r, or ENOTCONN (lost, or dropped), or
 * EPROTO (@r is Redis's error) */
typedef void(store_reply_h)(int err, const struct redisReply *r, void *arg);
/* A message on a subscribed channel */
typedef void(store_msg_h)(const char *channel, const char *msg, size_t len,
                          void *arg);

/* Another node as it announces itself */
struct store_peer {
	char id[STORE_NODE_MAX];
	char sip[STORE_HOST_MAX];   /* HOST:PORT, "" if none */
	char relay[STORE_HOST_MAX]; /* its relay address, "" if none */
	uint64_t started;           /* its start, Unix seconds */
};
/* @p came up (@up), or was not heard of for STORE_NODE_DEAD_MS (@up false;
 * told only while this node's own store is up) */
typedef void(store_peer_h)(const struct store_peer *p, bool up, void *arg);

enum {
	/* a dead node's calls must have media again within 2 s of its
	 * crash: Redis expires its key at most 1.5 s after the last beat,
	 * and three beats fit in that, so one late beat is no death */
	STORE_NODE_TTL_MS = 1500,  /* sofw:node:<id> lives this long */
	STORE_NODE_BEAT_MS = 500,  /* and is refreshed this often */
	STORE_NODE_DEAD_MS = 1250, /* a node not heard this long is gone */
	STORE_WATCHERS = 8,        /* store_watch() handlers at most */
	STORE_CHANNELS = 16,       /* store_subscribe() channels at most */
	STORE_PEERS = 64,          /* nodes known at most */
	STORE_HRAC_MAX = 65,       /* an HRAC identity, and its NUL */
	STORE_HOMES = 200000,      /* HRAC homes known at most */
	STORE_HOME_TTL_S = 10,     /* sofw:home:<hrac> lives this long */
	STORE_SCAN_COUNT = 500,    /* keys per SCAN step of a load */
	STORE_PATTERN_MAX = 128,
};

/* A value read by store_load(); its end, with how many were read */
typedef void(store_value_h)(const char *v, size_t len, void *arg);
typedef void(store_done_h)(int err, uint32_t n, void *arg);
/* Is HRAC @id's session still up on this node? */
typedef bool(store_alive_h)(const char *id, void *arg);

int store_alloc(struct store **sp, const struct store_conf *cfg,
                store_conn_h *connh, void *arg);
bool store_shared(const struct store *s);
bool store_up(const struct store *s);
const char *store_node(const struct store *s);
int store_watch(struct store *s, store_conn_h *connh, void *arg);
int store_cmd(struct store *s, store_reply_h *replyh, void *arg,
              const char *fmt, ...);
int store_cmd_argv(struct store *s, store_reply_h *replyh, void *arg, int argc,
                   const char **argv, const size_t *argvlen);
void store_cancel(struct store *s, const void *arg);
int store_subscribe(struct store *s, const char *channel, store_msg_h *msgh,
                    void *arg);
int store_metrics(struct mbuf *mb, const struct store *s);
int store_load(struct store *s, const char *pattern, uint32_t max,
               store_value_h *valueh, store_done_h *doneh, void *arg);

/* The HRACs' home nodes (store_home.c) */
void store_home_set(struct store *s, const char *id);
const char *store_home_of(const struct store *s, const char *id);
void store_home_tick(struct store *s, store_alive_h *alive, void *arg);

/* The nodes (store_node.c) */
void store_set_relay(struct store *s, const char *relay);
int store_peer_watch(struct store *s, store_peer_h *peerh, void *arg);
const struct store_peer *store_peer_find(const struct store *s, const char *id);
const struct store_peer *store_peer_by_sip(const struct store *s,
                                           const struct sa *addr);
size_t store_peers(const struct store *s, const struct store_peer **v,
                   size_t max);
