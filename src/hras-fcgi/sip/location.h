/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file location.h  The location service: address of record -> bindings
 *
 * A binding says where a registered phone is reachable: for an inside
 * phone, the HRAC identity and the phone's address as that HRAC sees it
 * (never the address alone: two sites may share a private plan); for an
 * outside phone, the address and transport that reach it: its Contact,
 * or behind NAT where it registered from (registrar.c reach_of()).
 *
 * Loop thread only.  Bounded in total and per address of record.
 * Persisted to a state file with atomic writes, so a restart keeps the
 * registrations; among several nodes, also written through to the shared
 * store (loc_store.c), which tells each change here (location_watch) and
 * applies the other nodes' changes without being told back
 * (location_apply, location_apply_del).
 */

enum {
	LOC_AOR_MAX = 256, /* "user@domain" */
	LOC_CONTACT_MAX = 512,
	LOC_CALLID_MAX = 256,
	LOC_UA_MAX = 128,
	LOC_NODE_MAX = 64,
	LOC_LINE_MAX = 2048, /* a binding as a line */
};

struct binding {
	struct le le; /* in its aor, highest q first */
	char aor[LOC_AOR_MAX];
	char contact[LOC_CONTACT_MAX]; /* the Contact URI, no brackets */
	uint32_t q;                    /* q-value x 1000 */
	uint64_t expires;              /* wall clock, seconds */
	char callid[LOC_CALLID_MAX];
	uint32_t cseq;
	char ua[LOC_UA_MAX];
	bool inside;
	char hrac[HRACS_ID_MAX + 1]; /* inside: through this HRAC */
	bool tcp;                    /* inside: the phone uses TCP */
	struct sa addr;              /* inside: as the HRAC sees it;
	                                outside: where it registered from */
	enum sip_transp tp;          /* outside: its transport */
	char node[LOC_NODE_MAX];     /* the node that took its REGISTER;
	                                "" with one node */
};

/* A binding was set (@removed false) or removed here, not by apply */
typedef void(location_change_h)(const struct binding *b, bool removed,
                                void *arg);
/* One binding of the table */
typedef void(location_each_h)(const struct binding *b, void *arg);

struct location;

int location_alloc(struct location **lp, uint32_t max_total,
                   uint32_t max_per_aor, const char *state_path);
int location_save(struct location *l);
int location_sync(struct location *l);
int location_set(struct location *l, const struct binding *b);
void location_remove(struct location *l, const char *aor, const char *contact);
void location_remove_all(struct location *l, const char *aor);
const struct list *location_lookup(struct location *l, const char *aor);
uint32_t location_count(const struct location *l);
bool location_aor_known(struct location *l, const char *aor);
void location_aor_norm(char *aor);
uint64_t location_now(void);
int location_rr_key(struct location *l, uint8_t key[32]);
void location_watch(struct location *l, location_change_h *h, void *arg);
int location_apply(struct location *l, const struct binding *b, bool newer);
void location_apply_del(struct location *l, const char *aor,
                        const char *contact);
void location_foreach(struct location *l, location_each_h *h, void *arg);
int location_line(char *buf, size_t size, const struct binding *b);
int location_parse(struct binding *b, char *line);
