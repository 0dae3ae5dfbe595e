/**
 * @file core.h  What the loop thread does with frames from the tunnel
 *
 * Runs in libre's thread only.  Frames arrive from the inbox; answers go
 * back through session_send().  Today: PING answered with PONG, the echo
 * diagnostic, housekeeping.  SIP and the media relay plug in here.
 */

struct hras;
struct core;
struct session;

int core_alloc(struct core **cp, struct hras *h);
void core_free(struct core *c);
void core_frame(struct session *s, const uint8_t *wire, size_t len, void *arg);
void core_request_reload(struct core *c);
