/* hook_mx.h - the mx library: versions and lists for hooks.
 *
 * Part of the Lua layer (see hook_run.h). Version comparisons take a cell
 * or a version string; the list helpers (has, add, remove, replace,
 * getenv, setenv) take a cell's list, which they read and write in C, or
 * a table of the hook's own, which they read raw, each entry charged to
 * the budget. docs/hooks.md lists the functions.
 */
#ifndef MATRIXC_HOOK_MX_H
#define MATRIXC_HOOK_MX_H

#include <stddef.h>

#include <lua.h>

#include "version.h"

typedef struct hookrun hookrun;

#define HOOK_VCACHE_SLOTS 64
#define HOOK_VCACHE_TEXT 24

/* The last few version strings parsed: hooks compare with the same
 * literals ("3.7") for every cell. */
typedef struct {
	char text[HOOK_VCACHE_TEXT]; /* len bytes; len 0 when unused */
	size_t len;
	pyversion v;
} hook_vcache_entry;

typedef struct {
	hook_vcache_entry slot[HOOK_VCACHE_SLOTS];
} hook_mx;

/* Push the mx library. */
void mx_open(lua_State *L);

#endif
