/* digest.c - streaming sha256 (sha256.h) and md5 (libcrypto's EVP).
 *
 * sha256 is matrixc's own, the one that generate and check use for the
 * content identity, so that there is one SHA-256 in matrixc. md5 comes
 * from libcrypto, loaded by each md5 digest (dynlib.h), not linked: only
 * `update` needs it, for old releases, and loading libcrypto costs a run
 * of matrixc several milliseconds. evp.h is still used for the types.
 * The table of functions lives in the digest, as http.c's lives in its
 * handle, so the module has no state of its own.
 */
#include "digest.h"

#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib.h"
#include "sha256.h"

#define LIBCRYPTO "libcrypto.so.3"

/* The libcrypto functions matrixc calls, looked up per digest. */
typedef struct {
	void *lib;
	const EVP_MD *(*md5)(void);
	EVP_MD_CTX *(*ctx_new)(void);
	void (*ctx_free)(EVP_MD_CTX *ctx);
	int (*init)(EVP_MD_CTX *ctx, const EVP_MD *md, ENGINE *engine);
	int (*update)(EVP_MD_CTX *ctx, const void *p, size_t n);
	int (*final)(EVP_MD_CTX *ctx, unsigned char *md, unsigned *len);
} evp_api;

struct digest {
	digest_kind kind;
	sha256_ctx sha;   /* DIGEST_SHA256 */
	evp_api evp;      /* DIGEST_MD5: all zero for sha256 */
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
};

#define FN(field, name) DYNLIB_FN(evp_api, field, name)
static const dynlib_fn evp_fns[] = {
    FN(md5, "EVP_md5"),
    FN(ctx_new, "EVP_MD_CTX_new"),     FN(ctx_free, "EVP_MD_CTX_free"),
    FN(init, "EVP_DigestInit_ex"),     FN(update, "EVP_DigestUpdate"),
    FN(final, "EVP_DigestFinal_ex"),
};
#undef FN

digest *digest_new(digest_kind kind, char *err, size_t errlen)
{
	digest *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->kind = kind;
	if (kind == DIGEST_SHA256) {
		sha256_init(&d->sha);
		return d;
	}
	d->evp.lib = dynlib_load(LIBCRYPTO, &d->evp, evp_fns,
				 sizeof evp_fns / sizeof *evp_fns, err, errlen);
	if (!d->evp.lib) {
		free(d);
		return NULL;
	}
	d->md = d->evp.md5();
	d->ctx = d->evp.ctx_new();
	if (!d->md || !d->ctx || !digest_reset(d)) {
		snprintf(err, errlen, "libcrypto cannot compute md5");
		digest_free(d);
		return NULL;
	}
	return d;
}

void digest_free(digest *d)
{
	if (!d)
		return;
	if (d->ctx)
		d->evp.ctx_free(d->ctx);
	dynlib_close(d->evp.lib);
	free(d);
}

bool digest_reset(digest *d)
{
	if (d->kind == DIGEST_SHA256) {
		sha256_init(&d->sha);
		return true;
	}
	return d->evp.init(d->ctx, d->md, NULL) == 1;
}

bool digest_update(digest *d, const void *p, size_t n)
{
	if (d->kind == DIGEST_SHA256) {
		sha256_update(&d->sha, p, n);
		return true;
	}
	return d->evp.update(d->ctx, p, n) == 1;
}

bool digest_hex(digest *d, char *out, size_t size)
{
	if (d->kind == DIGEST_SHA256) {
		if (size < 65)
			return false;
		sha256_hex(&d->sha, out);
		return true;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	if (d->evp.final(d->ctx, md, &len) != 1 || size < 2 * len + 1)
		return false;
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * len] = '\0';
	return true;
}
