/* The shipped hook files compiled at build time (include/frozen.h): each
 * is the text of its file in lua/, compiled by the Lua library matrixc
 * runs with, so hooks.c takes the frozen path for it. Run from the
 * repository's root (prove does). */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>

#include "frozen.h"
#include "tap.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char buf[1 << 20];
	*len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return buf;
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
		size_t len = 0;
		const char *text = slurp(f->name, &len);
		ok(text && len == f->len && memcmp(text, f->text, len) == 0,
		   "%s: the text is the file's", f->name);
		ok(luaL_loadbufferx(L, (const char *)f->code, f->code_len,
				    f->name, "b") == LUA_OK,
		   "%s: the chunk loads", f->name);
		lua_settop(L, 0);
	}
	lua_close(L);
	return tap_done();
}
