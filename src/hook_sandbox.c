/* hook_sandbox.c - what hook code can see: libraries, environments, pairs
 * (see hook_sandbox.h). */
#include "hook_run.h"

#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

/* --- text without addresses ------------------------------------------------ */

/* A table, function or userdata without __tostring reads as its type
 * name, so nothing a hook makes of a value can differ between runs. */
const char *sandbox_tostring(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
	case LUA_TBOOLEAN:
	case LUA_TNUMBER:
	case LUA_TSTRING:
		return luaL_tolstring(L, idx, NULL);
	default:
		if (luaL_callmeta(L, idx, "__tostring")) {
			if (lua_type(L, -1) != LUA_TSTRING)
				hook_fail(L, "'__tostring' must return a string");
			return lua_tostring(L, -1);
		}
		lua_pushstring(L, luaL_typename(L, idx));
		return lua_tostring(L, -1);
	}
}

static int sb_tostring(lua_State *L)
{
	luaL_checkany(L, 1);
	sandbox_tostring(L, 1);
	return 1;
}

/* Does format fmt have a %p (an address) conversion? */
static bool has_address(const char *fmt)
{
	for (const char *p = strchr(fmt, '%'); p; p = strchr(p + 1, '%')) {
		if (p[1] == '%') {
			p++;
			continue;
		}
		p += 1 + strspn(p + 1, "-+ #0123456789.");
		if (*p == 'p')
			return true;
		if (!*p)
			break;
	}
	return false;
}

/* string.format without addresses; the original is upvalue 1 */
static int sb_format(lua_State *L)
{
	const char *fmt = luaL_checkstring(L, 1);
	if (has_address(fmt))
		return hook_fail(L, "string.format: '%%p' is not available to "
				 "hooks (addresses differ between runs)");
	int n = lua_gettop(L);
	for (int i = 2; i <= n; i++) {
		int t = lua_type(L, i);
		if (t == LUA_TTABLE || t == LUA_TFUNCTION || t == LUA_TUSERDATA ||
		    t == LUA_TTHREAD || t == LUA_TLIGHTUSERDATA) {
			sandbox_tostring(L, i);
			lua_replace(L, i);
		}
	}
	return hook_call_original(L);
}

/* print(...): a note at the hook line, so hook output goes where every
 * other message goes and stays in order */
static int sb_print(lua_State *L)
{
	hookrun *r = run_of(L);
	int n = lua_gettop(L);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1) /* a tab, as in Lua's print, would show as \x09 */
			luaL_addchar(&b, ' ');
		sandbox_tostring(L, i);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	size_t len;
	const char *s = lua_tolstring(L, -1, &len);
	srcpos at = r->call.call_at;
	hook_frame(r, L, 1, &at);
	/* diag copies what it keeps: nothing goes to the run's arena, which
	 * the memory cap does not bound */
	diag_note(r->d, at, "print: %.*s",
		  (int)(len < HOOK_MSG_MAX ? len : HOOK_MSG_MAX), s);
	return 0;
}

/* --- functions that run code -------------------------------------------- */

/* load(text [, name]): text chunks only, in a fresh environment */
static int sb_load(lua_State *L)
{
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	hook_charge(L, (double)len); /* compiling scans the text */
	if (luaL_loadbufferx(L, text, len, "=(load)", "t") == LUA_OK) {
		sandbox_set_env(run_of(L), L);
		return 1;
	}
	lua_pushnil(L);
	lua_insert(L, -2);
	return 2;
}

/* xpcall(f, handler, ...): f under pcall, then, on an error, the handler
 * called with it as any function is. Lua's own xpcall runs the handler
 * where the error is raised, and the budget's error is raised from the
 * count hook, where Lua runs no hook: the handler would run unbounded.
 * No hook can tell the difference (there is no debug library), but for
 * a memory error, which gets no handler, as in Lua. */
static int sb_xpcall(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 2);
	lua_insert(L, 1); /* handler, f, handler, args */
	lua_remove(L, 3);
	int status = lua_pcall(L, n - 2, LUA_MULTRET, 0);
	if (status == LUA_OK) {
		lua_pushboolean(L, 1);
		lua_replace(L, 1);
		return lua_gettop(L);
	}
	if (status != LUA_ERRMEM) {
		lua_pushvalue(L, 1);
		lua_insert(L, -2);
		lua_call(L, 1, 1);
	}
	lua_pushboolean(L, 0);
	lua_insert(L, -2);
	return 2;
}

/* setmetatable(t, mt) without finalizers: a __gc would run whenever the
 * collector gets to it, outside every hook's budget (and at the end, in
 * lua_close, where nothing can stop it). The original is upvalue 1. */
static int sb_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		bool gc = lua_rawget(L, 2) != LUA_TNIL;
		lua_pop(L, 1);
		if (gc)
			return hook_fail(L, "setmetatable: '__gc' is not available "
					 "to hooks (a finalizer would run outside "
					 "the hook's instruction budget)");
	}
	return hook_call_original(L);
}

/* --- sorted pairs ------------------------------------------------------------ */

