/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file fcgi_peer.h  Who is at the other end of a FastCGI connection
 */
#include <sys/types.h>

int fcgi_peer_uid(int fd, uid_t *uid);
