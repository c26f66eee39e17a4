/* hooks.h - Lua hooks: per-version quirks as sandboxed Lua 5.4 scripts.
 *
 * One Lua state per run. Every hook file is compiled from its text (never
 * bytecode), and its hooks are called once per cell (`cell` hook) and
 * once for the whole matrix (`matrix` hook), each call under an
 * instruction budget, with the state under a memory cap. Errors name the
 * hook file and line and the cell. docs/hooks.md describes what a hook
 * sees.
 */
#ifndef MATRIXC_HOOKS_H
#define MATRIXC_HOOKS_H

#include <stdbool.h>

#include "cell.h"
#include "matrix.h"

/* Run every hook listed in m->hooks over cs, in order. Files are read
 * relative to m->dir. Returns false after reporting errors to d. */
bool hooks_run(arena *a, diag *d, const matrix *m, cellset *cs);

/* The period for the watchdog (watchdog.h) that the caller runs around
 * hooks_run: longer than the CPU time any one hook call may take, so that
 * only a step no limit sees (a collector cycle, compiling) meets it. */
double hooks_watchdog_period(void);

#endif
