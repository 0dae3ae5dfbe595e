/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file proxy.h  Stateful forwarding (RFC 3261 §16) on libre transactions
 *
 * A request is forwarded to one or more targets at once (parallel
 * forking); provisional responses and every 2xx go upstream as they
 * come; when all branches have answered, the best final response (§16.7)
 * does, with the challenges of all 401/407 answers combined.  A CANCEL
 * from upstream cancels every pending branch; a 2xx or 6xx cancels the
 * others.  INVITE branches run under Timer C (reset by each provisional
 * response), since libre's client transaction has none.
 */

struct sipsrv;
struct sip_msg;

/* Where one branch goes */
struct target {
	char ruri[SIPSRV_URI_MAX];  /* Request-URI of the branch */
	struct iface out;           /* the side it leaves by */
	struct sa addr;             /* inside: the phone as its HRAC sees it */
	char route[SIPSRV_URI_MAX]; /* outside: the next hop, a SIP URI */
	bool node;                  /* the next hop is another node */
};

struct fwd_opts {
	uint32_t popped;    /* Route values of ours to drop */
	bool record_route;  /* the request creates a dialog */
	struct iface in;    /* the side it came from */
	struct sa party;    /* its sender: an inside phone as its HRAC sees
	                       it, an outside party its source */
	enum sip_transp tp; /* outside: the sender's transport */
	int maxfwd;         /* Max-Forwards to send */
};

/* The final response of a transaction (§16.7) */
struct proxy_final {
	uint16_t code;
	const char *reason; /* ours; NULL when the best response is relayed */
	bool relay;         /* relay the best branch's response as it came */
};

struct proxy;

int proxy_alloc(struct proxy **pp, struct sipsrv *s, uint32_t timer_c,
                uint32_t max_tx);
void proxy_request(struct proxy *px, const struct sip_msg *msg,
                   const struct fwd_opts *o, const struct target *tv, size_t n);
void proxy_ack(struct proxy *px, const struct sip_msg *msg,
               const struct fwd_opts *o, const struct target *t);
bool proxy_stray_response(struct proxy *px, const struct sip_msg *msg);
uint64_t proxy_tx_life_ms(uint32_t timer_c);
bool proxy_better(uint16_t code, uint16_t best);
struct proxy_final proxy_final_for(bool have_best, uint16_t best,
                                   bool cancelled);
int proxy_target_outside(struct target *t, const char *ruri,
                         const struct sa *dst, enum sip_transp tp);
