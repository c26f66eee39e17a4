/* expand.h - versions x variants - excludes + includes -> cells.
 *
 * Each cell gets the defaults of matrix.yaml: source from the lock file,
 * configure flags (matrix-wide, then the variant's PGO/LTO/pip, then the
 * variant's own), packages, env, and the default tag and aliases (full
 * version, series, major for the newest series of that major, alias rules).
 * Reports a series missing from the lock file, an exclude that matches
 * nothing (a warning) and the cell cap.
 */
#ifndef MATRIXC_EXPAND_H
#define MATRIXC_EXPAND_H

#include <stdbool.h>

#include "cell.h"
#include "lock.h"
#include "matrix.h"

bool expand_cells(arena *a, diag *d, matrix *m, const lockfile *lf,
		  cellset *out);

/* Does rule version r ("3.13" or "3.13.5") match a release: its versions
 * entry spec and its version v? The one matching rule of exclude,
 * include, tags and explain. */
bool expand_version_matches(const char *r, const char *spec,
			    const pyversion *v);

#endif
