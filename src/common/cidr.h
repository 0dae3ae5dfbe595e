/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file cidr.h  Address prefixes such as 10.0.0.0/8 or fd00::/8
 */

struct cidr {
	struct sa net;
	unsigned bits;
};

int cidr_parse(struct cidr *c, const char *s);
bool cidr_match(const struct cidr *c, const struct sa *addr);
size_t cidr_local_nets(struct cidr *v, size_t max);
