/* digest.h - message digests of downloaded tarballs: sha256 (matrixc's
 * own, sha256.h) and md5 (libcrypto EVP, loaded when first used).
 *
 * The only module that includes OpenSSL headers. A digest is fed in
 * pieces as a download arrives, so a tarball is never held in memory.
 * md5 is here only to check the md5_sum python.org publishes for old
 * releases that have no sha256; it is never trusted on its own.
 */
#ifndef MATRIXC_DIGEST_H
#define MATRIXC_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { DIGEST_SHA256, DIGEST_MD5 } digest_kind;

typedef struct digest digest;

/* NULL, with why in err, when out of memory or, for md5, when libcrypto
 * cannot be loaded or cannot provide it. Each md5 digest holds its own
 * handle on libcrypto (the dynamic loader maps it once) and releases it
 * in digest_free; a sha256 digest never loads libcrypto. */
digest *digest_new(digest_kind kind, char *err, size_t errlen);
void digest_free(digest *d);
/* Start over (a retried download). false on a libcrypto failure (md5
 * only: digest_update and digest_hex never fail for sha256 but for
 * digest_hex's size). */
bool digest_reset(digest *d);
bool digest_update(digest *d, const void *p, size_t n);
/* Lowercase hex into out (at least 65 bytes); the digest must be reset
 * before further use. */
bool digest_hex(digest *d, char *out, size_t size);

#endif
