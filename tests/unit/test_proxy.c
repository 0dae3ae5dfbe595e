/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file test_proxy.c  The proxy's final response (RFC 3261 §16.7 steps
 * 6-7): which branch's final response is best, what goes upstream, and
 * how long a transaction may live
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "conf.h"
#include "log.h"
#include "quota.h"
#include "hracs.h"
#include "iface.h"
#include "lan_gw.h"
#include "sipfwd.h"
#include "sipsrv.h"
#include "route.h"
#include "proxy.h"
#include "rat.h"
#include "unit.h"

enum {
	SEQ_MAX = 6,
};

/* A branch's final answer: a response received, or one we made up (a
 * 408 when Timer C or the CANCEL grace ran out, or the client
 * transaction timed out; a 503 for any other error) */
struct answer {
	uint16_t code;
	bool ours;
};

/* clang-format off */
#define R(c) { (c), false } /* received */
#define T    { 408, true }  /* our own timeout */
#define E    { 503, true }  /* our own: a transport error */
/* clang-format on */

/* The best of @n answers as proxy.c folds them: its code, and whether
 * a response of it is at hand */
static uint16_t fold(const struct answer *a, size_t n, bool *have_best)
{
	uint16_t best = 0;

	*have_best = false;
	for (size_t i = 0; i < n && a[i].code; i++) {
		if (proxy_better(a[i].code, best)) {
			best = a[i].code;
			*have_best = !a[i].ours;
		}
	}
	return best;
}

/* §16.7 step 6: 6xx beats all; then the lowest class, 3xx over 4xx over
 * 5xx; among the 4xx, 401/407 then 487 before the rest; 408 and 503
 * last, 408 (the lower class) before 503 in either order; of equal rank,
 * the first kept */
static int best_of_branches(void)
{
	static const struct {
		struct answer a[SEQ_MAX];
		uint16_t best;
	} cases[] = {
		{ { { 0 } }, 0 },
		{ { R(486) }, 486 },
		{ { R(500) }, 500 },
		{ { R(408) }, 408 },
		{ { R(503) }, 503 },
		{ { T }, 408 },

		/* 6xx beats everything, whenever it comes */
		{ { R(302), R(603) }, 603 },
		{ { R(603), R(302) }, 603 },
		{ { R(401), R(407), R(600) }, 600 },
		{ { R(486), R(604), R(302), R(401) }, 604 },
		{ { R(500), R(606) }, 606 },
		{ { T, R(603) }, 603 },
		{ { R(600), R(603) }, 600 },
		{ { R(603), R(600) }, 603 },

		/* the lowest class: 3xx over 4xx over 5xx */
		{ { R(486), R(302) }, 302 },
		{ { R(302), R(486) }, 302 },
		{ { R(401), R(302) }, 302 },
		{ { R(500), R(486) }, 486 },
		{ { R(486), R(500) }, 486 },
		{ { R(502), R(404), R(301) }, 301 },
		{ { R(500), R(302) }, 302 },
		{ { R(302), R(301) }, 302 },
		{ { R(301), R(302) }, 301 },

		/* 401 and 407 first among the 4xx, then 487 */
		{ { R(404), R(401) }, 401 },
		{ { R(401), R(404) }, 401 },
		{ { R(486), R(407) }, 407 },
		{ { R(401), R(407) }, 401 },
		{ { R(407), R(401) }, 407 },
		{ { R(404), R(487) }, 487 },
		{ { R(487), R(404) }, 487 },
		{ { R(487), R(401) }, 401 },
		{ { R(407), R(487) }, 407 },
		{ { R(404), R(486), R(480) }, 404 },
		{ { R(486), R(404) }, 486 },
		{ { R(415), R(487), R(404), R(407) }, 407 },

		/* 408 and 503 last, below the other 5xx */
		{ { R(408), R(404) }, 404 },
		{ { R(503), R(486) }, 486 },
		{ { R(408), R(500) }, 500 },
		{ { R(503), R(500) }, 500 },
		{ { R(504), R(503) }, 504 },
		{ { R(503), R(302) }, 302 },
		{ { R(408), R(503) }, 408 },
		{ { R(503), R(408) }, 408 },
		{ { T, R(503) }, 408 },
		{ { R(503), T }, 408 },
		{ { T, T, T }, 408 },
		{ { T, R(480) }, 480 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool have;
		uint16_t best = fold(cases[i].a, SEQ_MAX, &have);

		if (best != cases[i].best) {
			fprintf(stderr, "case %zu: best %u, expected %u\n", i,
			        best, cases[i].best);
			return 1;
		}
	}

	/* nothing yet: anything is better; nothing is better than itself */
	static const uint16_t codes[] = { 300, 302, 401, 404, 407, 408, 480,
		                          486, 487, 500, 503, 504, 600, 603 };
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		TEST_ASSERT(proxy_better(codes[i], 0));
		TEST_ASSERT(!proxy_better(codes[i], codes[i]));
	}
	return 0;
}

static int final_is(struct proxy_final f, uint16_t code, const char *reason,
                    bool relay)
{
	if (f.code != code || f.relay != relay ||
	    (reason ? !f.reason || strcmp(f.reason, reason) : !!f.reason)) {
		fprintf(stderr, "got {%u, %s, %d}, expected {%u, %s, %d}\n",
		        f.code, f.reason ? f.reason : "NULL", f.relay, code,
		        reason ? reason : "NULL", relay);
		return 1;
	}
	return 0;
}

