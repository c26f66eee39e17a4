/* pyorg.h - python.org's downloads API: parsing and release selection.
 *
 *   GET {source}/api/v2/downloads/release/?is_published=true
 *     [{"name": "Python 3.13.5", "version": 3, "is_published": true,
 *       "pre_release": false, "resource_uri": ".../release/1020/", ...}]
 *   GET {source}/api/v2/downloads/release_file/?release=1020
 *     [{"url": ".../Python-3.13.5.tar.xz", "is_source": true,
 *       "sha256_sum": "...", "md5_sum": "...", "filesize": 22856016, ...}]
 *
 * The exact version comes from `version` when it is a version string and
 * from `name` otherwise (python.org's `version` is the major number, and
 * older dumps lack it). Names that are not "Python X.Y.Z[PRE]" (the
 * install manager, say) are skipped. This module does no I/O: it parses
 * bodies that the caller fetched, so it is tested without a network.
 */
#ifndef MATRIXC_PYORG_H
#define MATRIXC_PYORG_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "version.h"

#define PYORG_DEFAULT_SOURCE "https://www.python.org"
#define PYORG_MAX_JSON ((size_t)16 << 20)

typedef struct {
	const char *name;    /* "Python 3.13.5" */
	const char *version; /* "3.13.5" */
	pyversion v;
	const char *id;      /* "1020", for release_file?release= */
} pyorg_release;

typedef struct {
	pyorg_release *v;
	size_t n;
} pyorg_releases;

typedef struct {
	const char *url;
	const char *sha256; /* lowercase hex, or NULL when not published */
	const char *md5;    /* lowercase hex, or NULL */
	long long filesize; /* -1 when not published */
} pyorg_file;

/* The two endpoints under source (no trailing slash needed). */
char *pyorg_releases_url(arena *a, const char *source);
char *pyorg_files_url(arena *a, const char *source, const char *id);

/* Parse a release list. false with the problem in err (no URL: the
 * caller knows it). Strings live in a. */
bool pyorg_parse_releases(arena *a, const char *text, size_t len,
			  pyorg_releases *out, char *err, size_t errlen);

/* The newest release matching want: the exact version when exact, else
 * the newest of want's series, pre-releases only when prerelease_ok.
 * NULL when none matches. */
const pyorg_release *pyorg_select(const pyorg_releases *rs,
				  const pyversion *want, bool exact,
				  bool prerelease_ok);

/* Pick r's source tarball from a release_file list: Python-X.Y.Z.tar.xz,
 * else Python-X.Y.Z.tgz. false with the problem in err. */
bool pyorg_parse_files(arena *a, const char *text, size_t len,
		       const pyorg_release *r, pyorg_file *out, char *err,
		       size_t errlen);

#endif
