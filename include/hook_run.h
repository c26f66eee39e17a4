/* hook_run.h - the state of one hooks run, shared by the hook_* modules.
 *
 * hooks.c (the runner) and the hook_* modules together are the Lua layer:
 * the only files that include lua.h. A run is one hookrun, reached from
 * any Lua callback with run_of(L) (it is the allocator's user data). Each
 * part of it is owned by one module, which alone writes it; the others
 * read what its header says they may.
 */
#ifndef MATRIXC_HOOK_RUN_H
#define MATRIXC_HOOK_RUN_H

#include <lua.h>

#include "arena.h"
#include "cell.h"
#include "diag.h"
#include "matrix.h"

#include "hook_cell.h"
#include "hook_diag.h"
#include "hook_limits.h"
#include "hook_load.h"
#include "hook_mx.h"
#include "hook_sandbox.h"
#include "hook_settle.h"

struct hookrun {
	arena *a;          /* what outlives the run: strings stored in cells */
	diag *d;
	const matrix *m;
	cellset *cs;
	lua_State *L;
	hook_limits lim;   /* hook_limits.c */
	hook_call call;    /* hook_diag.c: the call in progress, its error */
	hook_files files;  /* hook_load.c */
	hook_sandbox sb;   /* hook_sandbox.c */
	hook_cells cells;  /* hook_cell.c */
	hook_prov prov;    /* hook_settle.c */
	hook_mx mx;        /* hook_mx.c */
};

static inline hookrun *run_of(lua_State *L)
{
	void *ud;
	lua_getallocf(L, &ud);
	return ud;
}

#endif
