/* plan.h - derived names and the checks that need every cell.
 *
 * Drops skipped cells (warning when every cell is skipped), validates each
 * tag, alias, package and flag against names.h, computes the Dockerfile
 * path and CI job name, and rejects two cells that would produce the same
 * tag or path. The resulting plan is what the emitters read.
 */
#ifndef MATRIXC_PLAN_H
#define MATRIXC_PLAN_H

#include <stdbool.h>

#include "cell.h"
#include "matrix.h"

typedef struct {
	const matrix *m;
	cellset cells; /* not skipped, in expansion order */
	/* matrix.yaml's directory relative to the repository root: "" at the
	 * root, else ending in '/' ("images/"). Generated files name their
	 * paths from the root (GitLab reads rules:changes and runs scripts
	 * there), never from -o. */
	const char *repo_dir;
} plan;

/* Build the plan of m from every cell. The repository root is the git
 * work tree holding m->dir: the nearest directory upward with a .git
 * entry (git itself is not run). Without one, m->dir is taken as the
 * root, with a warning when that is not the current directory. */
bool plan_build(arena *a, diag *d, const matrix *m, const cellset *all,
		plan *out);

/* dir relative to the root of the git work tree that holds it: "" at the
 * root, else ending in '/'. NULL when no directory upward has a .git. */
const char *plan_repo_dir(arena *a, const char *dir);

/* The cell whose tag or alias is name, or whose "version/variant" is name;
 * NULL if none. */
const cell *plan_find(const plan *p, const cellset *all, const char *name);

#endif