/* §16.7 step 7 and §16.10: what goes upstream */
static int final_response(void)
{
	static const struct {
		bool have_best;
		uint16_t best;
		bool cancelled;
		uint16_t code;
		const char *reason;
		bool relay;
	} cases[] = {
		/* a received best response goes as it came */
		{ true, 486, false, 486, NULL, true },
		{ true, 302, false, 302, NULL, true },
		{ true, 603, false, 603, NULL, true },
		{ true, 401, false, 401, NULL, true },
		{ true, 407, false, 407, NULL, true },
		{ true, 500, false, 500, NULL, true },
		{ true, 504, false, 504, NULL, true },
		{ true, 408, false, 408, NULL, true }, /* a phone's 408 */
		{ true, 487, false, 487, NULL, true },
		/* a 503 is not passed on: 500 of ours */
		{ true, 503, false, 500, "Server Internal Error", false },
		/* no branch answered at all */
		{ false, 0, false, 408, "Request Timeout", false },
		/* only our own timeouts */
		{ false, 408, false, 408, "Request Timeout", false },
		/* only our own failures, a transport error the best */
		{ false, 503, false, 500, "Server Internal Error", false },
		/* cancelled: 487 of ours, unless the best is a 487 received */
		{ true, 487, true, 487, NULL, true },
		{ true, 486, true, 487, "Request Terminated", false },
		{ true, 603, true, 487, "Request Terminated", false },
		{ true, 503, true, 487, "Request Terminated", false },
		{ true, 408, true, 487, "Request Terminated", false },
		{ false, 0, true, 487, "Request Terminated", false },
		{ false, 408, true, 487, "Request Terminated", false },
		{ false, 487, true, 487, "Request Terminated", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct proxy_final f = proxy_final_for(
		    cases[i].have_best, cases[i].best, cases[i].cancelled);

		if (final_is(f, cases[i].code, cases[i].reason,
		             cases[i].relay)) {
			fprintf(stderr, "case %zu: {%d, %u, %d}\n", i,
			        cases[i].have_best, cases[i].best,
			        cases[i].cancelled);
			return 1;
		}
	}
	return 0;
}

/* From the branches' answers to what goes upstream */
static int branches_to_final(void)
{
	static const struct {
		struct answer a[SEQ_MAX];
		bool cancelled;
		uint16_t code;
		const char *reason;
		bool relay;
	} cases[] = {
		{ { { 0 } }, false, 408, "Request Timeout", false },
		{ { T }, false, 408, "Request Timeout", false },
		{ { T, T }, false, 408, "Request Timeout", false },
		{ { T, R(486) }, false, 486, NULL, true },
		{ { R(486), T }, false, 486, NULL, true },
		{ { R(503) }, false, 500, "Server Internal Error", false },
		{ { R(503), T }, false, 408, "Request Timeout", false },
		{ { T, R(503) }, false, 408, "Request Timeout", false },
		{ { R(503), R(500) }, false, 500, NULL, true },
		{ { R(503), R(404) }, false, 404, NULL, true },
		{ { R(404), R(407), R(401) }, false, 407, NULL, true },
		{ { R(486), R(302), R(603) }, false, 603, NULL, true },
		{ { R(408), R(302) }, false, 302, NULL, true },
		{ { E }, false, 500, "Server Internal Error", false },
		{ { E, T }, false, 408, "Request Timeout", false },
		{ { T, E }, false, 408, "Request Timeout", false },
		{ { E, R(480) }, false, 480, NULL, true },
		{ { E, R(500) }, false, 500, NULL, true },
		{ { E, R(503) }, false, 500, "Server Internal Error", false },
		/* cancelled: the branches answer 487 */
		{ { R(487), R(487) }, true, 487, NULL, true },
		{ { R(487), T }, true, 487, NULL, true },
		{ { R(486), R(487) }, true, 487, NULL, true },
		{ { R(486), T }, true, 487, "Request Terminated", false },
		{ { T, T }, true, 487, "Request Terminated", false },
		{ { E, T }, true, 487, "Request Terminated", false },
		{ { { 0 } }, true, 487, "Request Terminated", false },
		{ { R(401), R(487) }, true, 487, "Request Terminated", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool have;
		uint16_t best = fold(cases[i].a, SEQ_MAX, &have);

		if (final_is(proxy_final_for(have, best, cases[i].cancelled),
		             cases[i].code, cases[i].reason, cases[i].relay)) {
			fprintf(stderr, "case %zu (best %u)\n", i, best);
			return 1;
		}
	}
	return 0;
}

/* Timer C twice over, then 64 s for a CANCEL's 487 */
static int tx_life(void)
{
	TEST_EQ(proxy_tx_life_ms(0), 64000);
	TEST_EQ(proxy_tx_life_ms(1), 66000);
	TEST_EQ(proxy_tx_life_ms(180), 424000);
	TEST_EQ(proxy_tx_life_ms(181), 426000);
	TEST_ASSERT(proxy_tx_life_ms(UINT32_MAX) ==
	            (uint64_t)UINT32_MAX * 2000 + 64000);
	return 0;
}

int main(void)
{
	static const struct unit_test tests[] = {
		UNIT_TEST(best_of_branches),
		UNIT_TEST(final_response),
		UNIT_TEST(branches_to_final),
		UNIT_TEST(tx_life),
	};

	return unit_main("proxy", tests, ARRAY_SIZE(tests));
}
