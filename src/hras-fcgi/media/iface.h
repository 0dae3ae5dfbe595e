/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file iface.h  A side of the server: outside, or the inside of a site
 *
 * HRAS and its HRACs act as one SIP server with many interfaces: the
 * outside (HRAS's public address) and, for each HRAC, the inside of its
 * site.  Signalling and media cross from one side to another; a call
 * whose two parties are on the same side needs no tunnel.  Used by sip/
 * (where a message came from, where it goes) and media/ (the two sides
 * of a call).
 */

struct iface {
	bool inside;
	char hrac[HRACS_ID_MAX + 1]; /* inside: the site's HRAC */
	bool tcp;                    /* the party on this side uses TCP */
	int af; /* outside: the party's address family (0: not known) */
};

static inline bool iface_same(const struct iface *a, const struct iface *b)
{
	return a->inside == b->inside &&
	       (!a->inside || !strcmp(a->hrac, b->hrac));
}

/* In state files (statefield.h): "o,TCP,AF" or "i,TCP,HRAC" */
void iface_state_write(FILE *f, const struct iface *s);
int iface_state_read(struct iface *s, const char *fld);
