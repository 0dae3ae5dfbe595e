/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_location.c  The location service: bounds, lookup, removal,
 * and the state file (save and load, the Record-Route key)
 *
 * The state file is written by location_save(), which the destructor
 * calls when something changed; the once-a-second timer only calls it
 * too, so no loop has to run here.
 */
#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <re.h>
#include "log.h"
#include "hracs.h"
#include "location.h"
#include "unit.h"

static char path[64], tmp[80];

/* Files beside the state file whose name starts with its own */
static int leftovers(void)
{
	char pattern[96];
	glob_t g;
	int n;

	snprintf(pattern, sizeof(pattern), "%s.*", path);
	if (glob(pattern, 0, NULL, &g))
		return 0;
	n = (int)g.gl_pathc;
	globfree(&g);
	return n;
}

static void paths(void)
{
	snprintf(path, sizeof(path), "/tmp/sofw-location-%d", (int)getpid());
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(path);
	unlink(tmp);
}

static struct binding outside(const char *aor, const char *contact, uint32_t q,
                              uint64_t expires)
{
	struct binding b;

	memset(&b, 0, sizeof(b));
	snprintf(b.aor, sizeof(b.aor), "%s", aor);
	snprintf(b.contact, sizeof(b.contact), "%s", contact);
	b.q = q;
	b.expires = expires;
	snprintf(b.callid, sizeof(b.callid), "call-%s", contact);
	b.cseq = 1;
	sa_set_str(&b.addr, "203.0.113.7", 5060);
	b.tp = SIP_TRANSP_UDP;
	return b;
}

static const struct binding *nth(struct location *l, const char *aor,
                                 unsigned n)
{
	const struct list *bl = location_lookup(l, aor);
	struct le *le = bl ? list_head(bl) : NULL;

	while (le && n--)
		le = le->next;
	return le ? le->data : NULL;
}

/* The fields the state file keeps; tcp only counts for inside phones,
 * tp only for outside ones */
static int same_binding(const struct binding *a, const struct binding *b)
{
	TEST_ASSERT(a && b);
	TEST_STREQ(a->aor, b->aor);
	TEST_STREQ(a->contact, b->contact);
	TEST_EQ(a->q, b->q);
	TEST_EQ(a->expires, b->expires);
	TEST_STREQ(a->callid, b->callid);
	TEST_EQ(a->cseq, b->cseq);
	TEST_STREQ(a->ua, b->ua);
	TEST_EQ(a->inside, b->inside);
	TEST_ASSERT(sa_cmp(&a->addr, &b->addr, SA_ALL));
	if (a->inside) {
		TEST_STREQ(a->hrac, b->hrac);
		TEST_EQ(a->tcp, b->tcp);
	} else {
		TEST_EQ(a->tp, b->tp);
	}
	return 0;
}

static int bounds(void)
{
	struct location *l;
	uint64_t exp = location_now() + 3600;
	struct binding b;

	/* 3 bindings at most, 2 per address of record */
	TEST_EQ(location_alloc(&l, 3, 2, NULL), 0);
	b = outside("a@x", "sip:a1@h", 1000, exp);
	TEST_EQ(location_set(l, &b), 0);
	b = outside("a@x", "sip:a2@h", 1000, exp);
	TEST_EQ(location_set(l, &b), 0);
	b = outside("a@x", "sip:a3@h", 1000, exp);
	TEST_EQ(location_set(l, &b), E2BIG);
	TEST_EQ(location_count(l), 2);

	b = outside("b@x", "sip:b1@h", 1000, exp);
	TEST_EQ(location_set(l, &b), 0);
	b = outside("c@x", "sip:c1@h", 1000, exp);
	TEST_EQ(location_set(l, &b), ENOSPC);
	TEST_ASSERT(!location_aor_known(l, "c@x"));
	TEST_EQ(location_count(l), 3);

	/* a refresh is not one more */
	b = outside("a@x", "sip:a1@h", 1000, exp + 60);
	b.cseq = 2;
	TEST_EQ(location_set(l, &b), 0);
	TEST_EQ(location_count(l), 3);
	TEST_EQ(list_count(location_lookup(l, "a@x")), 2);

	/* room made by a removal is usable */
	location_remove(l, "b@x", "sip:b1@h");
	TEST_EQ(location_count(l), 2);
	b = outside("c@x", "sip:c1@h", 1000, exp);
	TEST_EQ(location_set(l, &b), 0);
	TEST_EQ(location_count(l), 3);
	mem_deref(l);
	return 0;
}

