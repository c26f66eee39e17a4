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
} plan;

bool plan_build(arena *a, diag *d, const matrix *m, const cellset *all,
		plan *out);

/* The cell whose tag or alias is name, or whose "version/variant" is name;
 * NULL if none. */
const cell *plan_find(const plan *p, const cellset *all, const char *name);

#endif
