/* hook_load.c - hook files and modules: reading and compiling them (see
 * hook_load.h). */
#include "hook_run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "limits_input.h"
#include "buf.h"
#include "fileio.h"

void load_setup(hookrun *r, lua_State *L)
{
	lua_newtable(L);
	r->files.loaded_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newtable(L);
	r->files.chunks_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

int hook_file_index(const hookrun *r, const char *source)
{
	if (!source || source[0] != '@')
		return -1;
	for (size_t i = 0; i < r->files.n; i++)
		if (strcmp(source + 1, r->files.v[i].name) == 0)
			return (int)i;
	return -1;
}

static hookfile *add_file(hookrun *r, const char *name)
{
	hook_files *fs = &r->files;
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 8;
		fs->v = arena_grow(r->a, fs->v, fs->cap * sizeof *fs->v,
				   cap * sizeof *fs->v);
		fs->cap = cap;
	}
	hookfile *f = &fs->v[fs->n++];
	*f = (hookfile){.name = name, .cell_ref = LUA_NOREF,
			.matrix_ref = LUA_NOREF};
	return f;
}

int load_file(hookrun *r, lua_State *L, const char *name)
{
	/* nothing from the arena (which the memory cap does not bound) until
	 * the file is read: require may be asked for any number of names */
	buf path, b;
	buf_init(&path, 0);
	if (strcmp(r->m->dir, ".") != 0)
		buf_printf(&path, "%s/", r->m->dir);
	buf_puts(&path, name);
	buf_init(&b, LIMIT_FILE_BYTES);
	int rc = file_read(buf_str(&path), &b, LIMIT_FILE_BYTES);
	buf_release(&path);
	if (rc != 0) {
		int err = errno;
		buf_release(&b);
		if (rc == -2)
			lua_pushfstring(L, "hook file is larger than %d MiB",
					(int)(LIMIT_FILE_BYTES >> 20));
		else
			lua_pushfstring(L, "cannot read '%s': %s", name,
					strerror(err));
		return LUA_ERRFILE;
	}
	name = arena_strdup(r->a, name);
	diag_add_source(r->d, name, buf_str(&b), b.len);
	add_file(r, name);
	const char *chunk = arena_printf(r->a, "@%s", name);
	/* compiling is not charged to the call that asks (require): a step
	 * of it that runs long is the watchdog's, its memory the cap's */
	bool counted = limits_pause(r);
	int status = luaL_loadbufferx(L, buf_str(&b), b.len, chunk, "t");
	limits_resume(r, counted);
	buf_release(&b);
	if (status == LUA_OK)
		sandbox_set_env(r, L);
	return status;
}

static bool plain_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-'))
			return false;
	return true;
}

/* The chunk of module name (lua/NAME.lua), pushed: read and compiled the
 * first time only, and a failure to load (no file, a syntax error) kept
 * and raised again, so that a hook that retries (pcall) costs no more
 * reads, copies or compiles. */
static void push_module_chunk(hookrun *r, lua_State *L, const char *name)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->files.chunks_ref);
	int chunks = lua_gettop(L);
	int t = lua_getfield(L, chunks, name);
	if (t == LUA_TNIL) {
		lua_pop(L, 1);
		char file[80]; /* a plain_name has at most 64 bytes */
		snprintf(file, sizeof file, "lua/%s.lua", name);
		int status = load_file(r, L, file);
		if (status == LUA_ERRFILE) {
			const char *why = lua_tostring(L, -1);
			lua_pushfstring(L, "module '%s' not found: hooks can "
					"only require lua/NAME.lua (%s)", name,
					why);
			lua_remove(L, -2);
		}
		/* not a memory error: a later call may have the memory */
		if (status != LUA_ERRMEM) {
			lua_pushvalue(L, -1);
			lua_setfield(L, chunks, name);
		}
		t = status == LUA_OK ? LUA_TFUNCTION : LUA_TSTRING;
	}
	lua_remove(L, chunks);
	if (t != LUA_TFUNCTION)
		lua_error(L);
}

/* Is a require of module name running, below this one? Its "loading" mark
 * may also be left by a body that raised an error, which a hook caught. */
static bool requiring(lua_State *L, const char *name)
{
	lua_Debug ar;
	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		lua_getinfo(L, "f", &ar);
		bool req = lua_tocfunction(L, -1) == hook_require;
		lua_pop(L, 1);
		if (req && lua_getlocal(L, &ar, 1)) { /* its argument */
			bool same = lua_type(L, -1) == LUA_TSTRING &&
				    strcmp(lua_tostring(L, -1), name) == 0;
			lua_pop(L, 1);
			if (same)
				return true;
		}
	}
	return false;
}

/* require(name): lua/NAME.lua, loaded once, nothing outside lua/ */
int hook_require(lua_State *L)
{
	hookrun *r = run_of(L);
	const char *name = luaL_checkstring(L, 1);
	if (!plain_name(name))
		return hook_fail(L, "require: '%s' is not a module name (hooks "
			  "can only require lua/NAME.lua, NAME in [a-z0-9_-])",
			  name);
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->files.loaded_ref);
	int loaded = lua_gettop(L);
	int t = lua_getfield(L, loaded, name);
	if (t == LUA_TLIGHTUSERDATA && requiring(L, name))
		return hook_fail(L, "require: '%s' requires itself", name);
	if (t != LUA_TNIL && t != LUA_TLIGHTUSERDATA)
		return 1;
	/* not loaded, or its body raised an error a hook caught: run it
	 * (again), as Lua's require does */
	lua_pop(L, 1);
	push_module_chunk(r, L, name);
	lua_pushlightuserdata(L, r); /* marks "loading" */
	lua_setfield(L, loaded, name);
	lua_call(L, 0, 1);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, loaded, name);
	return 1;
}
