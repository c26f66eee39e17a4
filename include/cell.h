/* cell.h - the cell: one image build, the compiler's intermediate form.
 *
 * expand creates cells with defaults from matrix.yaml, hooks adjust them,
 * plan fills in the derived names and rejects collisions, and the emitters
 * read them as const. Every field that a person may ask about keeps where
 * its value came from (a matrix.yaml position, a hook file and line, or a
 * built-in default with no position) for `matrixc explain`.
 */
#ifndef MATRIXC_CELL_H
#define MATRIXC_CELL_H

#include <stdbool.h>
#include <stddef.h>

#include "matrix.h"
#include "strlist.h"
#include "version.h"

typedef struct {
	bool on;
	srcpos at;
} pbool;

/* A list entry that a hook removed: the list, the value, the hook line
 * that removed it (explain shows them). */
typedef struct {
	const char *field; /* "configure" */
	const char *value;
	srcpos by;
} removal;

typedef struct cell {
	/* identity: fixed once expanded */
	pyversion version;
	const char *version_str; /* "3.13.5" */
	const char *series;      /* "3.13" */
	const char *spec;        /* the matrix entry it came from: "3.13" */
	const variant *variant;
	srcpos origin;           /* the versions entry or include rule */

	/* what hooks may change */
	pbool pgo, lto, pip;
	pstr base;               /* FROM image of both stages */
	pstr url, sha256;        /* source tarball */
	pstr get_pip_url, get_pip_sha256; /* pip via get-pip.py (2.7) */
	strlist configure;       /* ./configure arguments */
	strlist make_flags;      /* make arguments (PROFILE_TASK=...) */
	strlist env;             /* NAME=value, set in both stages */
	strlist build_args;      /* NAME=value, ARG defaults */
	strlist build_packages, run_packages;
	pstr tag;                /* primary tag: 3.13.5-wee */
	strlist aliases;         /* 3.13-wee, 3-wee, latest */
	bool skip;
	pstr skip_reason;
	removal *removed;        /* in the order the hooks ran */
	size_t nremoved, removed_cap;
	strlist platforms;       /* linux/amd64 ...: one image each */
	strlist dropped;         /* platforms mx.drop_platform took, each at
				  * its hook line; why: the same index of
				  * drop_reasons */
	strlist drop_reasons;

	/* derived by plan */
	const char *dir;         /* 3.13.5/wee */
	const char *dockerfile;  /* 3.13.5/wee/Dockerfile */
	const char *job;         /* build:3.13.5-wee */
	const char *base_digest; /* "sha256:..." of base from the lock file;
				    NULL when bases float (pin_bases: false)
				    or base names its digest itself */
} cell;

typedef struct {
	cell **v; /* in expansion order: versions as written, then variants */
	size_t n, cap;
} cellset;

void cellset_add(arena *a, cellset *cs, cell *c);

/* The tag a cell gets unless a hook changes it: version-variant
 * (3.13.5-wee). */
const char *cell_default_tag(arena *a, const cell *c);
bool cell_has_default_tag(const cell *c);

/* The per-platform images of a cell: one per platform when it has
 * several, each tagged TAG-KEY (platform.h) and joined under TAG by a
 * manifest list; none when it has one, which is built as TAG itself. */
static inline size_t cell_platform_tags(const cell *c)
{
	return c->platforms.n > 1 ? c->platforms.n : 0;
}

#endif
