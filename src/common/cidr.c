/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file cidr.c  Address prefixes such as 10.0.0.0/8 or fd00::/8
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "cidr.h"

/* "ADDR/BITS" or a single "ADDR" (all bits) */
int cidr_parse(struct cidr *c, const char *s)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	unsigned maxbits;
	char *end;
	size_t len = slash ? (size_t)(slash - s) : strlen(s);

	if (len >= sizeof(addr))
		return EINVAL;
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (sa_set_str(&c->net, addr, 0))
		return EINVAL;

	maxbits = sa_af(&c->net) == AF_INET6 ? 128 : 32;
	c->bits = maxbits;
	if (slash) {
		unsigned long b = strtoul(slash + 1, &end, 10);

		if (!slash[1] || *end || b > maxbits)
			return EINVAL;
		c->bits = (unsigned)b;
	}
	return 0;
}

static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes))
		return false;
	if (!rest)
		return true;
	return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool cidr_match(const struct cidr *c, const struct sa *addr)
{
	uint8_t a[16], n[16];

	if (sa_af(addr) != sa_af(&c->net))
		return false;
	if (sa_af(addr) == AF_INET) {
		uint32_t x = htonl(sa_in(addr)), y = htonl(sa_in(&c->net));

		memcpy(a, &x, 4);
		memcpy(n, &y, 4);
	} else {
		sa_in6(addr, a);
		sa_in6(&c->net, n);
	}
	return prefix_eq(a, n, c->bits);
}

static unsigned mask_bits(const struct sockaddr *m)
{
	const uint8_t *b;
	unsigned n = 0, len;

	if (m->sa_family == AF_INET) {
		b = (const uint8_t *)&((const struct sockaddr_in *)m)->sin_addr;
		len = 4;
	} else {
		b = ((const struct sockaddr_in6 *)m)->sin6_addr.s6_addr;
		len = 16;
	}
	for (unsigned i = 0; i < len; i++)
		for (int bit = 7; bit >= 0 && (b[i] >> bit) & 1; bit--)
			n++;
	return n;
}

/**
 * The networks of this host's interfaces: the phones on them are inside
 *
 * @return how many were written to @v
 */
size_t cidr_local_nets(struct cidr *v, size_t max)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0;

	if (getifaddrs(&ifa))
		return 0;
	for (i = ifa; i && n < max; i = i->ifa_next) {
		if (!i->ifa_addr || !i->ifa_netmask ||
		    !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_addr->sa_family != AF_INET &&
		     i->ifa_addr->sa_family != AF_INET6))
			continue;
		if (sa_set_sa(&v[n].net, i->ifa_addr))
			continue;
		v[n].bits = mask_bits(i->ifa_netmask);
		n++;
	}
	freeifaddrs(ifa);
	return n;
}