static int lookup_and_remove(void)
{
	struct location *l;
	uint64_t exp = location_now() + 3600;
	struct binding b, b1, b2, b3;

	TEST_EQ(location_alloc(&l, 100, 10, NULL), 0);
	TEST_ASSERT(location_lookup(l, "alice@x") == NULL);
	TEST_ASSERT(!location_aor_known(l, "alice@x"));

	/* highest q first, whatever the order of registration */
	b1 = outside("alice@x", "sip:alice@h1", 500, exp);
	b2 = outside("alice@x", "sip:alice@h2", 1000, exp);
	b3 = outside("alice@x", "sip:alice@h3", 100, exp);
	TEST_EQ(location_set(l, &b1), 0);
	TEST_EQ(location_set(l, &b2), 0);
	TEST_EQ(location_set(l, &b3), 0);
	b = outside("bob@x", "sip:bob@h1", 1000, exp);
	TEST_EQ(location_set(l, &b), 0);
	TEST_ASSERT(location_aor_known(l, "alice@x"));
	TEST_EQ(list_count(location_lookup(l, "alice@x")), 3);
	if (same_binding(nth(l, "alice@x", 0), &b2) ||
	    same_binding(nth(l, "alice@x", 1), &b1) ||
	    same_binding(nth(l, "alice@x", 2), &b3))
		return 1;

	/* a refresh replaces the fields and moves by its new q */
	b3.q = 700;
	b3.cseq = 9;
	sa_set_str(&b3.addr, "198.51.100.1", 5070);
	TEST_EQ(location_set(l, &b3), 0);
	TEST_EQ(location_count(l), 4);
	if (same_binding(nth(l, "alice@x", 0), &b2) ||
	    same_binding(nth(l, "alice@x", 1), &b3) ||
	    same_binding(nth(l, "alice@x", 2), &b1))
		return 1;

	/* of equal q, the most recently registered or refreshed first */
	b = outside("alice@x", "sip:alice@h4", 500, exp);
	TEST_EQ(location_set(l, &b), 0);
	if (same_binding(nth(l, "alice@x", 2), &b) ||
	    same_binding(nth(l, "alice@x", 3), &b1))
		return 1;
	b1.cseq = 2;
	TEST_EQ(location_set(l, &b1), 0);
	if (same_binding(nth(l, "alice@x", 2), &b1) ||
	    same_binding(nth(l, "alice@x", 3), &b))
		return 1;
	location_remove(l, "alice@x", "sip:alice@h4");

	/* removal: of one contact, of an unknown one, of the rest */
	location_remove(l, "alice@x", "sip:alice@h2");
	location_remove(l, "alice@x", "sip:nobody@h");
	location_remove(l, "nobody@x", "sip:alice@h1");
	TEST_EQ(location_count(l), 3);
	TEST_EQ(list_count(location_lookup(l, "alice@x")), 2);
	location_remove(l, "alice@x", "sip:alice@h1");
	location_remove(l, "alice@x", "sip:alice@h3");
	TEST_ASSERT(!location_aor_known(l, "alice@x"));
	TEST_ASSERT(location_lookup(l, "alice@x") == NULL);
	TEST_EQ(location_count(l), 1);

	TEST_EQ(location_set(l, &b1), 0);
	TEST_EQ(location_set(l, &b2), 0);
	location_remove_all(l, "alice@x");
	location_remove_all(l, "nobody@x");
	TEST_ASSERT(!location_aor_known(l, "alice@x"));
	TEST_EQ(location_count(l), 1);
	TEST_ASSERT(location_aor_known(l, "bob@x"));
	mem_deref(l);
	return 0;
}

/* Save, then load in a new instance: every kind of binding comes back
 * but the expired, and so does the Record-Route key */
