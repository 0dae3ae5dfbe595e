/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file store_priv.h  What store.c and store_node.c share; not for users
 */

struct redisAsyncContext;

/* One hiredis context: commands, or pub/sub */
struct store_conn {
	struct store *s;
	struct redisAsyncContext *ac; /* NULL while away */
	const char *name;             /* "commands" or "pub/sub" */
	bool sub;
	bool up;        /* connected, AUTH and SELECT sent (sub: subscribed) */
	bool told_down; /* the loss of this streak is logged */
	bool busy;      /* cmd: Redis takes no commands now; reconnecting */
	uint32_t backoff;     /* ms before the next attempt */
	uint64_t up_at;       /* mono ms it connected */
	uint32_t subs_wanted; /* sub: SUBSCRIBE confirmations awaited */
	struct tmr tmr;       /* the next attempt, or the connect timeout */
};

struct store_watcher {
	store_conn_h *h;
	void *arg;
};

struct store_channel {
	char *name;
	store_msg_h *h;
	void *arg;
};

struct store_peer_ent {
	struct store_peer p;
	uint64_t seen; /* mono ms */
};

struct store_peer_watcher {
	store_peer_h *h;
	void *arg;
};

struct store {
	struct store_url url;
	char url_log[512]; /* the URL without its password */
	char node[STORE_NODE_MAX];
	char node_sip[STORE_HOST_MAX];
	char relay[STORE_HOST_MAX];
	uint64_t started; /* Unix seconds */
	uint32_t max_pending, max_queue;
	bool closing; /* the destructor runs: reply to nobody */
	bool up;      /* both contexts up: what watchers were told */

	struct store_conn cmd, sub;
	struct list queue;   /* struct store_req waiting */
	struct list pending; /* struct store_req in flight */
	uint32_t nqueue, npending;
	uint32_t nput_back; /* at the queue's head: answered "not now" on
	                     * the connection being closed */
	bool told_busy;     /* "takes no commands now" said, not yet undone */

	struct store_watcher watchers[STORE_WATCHERS];
	size_t nwatchers;
	struct store_channel channels[STORE_CHANNELS];
	size_t nchannels;

	/* the nodes (store_node.c) */
	struct tmr beat;
	uint32_t half_beats;
	struct store_peer_ent peers[STORE_PEERS];
	size_t npeers;
	struct store_peer_watcher peer_watchers[STORE_WATCHERS];
	size_t npeer_watchers;
	uint64_t up_since; /* mono ms the store came up */

	/* the HRACs' homes (store_home.c), the loads (store_load.c) */
	struct hash *homes;
	uint32_t nhomes;
	struct list loads;

	/* metrics */
	uint64_t commands, errors, dropped, connects, last_drop_log;
};

int store_node_start(struct store *s);
void store_node_stop(struct store *s);
void store_node_conn(struct store *s, bool up);
int store_home_start(struct store *s);
void store_home_stop(struct store *s);
void store_load_abort(struct store *s, const void *arg);
