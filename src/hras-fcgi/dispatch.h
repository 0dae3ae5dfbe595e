/**
 * @file dispatch.h  What the loop thread does with frames from the tunnel
 *
 * Runs in libre's thread only.  Frames arrive from the inbox; answers go
 * back through session_send().  Today: PING answered with PONG, the echo
 * diagnostic, housekeeping.  SIP and the media relay plug in here.
 */

struct hras;
struct dispatch;
struct session;

int dispatch_alloc(struct dispatch **cp, struct hras *h);
void dispatch_free(struct dispatch *c);
void dispatch_frame(struct session *s, const uint8_t *wire, size_t len, void *arg);
void dispatch_request_reload(struct dispatch *c);
