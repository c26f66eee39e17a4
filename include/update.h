/* update.h - resolve the matrix's series into lock entries over HTTP.
 *
 * For each version spec: find the newest matching release in the release
 * list, and when the lock entry is missing or older, fetch the release's
 * files, pick the source tarball, download it and hash it (sha256 through
 * libcrypto), check it against the published sha256, size and md5, and
 * only then set the lock entry. A tarball with neither a sha256 nor an
 * md5 published is refused, unless trust_unverified: then its entry is
 * marked unverified. Credentials in a tarball URL never reach the lock. The lock never records a checksum that
 * matrixc did not compute itself from the bytes at that URL. With
 * check_only nothing past the release list is fetched.
 *
 * Errors go to the diag context; nothing is printed. The lockfile is only
 * changed in memory: writing it is the command's business.
 */
#ifndef MATRIXC_UPDATE_H
#define MATRIXC_UPDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "http.h"
#include "lock.h"
#include "matrix.h"

/* One line of `update` output: "3.13: 3.13.4 -> 3.13.5", or for a base
 * image "debian:bookworm-slim: sha256:... -> sha256:...". */
typedef struct {
	const char *key;
	const char *from; /* NULL: the series had no lock entry */
	const char *to;
} update_change;

typedef struct {
	arena *a;
	diag *d;
	http *h;
	const char *source; /* API base URL, e.g. https://www.python.org */
	bool check_only;
	bool trust_unverified; /* lock a tarball with no published checksum */
	update_change *changes; /* out: in the order of the specs */
	size_t nchanges;
	size_t input_failures; /* out: specs with no matching release */
	size_t env_failures;   /* out: specs the network or server failed */
	const char **bases;    /* out: the base images the cells use, when
				  update_bases ran (for --prune) */
	size_t nbases;
} update_ctx;

typedef enum {
	UPDATE_OK,    /* lf now current (or, with check_only, compared) */
	UPDATE_INPUT, /* a spec has no matching release (bad input) */
	UPDATE_ENV    /* network or server trouble, or a tarball with no
			 published checksum: reported to u->d */
} update_status;

/* Append the change of key from `from` to `to` to u->changes (in u->a). */
void update_add_change(update_ctx *u, const char *key, const char *from,
		       const char *to);

/* Resolve specs[0..n) into lf. Every spec is tried; lf gets the entries
 * of those that resolved, whatever happened to the others. */
update_status update_resolve(update_ctx *u, const version_spec *const *specs,
			     size_t n, lockfile *lf);

/* Resolve each of images[0..n) (base images, each once) to the digest
 * its tag names now (oci.h), into lf's bases; with check_only, only
 * compare. Every image is tried; an image that fails counts in
 * env_failures and leaves its entry as it was. */
update_status update_bases(update_ctx *u, const char *const *images,
			   size_t n, lockfile *lf);

#endif
