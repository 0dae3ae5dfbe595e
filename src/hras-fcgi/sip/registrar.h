/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file registrar.h  REGISTER (RFC 3261 §10.3)
 */

struct sipsrv;
struct sip_msg;
struct origin;

void registrar_handle(struct sipsrv *s, const struct sip_msg *msg,
                      const struct origin *o);