/* pairs' key order: numbers, then strings, then booleans */
static int key_rank(lua_State *L, int idx)
{
	switch (lua_type(L, idx)) {
	case LUA_TNUMBER: return 1;
	case LUA_TSTRING: return 2;
	case LUA_TBOOLEAN: return 3;
	default: return 0;
	}
}

/* Does the key at a come before the key at b (both ranked)? */
static bool key_before(lua_State *L, int a, int b)
{
	int ra = key_rank(L, a), rb = key_rank(L, b);
	if (ra != rb)
		return ra < rb;
	if (ra == 3)
		return !lua_toboolean(L, a) && lua_toboolean(L, b);
	return lua_compare(L, a, b, LUA_OPLT);
}

static int key_less(lua_State *L)
{
	lua_pushboolean(L, key_before(L, 1, 2));
	return 1;
}

/* next(t, k) in pairs' order: the key after k (the first for nil), so
 * that no hook sees Lua's hash order, whose seed changes from run to run.
 * It looks at every key, charged to the budget; pairs is the way to walk
 * a large table. */
static int sb_next(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 2);
	if (!lua_isnil(L, 2) && !key_rank(L, 2))
		return 0;
	lua_pushnil(L); /* 3: the next key so far */
	bool found = false;
	lua_pushnil(L);
	while (lua_next(L, 1)) { /* 4: a key */
		lua_pop(L, 1);
		hook_charge(L, 1);
		if (!key_rank(L, 4))
			return hook_fail(L, "next: a %s key has no stable order "
					 "(use string or number keys)",
					 luaL_typename(L, 4));
		if (!lua_isnil(L, 2) && !key_before(L, 2, 4))
			continue;
		if (!found || key_before(L, 4, 3)) {
			lua_pushvalue(L, 4);
			lua_replace(L, 3);
			found = true;
		}
	}
	if (!found) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushvalue(L, 3);
	lua_pushvalue(L, 3);
	lua_rawget(L, 1);
	return 2;
}

/* iterator over the sorted keys (upvalue 1) of the table (upvalue 2) */
static int sorted_next(lua_State *L)
{
	lua_Integer i = lua_tointeger(L, lua_upvalueindex(3)) + 1;
	lua_pushinteger(L, i);
	lua_replace(L, lua_upvalueindex(3));
	if (lua_geti(L, lua_upvalueindex(1), i) == LUA_TNIL)
		return 0;
	lua_pushvalue(L, -1);
	lua_gettable(L, lua_upvalueindex(2));
	return 2;
}

/* pairs(t): keys in a fixed order, so that hook output never depends on
 * the hash; a cell's fields by name, a list's entries in order. Upvalue
 * 1 is table.sort. */
static int sb_pairs(lua_State *L)
{
	const hook_ref *p = as_ref(L, 1);
	if (p)
		return cells_pairs(L, p);
	if (!lua_istable(L, 1))
		return hook_fail(L, "bad argument to pairs (table expected, got "
				 "%s)", luaL_typename(L, 1));
	lua_settop(L, 1);
	lua_newtable(L);
	lua_Integer n = 0;
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		lua_pop(L, 1);
		hook_charge(L, 1);
		if (!key_rank(L, -1))
			return hook_fail(L, "pairs: a %s key has no stable order "
					 "(use string or number keys)",
					 luaL_typename(L, -1));
		lua_pushvalue(L, -1);
		lua_seti(L, 2, ++n);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 2);
	lua_pushcfunction(L, key_less);
	lua_call(L, 2, 0);
	lua_pushvalue(L, 1);
	lua_pushinteger(L, 0);
	lua_pushcclosure(L, sorted_next, 3);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

/* --- the sandbox ------------------------------------------------------------ */

static const char *const forbidden[] = {
    "io", "os", "package", "debug", "dofile", "loadfile", "collectgarbage",
    "coroutine", "loadstring", "module", "setfenv", "getfenv"};

/* Library name into the sandbox at sb, and pushed: opened, its functions
 * with unbounded work guarded, string without dump (strings reach the
 * library table through their metatable, so dump goes from the table
 * itself), math without random. It is put in the sandbox only when
 * complete, so that a memory error half way leaves nothing behind and
 * the next use starts again. */
static void open_library(lua_State *L, int sb, const char *name,
			 lua_CFunction open)
{
	lua_pushcfunction(L, open);
	lua_call(L, 0, 1);
	int lib = lua_gettop(L);
	limits_guard_library(L, lib, name);
	static const char *const dropped[][2] = {
	    {LUA_STRLIBNAME, "dump"},
	    {LUA_MATHLIBNAME, "random"},
	    {LUA_MATHLIBNAME, "randomseed"}};
	for (size_t i = 0; i < sizeof dropped / sizeof *dropped; i++)
		if (strcmp(name, dropped[i][0]) == 0) {
			lua_pushnil(L);
			lua_setfield(L, lib, dropped[i][1]);
		}
	lua_pushstring(L, name);
	lua_pushvalue(L, lib);
	lua_rawset(L, sb);
}

