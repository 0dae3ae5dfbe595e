/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 the SoFW authors */
/**
 * @file diagnose.h  hrac --diagnose
 */
struct hrac_conf;
struct tunnel_conf;
struct curl_loop;

int diagnose_run(const struct hrac_conf *cfg, struct tunnel_conf *tc,
                 struct curl_loop *cl);
