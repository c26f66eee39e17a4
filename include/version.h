/* version.h - CPython version numbers: parsing, ordering, series.
 *
 * A version is MAJOR.MINOR[.PATCH[PRE]] where PRE is a1, b4, rc2. A series
 * is MAJOR.MINOR (no patch); a series spec may end in "-rc" to accept
 * pre-releases ("3.15-rc"). Ordering follows PEP 440 for these forms:
 * 3.13.0a1 < 3.13.0b1 < 3.13.0rc1 < 3.13.0 < 3.13.1.
 */
#ifndef MATRIXC_VERSION_H
#define MATRIXC_VERSION_H

#include <stdbool.h>

typedef enum { PRE_ALPHA, PRE_BETA, PRE_RC, PRE_FINAL } pre_kind;

typedef struct {
	unsigned major, minor, patch;
	bool has_patch;
	pre_kind pre;  /* PRE_FINAL for a final release */
	unsigned pre_n; /* 4 in b4 */
} pyversion;

/* Parse an exact version or a series ("3.13"). false if malformed. */
bool version_parse(const char *s, pyversion *v);
/* Parse a series spec as written in matrix.yaml: "3.13", "3.15-rc" or an
 * exact "3.6.3". prerelease_ok is set for the "-rc" form. */
bool version_parse_spec(const char *s, pyversion *v, bool *prerelease_ok);

/* <0, 0, >0; a series compares as its .0 final release */
int version_cmp(const pyversion *a, const pyversion *b);
/* true when v belongs to series s (same major and minor) */
bool version_in_series(const pyversion *v, const pyversion *s);
/* "b4" of 3.15.0b4; "" for a final release or a series */
void version_pre(const pyversion *v, char *out, unsigned size);
/* "3.13" of any version */
void version_series(const pyversion *v, char *out, unsigned size);

#endif
