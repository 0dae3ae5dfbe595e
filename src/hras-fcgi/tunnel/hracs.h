/**
 * @file hracs.h  The HRAC identities HRAS accepts (--hracs FILE)
 *
 * Lines "name:secret"; # starts a comment.  The file must not be readable
 * by others.  Reloaded on SIGHUP; lookups are safe from any thread.
 */

enum {
	HRACS_ID_MAX = 64,
};

enum hracs_verdict {
	HRACS_OK,
	HRACS_UNKNOWN_ID,
	HRACS_WRONG_PROOF,
};

struct hracs;

int hracs_alloc(struct hracs **hp, const char *path, char *err, size_t errsz);
int hracs_reload(struct hracs *h, const char *path, char *err, size_t errsz);
void hracs_free(struct hracs *h);
size_t hracs_count(struct hracs *h);
enum hracs_verdict hracs_verify(struct hracs *h, const char *id,
                                const char *nonce, const char *proof);
bool hracs_id_valid(const char *id, size_t len);
