/* hooks.h - Lua hooks: per-version quirks as sandboxed Lua 5.4 scripts.
 *
 * The only module that includes lua.h. One Lua state per run; hooks are
 * loaded as text, called once per cell (`cell` hook) and once for the whole
 * matrix (`matrix` hook). Errors name the hook file and line and the cell.
 */
#ifndef MATRIXC_HOOKS_H
#define MATRIXC_HOOKS_H

#include <stdbool.h>

#include "cell.h"
#include "matrix.h"

/* Run every hook listed in m->hooks over cs, in order. Files are read
 * relative to m->dir. Returns false after reporting errors to d. */
bool hooks_run(arena *a, diag *d, const matrix *m, cellset *cs);

#endif
