/* sha256.c - streaming digests over libcrypto's EVP interface. */
#include "sha256.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct digest {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
};

digest *digest_new(digest_kind kind)
{
	digest *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->md = kind == DIGEST_MD5 ? EVP_md5() : EVP_sha256();
	d->ctx = EVP_MD_CTX_new();
	if (!d->md || !d->ctx || !digest_reset(d)) {
		digest_free(d);
		return NULL;
	}
	return d;
}

void digest_free(digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

bool digest_reset(digest *d)
{
	return EVP_DigestInit_ex(d->ctx, d->md, NULL) == 1;
}

bool digest_update(digest *d, const void *p, size_t n)
{
	return EVP_DigestUpdate(d->ctx, p, n) == 1;
}

bool digest_hex(digest *d, char *out, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	if (EVP_DigestFinal_ex(d->ctx, md, &len) != 1 || size < 2 * len + 1)
		return false;
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * len] = '\0';
	return true;
}