static int state_round_trip(void)
{
	struct binding in, out_udp, out_tls, out6, gone, same_q;
	uint8_t key[32], key2[32], key3[32];
	uint64_t now = location_now();
	struct location *l, *l2, *l3;
	struct stat st;

	paths();
	memset(&in, 0, sizeof(in));
	snprintf(in.aor, sizeof(in.aor), "alice@sofw.test");
	snprintf(in.contact, sizeof(in.contact),
	         "sip:alice@10.1.0.5:5060;transport=tcp;ob");
	in.q = 1000;
	in.expires = now + 3600;
	snprintf(in.callid, sizeof(in.callid), "a84b4c76e66710@pc33");
	in.cseq = 314159;
	snprintf(in.ua, sizeof(in.ua), "Phone/1.0 (desk)");
	in.inside = true;
	snprintf(in.hrac, sizeof(in.hrac), "site-a");
	in.tcp = true;
	sa_set_str(&in.addr, "10.1.0.5", 5060);

	out_udp = outside("bob@sofw.test", "sip:bob@203.0.113.7:5062", 500,
	                  now + 600);
	sa_set_str(&out_udp.addr, "203.0.113.7", 5062);
	out_tls = outside("bob@sofw.test", "sip:bob@192.0.2.9;transport=tls",
	                  800, now + 60);
	out_tls.tp = SIP_TRANSP_TLS;
	snprintf(out_tls.ua, sizeof(out_tls.ua), "Soft");
	sa_set_str(&out_tls.addr, "192.0.2.9", 40000);
	out6 = outside("dave@sofw.test", "sip:dave@[2001:db8::7]", 1000,
	               now + 120);
	out6.tp = SIP_TRANSP_TCP;
	sa_set_str(&out6.addr, "2001:db8::7", 5060);
	gone =
	    outside("carol@sofw.test", "sip:carol@203.0.113.8", 1000, now - 1);

	TEST_EQ(location_alloc(&l, 100, 10, path), 0);
	TEST_EQ(location_set(l, &in), 0);
	TEST_EQ(location_set(l, &out_udp), 0);
	TEST_EQ(location_set(l, &out_tls), 0);
	TEST_EQ(location_set(l, &out6), 0);
	TEST_EQ(location_set(l, &gone), 0);
	/* of equal q, the newer first, and still so after the load */
	same_q =
	    outside("dave@sofw.test", "sip:dave@203.0.113.9", 1000, now + 120);
	TEST_EQ(location_set(l, &same_q), 0);
	TEST_EQ(location_count(l), 6);
	TEST_EQ(location_rr_key(l, key), 0);
	mem_deref(l); /* saves */

	TEST_EQ(stat(path, &st), 0);
	TEST_EQ(st.st_mode & 0777, 0600);
	TEST_EQ(leftovers(), 0); /* no temporary file left beside it */

	TEST_EQ(location_alloc(&l2, 100, 10, path), 0);
	TEST_EQ(location_count(l2), 5);
	TEST_ASSERT(!location_aor_known(l2, "carol@sofw.test"));
	if (same_binding(nth(l2, "alice@sofw.test", 0), &in) ||
	    same_binding(nth(l2, "bob@sofw.test", 0), &out_tls) ||
	    same_binding(nth(l2, "bob@sofw.test", 1), &out_udp) ||
	    same_binding(nth(l2, "dave@sofw.test", 0), &same_q) ||
	    same_binding(nth(l2, "dave@sofw.test", 1), &out6))
		return 1;
	TEST_EQ(location_rr_key(l2, key2), 0);
	TEST_MEMEQ(key, key2, 32);

	/* changes are saved too: a removal, and location_save at once */
	location_remove(l2, "bob@sofw.test", "sip:bob@192.0.2.9;transport=tls");
	TEST_EQ(location_save(l2), 0);
	TEST_EQ(location_sync(l2), 0);
	TEST_EQ(location_alloc(&l3, 100, 10, path), 0);
	TEST_EQ(location_count(l3), 4);
	TEST_EQ(list_count(location_lookup(l3, "bob@sofw.test")), 1);
	mem_deref(l3);
	mem_deref(l2);

	/* without a state file, or with another, another key */
	TEST_EQ(location_alloc(&l, 100, 10, NULL), 0);
	TEST_EQ(location_rr_key(l, key3), 0);
	TEST_ASSERT(memcmp(key, key3, 32));
	mem_deref(l);
	unlink(path);
	TEST_EQ(location_alloc(&l, 100, 10, path), 0);
	TEST_EQ(location_rr_key(l, key3), 0);
	TEST_ASSERT(memcmp(key, key3, 32));
	TEST_EQ(location_count(l), 0);
	mem_deref(l);
	unlink(path);
	return 0;
}

