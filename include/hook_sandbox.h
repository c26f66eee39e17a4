/* hook_sandbox.h - what hook code can see: libraries, environments, pairs.
 *
 * Part of the Lua layer (see hook_run.h). The sandbox has base (less
 * files, dofile, collectgarbage, and finalizers: setmetatable refuses
 * __gc), string (less dump), table, math (less random) and utf8 (both
 * opened when first named), mx (hook_mx.h), load (text only) and require
 * (hook_load.h). Nothing in it reaches files, processes, the clock or
 * randomness, and nothing makes output depend on addresses or on Lua's
 * hash order: tostring and string.format show no addresses, and pairs
 * and next go in sorted key order. xpcall runs its handler after the
 * error, as ordinary code under the budget (Lua would run it with the
 * count hook off when the error is the budget's). Each chunk gets its own
 * environment, a copy of the sandbox's names over the sandbox; a name no
 * one defined is an error, not nil.
 */
#ifndef MATRIXC_HOOK_SANDBOX_H
#define MATRIXC_HOOK_SANDBOX_H

#include <lua.h>

typedef struct hookrun hookrun;

typedef struct {
	int names_ref;  /* registry: the sandbox's names, keys and values */
	int env_mt_ref; /* registry: an environment's metatable */
} hook_sandbox;

/* Make the sandbox (the cells' metatables and the module tables must be
 * set up first). */
void sandbox_setup(hookrun *r, lua_State *L);

/* Give the chunk at the top a fresh environment. */
void sandbox_set_env(hookrun *r, lua_State *L);

/* tostring without addresses: pushes it. */
const char *sandbox_tostring(lua_State *L, int idx);

#endif
