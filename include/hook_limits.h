/* hook_limits.h - what bounds a hook: memory, instructions, CPU time.
 *
 * Part of the Lua layer (see hook_run.h). Every hook call (a file's main
 * chunk, a cell hook, a matrix hook) runs between limits_begin and
 * limits_end, under:
 *   - an instruction budget of HOOK_BUDGET, which counts VM instructions
 *     (the count hook), the work of library calls whose cost grows with
 *     their arguments (hook_charge, charged before the work is done), and
 *     memory allocated (HOOK_ALLOC_GRAIN bytes as one instruction). All
 *     three are deterministic. Past the budget, every instruction fails,
 *     so a hook that catches the error (pcall) cannot keep running, and
 *     the error is reported where the budget ran out;
 *   - a CPU-time backstop, checked by the count hook, for what no count
 *     sees (comparing two long strings is one instruction);
 *   - a memory cap on the whole Lua state (limits_alloc, Lua's allocator,
 *     over malloc), which also counts what stores into cells take from
 *     the run's arena (hook_charge_mem). A request the cap refuses is
 *     retried by Lua after a full collection; a second refusal is the
 *     memory error. Its hook line comes from the line hook, which is on
 *     while the state holds more than half the cap.
 * Steps that run long inside one C call (the collector, the compiler)
 * are the watchdog's (watchdog.h), which cmd starts for the hook phase.
 */
#ifndef MATRIXC_HOOK_LIMITS_H
#define MATRIXC_HOOK_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "diag.h"

typedef struct hookrun hookrun;

#ifndef HOOK_BUDGET /* the fuzz build sets a smaller one, to run fast */
#define HOOK_BUDGET 20000000ul /* VM instructions per call */
#endif
#define HOOK_ALLOC_GRAIN 64    /* bytes allocated per instruction */
#define HOOK_MEMORY ((size_t)64 << 20)      /* bytes for the whole state */
#define HOOK_CELL_MEMORY ((size_t)16 << 10) /* and per cell, up to: */
#define HOOK_MEMORY_MAX ((size_t)192 << 20)

typedef struct {
	size_t used;          /* bytes held by the state, and charged */
	size_t cap;
	double cpu_limit;     /* the backstop, in seconds (hooks.h) */
	/* a refusal Lua may retry after a full collection */
	bool pending;
	const void *pend_ptr;
	size_t pend_osize, pend_nsize;
	/* the call in progress (limits_begin) */
	bool in_call;
	bool lines;           /* the line hook is on: near the cap */
	unsigned long steps;  /* count hook ticks */
	double work;          /* library work and collections, instructions */
	size_t alloc_bytes;   /* bytes allocated */
	double pattern_work;  /* worst-case steps of pattern calls */
	double call_cpu;      /* CPU seconds at the call's first tick */
	bool budget_exceeded, time_exceeded, mem_exceeded;
	srcpos line_at;       /* the last hook line the line hook saw */
	srcpos budget_at;     /* where the budget (or the backstop) ran out */
	srcpos mem_at;        /* where the cap refused memory for good */
} hook_limits;

/* The limits of run r: a memory cap of cap bytes, a backstop of
 * cpu_limit seconds of CPU time per call. */
void limits_init(hookrun *r, size_t cap, double cpu_limit);

/* lua_Alloc over malloc, capped; its user data is the hookrun. */
void *limits_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* A hook call begins: fresh budget, count hook on. */
void limits_begin(hookrun *r);
/* It has ended: hooks off. True when no limit was passed. */
bool limits_end(hookrun *r);

/* Stop counting allocations against the budget (lua_load never raises),
 * then count them again if limits_pause said so. */
bool limits_pause(hookrun *r);
void limits_resume(hookrun *r, bool counted);

/* Charge cost instructions of library work to the budget; raises the
 * budget error once it is spent. */
void hook_charge(lua_State *L, double cost);
/* Charge bytes taken from the arena for a store to the memory cap;
 * raises "not enough memory" when they do not fit. */
void hook_charge_mem(hookrun *r, lua_State *L, size_t bytes);

/* Wrap every function of library lib (at index t: "string", "table",
 * "utf8", or "_G" for the sandbox's base functions) whose work grows
 * with its arguments, so that it charges that work first; string's
 * pattern functions are also refused a pattern that could run past the
 * budget inside one call. */
void limits_guard_library(lua_State *L, int t, const char *lib);

/* Push wrapper w of the library function below the top nup - 1 values
 * (popped), which become its upvalues, the function first. */
void hook_push_wrapper(lua_State *L, lua_CFunction w, int nup);
/* In a wrapper: run the original (upvalue 1) on the wrapper's frame. */
int hook_call_original(lua_State *L);

#endif
