/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file fcgi_peer.c  Who is at the other end of a FastCGI connection
 *
 * A unix socket keeps other users out by its permissions; TCP on
 * loopback has none, and every local user may connect.  With
 * --socket-peer-user, the user that owns the other end of each accepted
 * connection is asked of the kernel (sock_diag, the lookup ss(8) makes:
 * both ends are on this host), and a connection of anyone else is closed
 * unserved.  The answer comes from the kernel's socket, not from what the
 * peer sends.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include "fcgi_peer.h"

/* one end's address, as sock_diag takes it (network order) */
static int diag_addr(const struct sockaddr_storage *ss, uint8_t family,
                     __be32 addr[4], __be16 *port)
{
	if (ss->ss_family != family)
		return EAFNOSUPPORT;
	if (family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		memcpy(addr, &in->sin_addr, sizeof(in->sin_addr));
		*port = in->sin_port;
		return 0;
	}
	const struct sockaddr_in6 *in6 = (const void *)ss;

	memcpy(addr, &in6->sin6_addr, sizeof(in6->sin6_addr));
	*port = in6->sin6_port;
	return 0;
}

/* The request: the socket whose own end is the peer's, connected to ours */
static int diag_request(int fd, struct inet_diag_req_v2 *req)
{
	struct sockaddr_storage self, peer;
	socklen_t sl = sizeof(self), pl = sizeof(peer);
	int e;

	if (getsockname(fd, (struct sockaddr *)&self, &sl) ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl))
		return errno;
	if (self.ss_family != AF_INET && self.ss_family != AF_INET6)
		return EAFNOSUPPORT;

	memset(req, 0, sizeof(*req));
	req->sdiag_family = (uint8_t)self.ss_family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = ~0u;
	req->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	e = diag_addr(&peer, req->sdiag_family, req->id.idiag_src,
	              &req->id.idiag_sport);
	return e ? e
	         : diag_addr(&self, req->sdiag_family, req->id.idiag_dst,
	                     &req->id.idiag_dport);
}

/**
 * The user owning the other end of the TCP connection @fd, which must
 * be on this host
 *
 * @return 0, ENOENT if the kernel knows no such socket (not local, or
 *         gone), or another errno
 */
int fcgi_peer_uid(int fd, uid_t *uid)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} msg;
	union {
		struct nlmsghdr nh;
		uint8_t buf[1024];
	} rsp;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };
	ssize_t n;
	int nl, e;

	memset(&msg, 0, sizeof(msg));
	e = diag_request(fd, &msg.req);
	if (e)
		return e;
	msg.nh.nlmsg_len = sizeof(msg);
	msg.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nh.nlmsg_flags = NLM_F_REQUEST;

	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return errno;
	/* the kernel answers at once; the bound is against the unforeseen */
	(void)setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(nl, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel,
	           sizeof(kernel)) < 0) {
		e = errno;
		close(nl);
		return e;
	}
	n = recv(nl, &rsp, sizeof(rsp), 0);
	e = n < 0 ? errno : 0;
	close(nl);
	if (e)
		return e;
	if (n < (ssize_t)sizeof(struct nlmsghdr) || !NLMSG_OK(&rsp.nh, n))
		return EPROTO;
	if (rsp.nh.nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *ne = NLMSG_DATA(&rsp.nh);

		if (rsp.nh.nlmsg_len < NLMSG_LENGTH(sizeof(*ne)))
			return EPROTO;
		return ne->error ? -ne->error : EPROTO;
	}
	if (rsp.nh.nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    rsp.nh.nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
		return EPROTO;
	*uid = ((const struct inet_diag_msg *)NLMSG_DATA(&rsp.nh))->idiag_uid;
	return 0;
}