/* Libraries opened when hook code first names them: most hooks use
 * neither, and math is the largest library. */
static const struct {
	const char *name;
	lua_CFunction open;
} lazy_libs[] = {{LUA_MATHLIBNAME, luaopen_math},
		 {LUA_UTF8LIBNAME, luaopen_utf8}};

/* A name neither a chunk's environment nor the sandbox has comes here
 * (the sandbox's __index, so the sandbox is argument 1): a library opened
 * when first named, else an error, since a misspelt global is a bug, not
 * nil. */
static int undefined_global(lua_State *L)
{
	const char *k = lua_tostring(L, 2);
	if (lua_type(L, 2) != LUA_TSTRING)
		return hook_fail(L, "undefined global");
	for (size_t i = 0; i < sizeof lazy_libs / sizeof *lazy_libs; i++)
		if (strcmp(k, lazy_libs[i].name) == 0) {
			open_library(L, 1, k, lazy_libs[i].open);
			return 1;
		}
	for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++)
		if (strcmp(k, forbidden[i]) == 0)
			return hook_fail(L, "'%s' is not available to hooks (they "
				  "cannot reach files, processes, the clock or "
				  "randomness)", k);
	return hook_fail(L, "undefined global '%s'", k);
}

/* Push a protected metatable whose __index is the value at the top
 * (popped). */
static void push_index_mt(lua_State *L)
{
	lua_createtable(L, 0, 2);
	lua_insert(L, -2);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
}

/* Replace the function of library table t named name with wrapper w of
 * it. */
static void wrap(lua_State *L, int t, const char *name, lua_CFunction w)
{
	lua_getfield(L, t, name);
	hook_push_wrapper(L, w, 1);
	lua_setfield(L, t, name);
}

void sandbox_setup(hookrun *r, lua_State *L)
{
	static const char *const names[] = {
	    "assert", "error", "getmetatable", "ipairs", "pcall", "rawequal",
	    "rawget", "rawlen", "rawset", "select", "setmetatable",
	    "tonumber", "type", "_VERSION"};
	static const luaL_Reg own[] = {
	    {"tostring", sb_tostring}, {"print", sb_print},
	    {"load", sb_load}, {"require", hook_require},
	    {"xpcall", sb_xpcall}, {"next", sb_next}, {NULL, NULL}};
	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	lua_newtable(L);
	int sb = lua_gettop(L);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		lua_getfield(L, sb - 1, names[i]);
		lua_setfield(L, sb, names[i]);
	}
	lua_remove(L, sb - 1);
	sb--;
	limits_guard_library(L, sb, "_G");
	wrap(L, sb, "setmetatable", sb_setmetatable);
	luaL_setfuncs(L, own, 0);
	/* string and table at once (strings reach string through their
	 * metatable, which hooks cannot get; pairs sorts with table.sort),
	 * math and utf8 when first named */
	open_library(L, sb, LUA_STRLIBNAME, luaopen_string);
	wrap(L, sb + 1, "format", sb_format);
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);
	/* hooks get a copy: what they set in it is no string method */
	lua_newtable(L);
	lua_pushnil(L);
	while (lua_next(L, sb + 1)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, sb + 2);
	}
	lua_setfield(L, sb, LUA_STRLIBNAME);
	lua_pop(L, 1);
	open_library(L, sb, LUA_TABLIBNAME, luaopen_table);
	lua_getfield(L, sb + 1, "sort");
	lua_pushcclosure(L, sb_pairs, 1); /* the table.sort of setup */
	lua_remove(L, sb + 1);
	mx_open(L);
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, "sorted_pairs");
	lua_setfield(L, sb, "mx");
	lua_setfield(L, sb, "pairs");
	/* every environment's names (keys and values in turn), copied from
	 * these: reading mx or ipairs is then one table lookup (hooks read
	 * mx dozens of times per cell), and every environment starts the
	 * same, whatever libraries were opened since */
	lua_newtable(L);
	lua_Integer n = 0;
	lua_pushnil(L);
	while (lua_next(L, sb)) {
		lua_pushvalue(L, -2);
		lua_rawseti(L, sb + 1, ++n);
		lua_rawseti(L, sb + 1, ++n);
	}
	r->sb.names_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_pushvalue(L, sb);
	push_index_mt(L);
	r->sb.env_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_pushcfunction(L, undefined_global);
	push_index_mt(L);
	lua_setmetatable(L, sb);
	lua_pop(L, 1);
}

void sandbox_set_env(hookrun *r, lua_State *L)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->sb.names_ref);
	int names = lua_gettop(L);
	lua_Integer n = (lua_Integer)lua_rawlen(L, names);
	lua_createtable(L, 0, (int)(n / 2));
	for (lua_Integer i = 1; i < n; i += 2) {
		lua_rawgeti(L, names, i);
		lua_rawgeti(L, names, i + 1);
		lua_rawset(L, names + 1);
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->sb.env_mt_ref);
	lua_setmetatable(L, -2);
	lua_remove(L, names);
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
}
