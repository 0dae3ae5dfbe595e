/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file loc_store.h  The location service shared among nodes
 *
 * The location table (location.h) stays each node's cache, and lookups
 * stay synchronous; every change made here is written through to the
 * store and published, and the other nodes' changes are applied here.
 *
 *   sofw:b:<aor> <contact>   a binding: location_line(), TTL its expiry
 *   sofw:loc                 "<node>\tset\t<line>", "<node>\tdel\t<aor>
 *                            \t<contact>": each change, for the others
 *   sofw:rr-key              the Record-Route tokens' key, hex: the first
 *                            node's (SET NX), so any node verifies any
 *                            node's Record-Route
 *
 * When the store comes (at start, after Redis or the link came back) the
 * node writes back the bindings it took itself that Redis lacks (SET NX:
 * never over a newer one), then loads every binding (SCAN, MGET), so a
 * restarted node or a restarted Redis loses nothing that either kept.
 */

struct loc_store;
struct location;
struct store;

int loc_store_alloc(struct loc_store **lsp, struct store *st,
                    struct location *loc, uint8_t rr_key[32],
                    uint32_t max_bindings);
