/* sha256.h - SHA-256 (FIPS 180-4): matrixc's only one.
 *
 * generate and check hash every Dockerfile they make (contentid.h), and
 * update hashes each downloaded tarball (digest.h); both come here. It is
 * plain C rather than libcrypto's because loading libcrypto would cost
 * every check more than hashing does (docs/performance.md has the
 * figures). Portable C, with a faster compression on x86-64 CPUs that have
 * the SHA extensions (SHA-NI), chosen at run time once; both give the
 * same hashes. No state outside the context but that choice; no
 * allocation.
 */
#ifndef MATRIXC_SHA256_H
#define MATRIXC_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A hash in progress: fed in pieces of any size, in order. */
typedef struct {
	uint32_t h[8];
	uint64_t len;             /* bytes fed so far */
	unsigned char part[64];   /* the bytes of an unfinished block */
} sha256_ctx;

/* Start (or start over). */
void sha256_init(sha256_ctx *c);
/* Feed n bytes at p (p may be NULL when n is 0). */
void sha256_update(sha256_ctx *c, const void *p, size_t n);
/* The digest as lowercase hex into out (65 bytes, NUL-terminated); the
 * context must be initialized again before further use. */
void sha256_hex(sha256_ctx *c, char out[65]);

/* The lowercase hex sha256 of n bytes at p, into out. */
void sha256_hex_of(const void *p, size_t n, char out[65]);

/* For tests only: with portable true, every hash from now on uses the
 * portable C compression; with false, the choice goes back to the CPU's.
 * Returns whether the path now in use is the SHA-NI one (false on other
 * CPUs and platforms, and always with portable true). Not thread-safe
 * against hashes running at the same time. */
bool sha256_use_portable(bool portable);

#endif
