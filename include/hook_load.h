/* hook_load.h - hook files and modules: reading and compiling them.
 *
 * Part of the Lua layer (see hook_run.h). A hook file listed in
 * matrix.yaml, and a module it requires (lua/NAME.lua, nothing else), is
 * read (at most LIMIT_FILE_BYTES), registered with diag so that errors
 * quote its lines, and compiled from its text: binary chunks are refused.
 * Each chunk gets a fresh environment (hook_sandbox.h). require runs a
 * module once, as Lua's does, under the budget of the call that asks.
 */
#ifndef MATRIXC_HOOK_LOAD_H
#define MATRIXC_HOOK_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "diag.h"

typedef struct hookrun hookrun;

typedef struct {
	const char *name; /* "lua/quirks.lua", as listed or required */
	int cell_ref, matrix_ref; /* its hooks (the runner's), or LUA_NOREF */
	srcpos cell_at, matrix_at; /* where they are defined */
} hookfile;

typedef struct {
	hookfile *v; /* every file loaded, listed or required, in order */
	size_t n, cap;
	int loaded_ref;  /* registry: module name -> its value */
	int chunks_ref;  /* registry: module name -> chunk, or load error */
} hook_files;

/* The module tables, into the registry. */
void load_setup(hookrun *r, lua_State *L);

/* Read and compile hook file name (relative to the matrix directory) and
 * push the chunk, with a fresh environment. Returns a lua_load status,
 * or LUA_ERRFILE, with the message pushed instead. On success the file
 * is r->files.v[r->files.n - 1]. */
int load_file(hookrun *r, lua_State *L, const char *name);

/* The index of the hook file a chunk source ("@lua/x.lua") names, or -1. */
int hook_file_index(const hookrun *r, const char *source);

/* require(name), for the sandbox. */
int hook_require(lua_State *L);

#endif
