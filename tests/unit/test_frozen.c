/* The shipped hook files compiled at build time (include/frozen.h): each
 * is the text of its file in lua/, compiled by the Lua library matrixc
 * runs with, so hooks.c takes the frozen path for it. Run from the
 * repository's root (prove does). */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>

#include "bounds.h"
#include "buf.h"
#include "frozen.h"
#include "outdir.h"
#include "tap.h"

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
		buf_release(&text);
		ok(luaL_loadbufferx(L, (const char *)f->code, f->code_len,
				    f->name, "b") == LUA_OK,
		   "%s: the chunk loads", f->name);
		lua_settop(L, 0);
	}
	lua_close(L);
	return tap_done();
}
