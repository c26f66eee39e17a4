/* The shipped hook files compiled at build time (include/frozen.h): each
 * is the text of its file in lua/, compiled by the Lua library matrixc
 * runs with, so hooks.c takes the frozen path for it, and is the code of
 * that text without the names of its locals. Run from the repository's
 * root (prove does). */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>

#include "bounds.h"
#include "buf.h"
#include "frozen.h"
#include "fileio.h"
#include "tap.h"

static int writer(lua_State *L, const void *p, size_t n, void *ud)
{
	(void)L;
	buf_add(ud, p, n);
	return 0;
}

/* The function at the top dumped into b, popped; strip: no debug
 * information. */
static void dump(lua_State *L, buf *b, int strip)
{
	buf_init(b, LIMIT_FILE_BYTES);
	lua_dump(L, writer, b, strip);
	lua_pop(L, 1);
}

static bool same(const buf *a, const buf *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* The lines and upvalue names of function f (an index), as text. */
static void describe(lua_State *L, int f, buf *out)
{
	f = lua_absindex(L, f);
	buf_init(out, 0);
	lua_Debug ar;
	lua_pushvalue(L, f);
	lua_getinfo(L, ">SL", &ar); /* pushes the set of active lines */
	buf_printf(out, "lines %d-%d:", ar.linedefined, ar.lastlinedefined);
	for (int line = ar.linedefined; line <= ar.lastlinedefined; line++) {
		if (lua_rawgeti(L, -1, line) != LUA_TNIL)
			buf_printf(out, " %d", line);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	buf_puts(out, "; upvalues:");
	const char *name;
	for (int i = 1; (name = lua_getupvalue(L, f, i)); i++) {
		buf_printf(out, " %s", name);
		lua_pop(L, 1);
	}
}

/* Run the chunk at the top (its main function only defines locals and
 * returns the hook table), leaving the table; false on an error. */
static bool run_chunk(lua_State *L)
{
	return lua_pcall(L, 0, 1, 0) == LUA_OK && lua_istable(L, -1);
}

int main(void)
{
	ok(frozen_nhooks >= 2, "the shipped hook files are frozen (%zu)",
	   frozen_nhooks);
	ok(strcmp(frozen_lua, lua_ident) == 0,
	   "by the Lua library matrixc runs with");
	lua_State *L = luaL_newstate();
	for (size_t i = 0; i < frozen_nhooks; i++) {
		const frozen_hook *f = &frozen_hooks[i];
		buf text;
		buf_init(&text, LIMIT_FILE_BYTES);
		ok(file_read(f->name, &text, LIMIT_FILE_BYTES) == 0 &&
			   text.len == f->len &&
			   memcmp(text.data, f->text, f->len) == 0,
		   "%s: the text is the file's", f->name);
		ok(luaL_loadbufferx(L, (const char *)f->code, f->code_len,
				    f->name, "b") == LUA_OK,
		   "%s: the chunk loads", f->name);
		buf frozen, frozen_all, compiled, compiled_all;
		lua_pushvalue(L, -1);
		dump(L, &frozen, 1);
		dump(L, &frozen_all, 0);
		ok(luaL_loadbufferx(L, text.data, text.len, f->name, "t") ==
			   LUA_OK, "%s: the text compiles", f->name);
		lua_pushvalue(L, -1);
		dump(L, &compiled, 1);
		dump(L, &compiled_all, 0);
		ok(same(&frozen, &compiled),
		   "%s: the chunk is the text's code (debug information aside)",
		   f->name);
		ok(frozen_all.len < compiled_all.len,
		   "%s: the chunk has less debug information (%zu < %zu bytes)",
		   f->name, frozen_all.len, compiled_all.len);
		/* what the names of locals leave: each hook's lines and upvalue
		 * names (the main function's are checked by the dumps) */
		lua_settop(L, 0);
		luaL_loadbufferx(L, (const char *)f->code, f->code_len, f->name,
				 "b");
		luaL_loadbufferx(L, text.data, text.len, f->name, "t");
		ok(run_chunk(L) && (lua_insert(L, 1), run_chunk(L)),
		   "%s: both chunks run", f->name);
		for (int h = 0; h < 2; h++) {
			const char *hook = h ? "matrix" : "cell";
			if (lua_getfield(L, 1, hook) != LUA_TFUNCTION) {
				lua_pop(L, 1);
				continue;
			}
			lua_getfield(L, 2, hook);
			buf a, b;
			describe(L, -1, &a);
			describe(L, -2, &b);
			ok(same(&a, &b), "%s: hook %s has the text's lines and "
			   "upvalue names (%s)", f->name, hook, buf_str(&a));
			buf_release(&a);
			buf_release(&b);
			lua_pop(L, 2);
		}
		buf_release(&frozen);
		buf_release(&frozen_all);
		buf_release(&compiled);
		buf_release(&compiled_all);
		buf_release(&text);
		lua_settop(L, 0);
	}
	lua_close(L);
	return tap_done();
}
