/* lock.h - matrix.lock.json: resolved releases, one per series, and the
 * digests of the base images.
 *
 *   {
 *     "bases": {
 *       "debian:bookworm-slim": {"digest": "sha256:..."}
 *     },
 *     "matrixc": 1,
 *     "releases": {
 *       "3.13": {"sha256": "...", "url": "https://...", "version": "3.13.5"}
 *     }
 *   }
 *
 * Keys are the series specs of matrix.yaml ("3.13", "3.15-rc", or an exact
 * "3.6.3"). Base keys are the images as matrix.yaml or a hook names them
 * (never with a digest); "bases" is absent when there are none. Written with sorted keys, two-space indent and a final newline
 * so that diffs read well. This module and the updater are the users of
 * jansson for the lock file.
 */
#ifndef MATRIXC_LOCK_H
#define MATRIXC_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "diag.h"
#include "strlist.h"

typedef struct {
	pstr key;     /* series spec */
	pstr version; /* exact version */
	pstr url;
	pstr sha256;
	bool unverified; /* "unverified": true: sha256 computed by update
			    --trust-unverified, not checked against a
			    published checksum */
} lock_entry;

/* A base image's digest: the manifest list, OCI index or manifest its tag
 * named when `matrixc update` last resolved it. */
typedef struct {
	pstr image;  /* "debian:bookworm-slim" */
	pstr digest; /* "sha256:" and 64 lowercase hex digits */
} lock_base;

typedef struct {
	const char *file;
	lock_entry *v; /* sorted by key (strcmp) */
	size_t n, cap;
	lock_base *bases; /* sorted by image (strcmp) */
	size_t nbases, capbases;
} lockfile;

/* Parse text into lf. Errors carry file:line:col from jansson. Returns
 * false after reporting. A missing file is the caller's business. */
bool lock_parse(arena *a, diag *d, const char *file, const char *text,
		size_t len, lockfile *lf);
/* The entry for key, or NULL: a binary search (v is kept sorted by key,
 * so a lookup per cell stays cheap with hundreds of entries). */
const lock_entry *lock_find(const lockfile *lf, const char *key);
/* Insert or replace the entry for key (strings copied into a); the entry
 * is valid until the next lock_set. */
lock_entry *lock_set(arena *a, lockfile *lf, const char *key,
		     const char *version, const char *url, const char *sha256);
/* Remove the entry at index i (keeps the order). */
void lock_remove(lockfile *lf, size_t i);
/* The digest entry of base image, or NULL (a binary search). */
const lock_base *lock_find_base(const lockfile *lf, const char *image);
/* Insert or replace image's digest (strings copied into a); valid until
 * the next lock_set_base. */
lock_base *lock_set_base(arena *a, lockfile *lf, const char *image,
			 const char *digest);
void lock_remove_base(lockfile *lf, size_t i);
/* Why url cannot be the source of CPython version (any version when
 * NULL), or NULL when it can: an http(s) URL (names.h) whose path holds
 * no "." or ".." segment and no percent-encoding, and whose file name is
 * a CPython source tarball's, Python-VERSION.tgz, .tar.xz or .tar.bz2 (so
 * that it can never be read as an option either). */
const char *lock_check_source_url(const char *url, const char *version);
/* Serialize, sorted and stable. false on failure. */
bool lock_format(const lockfile *lf, buf *out);

#endif
