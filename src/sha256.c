/* sha256.c - streaming digests over libcrypto's EVP interface.
 *
 * libcrypto is loaded on the first digest (dynlib.h), not linked: only
 * `update` hashes, and loading libcrypto cost every other run of matrixc
 * more than a millisecond. evp.h is still used for the types.
 */
#include "sha256.h"

#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib.h"

#define LIBCRYPTO "libcrypto.so.3"

/* The libcrypto functions matrixc calls, looked up once. */
static struct evp_api {
	void *lib;
	const EVP_MD *(*sha256)(void);
	const EVP_MD *(*md5)(void);
	EVP_MD_CTX *(*ctx_new)(void);
	void (*ctx_free)(EVP_MD_CTX *ctx);
	int (*init)(EVP_MD_CTX *ctx, const EVP_MD *md, ENGINE *engine);
	int (*update)(EVP_MD_CTX *ctx, const void *p, size_t n);
	int (*final)(EVP_MD_CTX *ctx, unsigned char *md, unsigned *len);
} evp;

struct digest {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
};

#define FN(field, name) DYNLIB_FN(struct evp_api, field, name)
static const dynlib_fn evp_fns[] = {
    FN(sha256, "EVP_sha256"),          FN(md5, "EVP_md5"),
    FN(ctx_new, "EVP_MD_CTX_new"),     FN(ctx_free, "EVP_MD_CTX_free"),
    FN(init, "EVP_DigestInit_ex"),     FN(update, "EVP_DigestUpdate"),
    FN(final, "EVP_DigestFinal_ex"),
};
#undef FN

/* Loaded once, on the first digest, and kept. */
static bool load_crypto(char *err, size_t errlen)
{
	if (!evp.lib)
		evp.lib = dynlib_load(LIBCRYPTO, &evp, evp_fns,
				      sizeof evp_fns / sizeof *evp_fns, err,
				      errlen);
	return evp.lib != NULL;
}

digest *digest_new(digest_kind kind, char *err, size_t errlen)
{
	if (!load_crypto(err, errlen))
		return NULL;
	digest *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->md = kind == DIGEST_MD5 ? evp.md5() : evp.sha256();
	d->ctx = evp.ctx_new();
	if (!d->md || !d->ctx || !digest_reset(d)) {
		snprintf(err, errlen, "libcrypto cannot compute %s",
			 kind == DIGEST_MD5 ? "md5" : "sha256");
		digest_free(d);
		return NULL;
	}
	return d;
}

void digest_free(digest *d)
{
	if (!d)
		return;
	evp.ctx_free(d->ctx);
	free(d);
}

bool digest_reset(digest *d)
{
	return evp.init(d->ctx, d->md, NULL) == 1;
}

bool digest_update(digest *d, const void *p, size_t n)
{
	return evp.update(d->ctx, p, n) == 1;
}

bool digest_hex(digest *d, char *out, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	if (evp.final(d->ctx, md, &len) != 1 || size < 2 * len + 1)
		return false;
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * len] = '\0';
	return true;
}
