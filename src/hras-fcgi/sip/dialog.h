/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file dialog.h  The dialogs HRAS proxies: who is in them, and where
 *
 * A dialog (RFC 3261 §12) is recorded when a response with a To tag to a
 * dialog-creating request (INVITE, SUBSCRIBE, REFER) goes upstream: the
 * caller and the callee, each with its side, its address (an inside
 * phone as its HRAC sees it; an outside party where its signalling came
 * from) and its remote target (Contact).  A request inside a dialog is
 * forwarded only if it comes from one of its parties, from that party's
 * side, and only to the other party's recorded address: never to an
 * address the request itself names.
 *
 * Bounded (--max-dialogs); a dialog ends 32 s after its BYE (so that a
 * challenged BYE can be resent), when its INVITE fails (an early
 * dialog), or --dialog-max after its last request.  Loop thread only.
 */

struct sip_msg;

struct dialog_party {
	struct iface side;
	struct sa addr;     /* see above */
	enum sip_transp tp; /* outside: its transport */
	char target[SIPSRV_URI_MAX];
};

struct dialog {
	struct le he; /* by Call-ID */
	struct le le; /* all, for the sweep */
	char callid[256];
	char tag[2][128]; /* the caller's (From), the callee's (To) */
	struct dialog_party party[2];
	bool confirmed;   /* a 2xx, not only a provisional response */
	bool ended;       /* BYE seen */
	uint64_t expires; /* ms, monotonic */
};

struct dialogs;

typedef void(dialogs_change_h)(void *arg);

int dialogs_alloc(struct dialogs **dsp, uint32_t max, uint32_t ttl_s);
int dialogs_save(struct dialogs *ds, const struct sip_msg *resp,
                 const struct dialog_party *caller,
                 const struct dialog_party *callee);
struct dialog *dialogs_find(struct dialogs *ds, const struct sip_msg *req,
                            int *k);
void dialogs_touch(struct dialogs *ds, struct dialog *d);
void dialogs_bye(struct dialogs *ds, struct dialog *d);
void dialogs_target(struct dialogs *ds, struct dialog *d, int k,
                    const struct pl *uri);
void dialogs_failed(struct dialogs *ds, const struct sip_msg *req);
uint32_t dialogs_count(const struct dialogs *ds);
uint32_t dialogs_active(const struct dialogs *ds);
void dialogs_on_change(struct dialogs *ds, dialogs_change_h *h, void *arg);
int dialogs_state_write(FILE *f, struct dialogs *ds);
int dialogs_state_read(struct dialogs *ds, char *const *fld, size_t n);