/* A file written by hand in the documented format (location.c); lines
 * it cannot use are skipped, the bounds hold while loading */
static int state_file_format(void)
{
	char text[2048];
	struct location *l;
	const struct binding *b;
	uint64_t later = location_now() + 1000;
	uint8_t key[32];
	FILE *f;

	paths();
	snprintf(
	    text, sizeof(text),
	    "# sofw-state 1\n"
	    "key\t000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n"
	    "b\talice@x\tsip:alice@10.0.0.2\t%llu\t900\tcid-1\t7\tin\tsite-b\t"
	    "10.0.0.2:5062\tudp\tDesk Phone\n"
	    "b\tbob@x\tsip:bob@192.0.2.1\t%llu\t1000\tcid-2\t8\tout\t-\t"
	    "192.0.2.1:5060\ttcp\t-\n"
	    "b\ttoo@few\tfields\n"
	    "garbage\n"
	    "b\tcarol@x\tsip:carol@h\t%llu\t1000\tcid-3\t1\tout\t-\tnot-an-"
	    "address\tudp\t-\n"
	    "\n"
	    "b\tdave@x\tsip:dave@h\t%llu\t1000\tcid-4\t1\tout\t-\t"
	    "192.0.2.4:5060\tudp\t-\n"
	    "b\teve@x\tsip:eve@h\t%llu\t1000\tcid-5\t1\tout\t-\t"
	    "192.0.2.5:5060\tudp\t-\n",
	    (unsigned long long)later, (unsigned long long)later + 1,
	    (unsigned long long)later, (unsigned long long)later,
	    (unsigned long long)later);
	f = fopen(path, "w");
	TEST_ASSERT(f);
	fputs(text, f);
	fclose(f);

	/* three bindings at most: eve finds no room */
	TEST_EQ(location_alloc(&l, 3, 10, path), 0);
	TEST_EQ(location_count(l), 3);
	TEST_EQ(location_rr_key(l, key), 0);
	for (int i = 0; i < 32; i++)
		TEST_EQ(key[i], i);

	b = nth(l, "alice@x", 0);
	TEST_ASSERT(b);
	TEST_STREQ(b->contact, "sip:alice@10.0.0.2");
	TEST_EQ(b->expires, later);
	TEST_EQ(b->q, 900);
	TEST_STREQ(b->callid, "cid-1");
	TEST_EQ(b->cseq, 7);
	TEST_ASSERT(b->inside && !b->tcp);
	TEST_STREQ(b->hrac, "site-b");
	TEST_EQ(sa_in(&b->addr), 0x0a000002);
	TEST_EQ(sa_port(&b->addr), 5062);
	TEST_STREQ(b->ua, "Desk Phone");

	b = nth(l, "bob@x", 0);
	TEST_ASSERT(b);
	TEST_ASSERT(!b->inside);
	TEST_EQ(b->tp, SIP_TRANSP_TCP);
	TEST_STREQ(b->hrac, "");
	TEST_STREQ(b->ua, "");
	TEST_EQ(b->expires, later + 1);
	TEST_ASSERT(!location_aor_known(l, "carol@x"));
	TEST_ASSERT(location_aor_known(l, "dave@x"));
	TEST_ASSERT(!location_aor_known(l, "eve@x"));
	mem_deref(l);
	unlink(path);
	return 0;
}

/* A state file that cannot be written fails at start, not later */
static int state_unwritable(void)
{
	char p[96];
	struct location *l = NULL;

	snprintf(p, sizeof(p), "/tmp/sofw-location-%d-nodir/state",
	         (int)getpid());
	TEST_EQ(location_alloc(&l, 10, 10, p), ENOENT);
	TEST_ASSERT(l == NULL);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(bounds),           UNIT_TEST(lookup_and_remove),
		UNIT_TEST(state_round_trip), UNIT_TEST(state_file_format),
		UNIT_TEST(state_unwritable),
	};
	int r;

	if (libre_init())
		return 1;
	log_init("test_location", true, -1);
	r = unit_main("location", tests, ARRAY_SIZE(tests));
	unlink(path);
	unlink(tmp);
	libre_close();
	return r;
}
