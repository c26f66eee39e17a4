/* hook_mx.c - the mx library: versions and lists for hooks (see
 * hook_mx.h). */
#include "hook_run.h"

#include <stdint.h>
#include <string.h>

#include <lauxlib.h>

/* Version string s of len bytes (which may hold a NUL, and then is no
 * version), parsed. A slot is chosen by where the string lives (Lua keeps
 * one copy of each short string) and holds the text, so a reused address
 * cannot return another string's parse. */
static bool parse_cached(hook_mx *mx, const char *s, size_t len, pyversion *v)
{
	if (len == 0 || len > HOOK_VCACHE_TEXT)
		return strlen(s) == len && version_parse(s, v);
	hook_vcache_entry *e =
	    &mx->slot[((uintptr_t)s >> 4) % HOOK_VCACHE_SLOTS];
	if (e->len == len && memcmp(e->text, s, len) == 0) {
		*v = e->v;
		return true;
	}
	if (strlen(s) != len || !version_parse(s, v))
		return false;
	memcpy(e->text, s, len);
	e->len = len;
	e->v = *v;
	return true;
}

/* The version the string at idx names. */
static pyversion check_version(lua_State *L, int idx)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);
	pyversion v = {0}; /* hook_fail does not return; clang cannot tell */
	if (!parse_cached(&run_of(L)->mx, s, len, &v))
		hook_fail(L, "not a version: '%s' (expected 3.13 or 3.13.5)",
			  s);
	return v;
}

/* A version argument of mx function what: a cell (the version C parsed
 * already) or a version string. */
static pyversion arg_version(lua_State *L, int idx, const char *what)
{
	switch (lua_type(L, idx)) {
	case LUA_TSTRING: return check_version(L, idx);
	case LUA_TUSERDATA: {
		const hook_ref *p = as_ref(L, idx);
		if (p && p->field < 0)
			return ref_cell(L, p)->version;
	}
	}
	hook_fail(L, "%s: expected a cell or a version string, got %s", what,
		  a_type(L, idx));
	return (pyversion){0};
}

static int vcmp(lua_State *L, const char *what)
{
	pyversion a = arg_version(L, 1, what), b = arg_version(L, 2, what);
	return version_cmp(&a, &b);
}

static int mx_compare(lua_State *L)
{
	int c = vcmp(L, "mx.compare");
	lua_pushinteger(L, c < 0 ? -1 : c > 0);
	return 1;
}

static int mx_at_least(lua_State *L)
{
	lua_pushboolean(L, vcmp(L, "mx.at_least") >= 0);
	return 1;
}

static int mx_below(lua_State *L)
{
	lua_pushboolean(L, vcmp(L, "mx.below") < 0);
	return 1;
}

static int mx_between(lua_State *L)
{
	pyversion v = arg_version(L, 1, "mx.between");
	pyversion lo = arg_version(L, 2, "mx.between");
	pyversion hi = arg_version(L, 3, "mx.between");
	lua_pushboolean(L, version_cmp(&v, &lo) >= 0 && version_cmp(&v, &hi) < 0);
	return 1;
}

static int mx_in_series(lua_State *L)
{
	pyversion v = arg_version(L, 1, "mx.in_series");
	pyversion s = arg_version(L, 2, "mx.in_series");
	lua_pushboolean(L, version_in_series(&v, &s));
	return 1;
}

/* mx.version(v) -> {major, minor, patch, pre, series} */
static int mx_version(lua_State *L)
{
	pyversion v = arg_version(L, 1, "mx.version");
	char s[32];
	lua_createtable(L, 0, 5);
	lua_pushinteger(L, v.major);
	lua_setfield(L, -2, "major");
	lua_pushinteger(L, v.minor);
	lua_setfield(L, -2, "minor");
	lua_pushinteger(L, v.patch);
	lua_setfield(L, -2, "patch");
	version_pre(&v, s, sizeof s);
	lua_pushstring(L, s);
	lua_setfield(L, -2, "pre");
	version_series(&v, s, sizeof s);
	lua_pushstring(L, s);
	lua_setfield(L, -2, "series");
	return 1;
}

/* The list argument of mx function what: a cell's list (returned, for
 * direct access) or a table of the hook's own (NULL), which the helpers
 * read and write raw, charging each entry to the budget: a metamethod
 * written in C (__index = type) would otherwise keep them looping where
 * the count hook cannot see. */
static const hook_ref *arg_list(lua_State *L, const char *what)
{
	const hook_ref *p = as_ref(L, 1);
	if (p && p->field >= 0) {
		ref_cell(L, p);
		return p;
	}
	if (!lua_istable(L, 1))
		hook_fail(L, "%s: expected a list, got %s", what, a_type(L, 1));
	return NULL;
}

/* The length of a hook's own list at idx, as ipairs sees it: the entries
 * before the first nil, each charged (rawlen's border is any one of a
 * table's holes, so the helpers would disagree on a table with one). */
static lua_Integer seq_len(lua_State *L, int idx)
{
	lua_Integer n = 0;
	while (lua_rawgeti(L, idx, n + 1) != LUA_TNIL) {
		lua_pop(L, 1);
		hook_charge(L, 1);
		n++;
	}
	lua_pop(L, 1);
	return n;
}

/* Is the value at idx in the list at 1? */
static bool has(lua_State *L, const hook_ref *p, int idx)
{
	if (p) {
		size_t len;
		if (lua_type(L, idx) != LUA_TSTRING)
			return false;
		const char *s = lua_tolstring(L, idx, &len);
		const strlist *l = ref_list(L, p);
		charge_scan(L, l->n, len);
		for (size_t i = 0; i < l->n; i++)
			if (same_bytes(l->v[i].s, s, len))
				return true;
		return false;
	}
	for (lua_Integer i = 1; lua_rawgeti(L, 1, i) != LUA_TNIL; i++) {
		hook_charge(L, 1);
		bool eq = lua_rawequal(L, -1, idx);
		lua_pop(L, 1);
		if (eq)
			return true;
	}
	lua_pop(L, 1);
	return false;
}

static int mx_has(lua_State *L)
{
	lua_pushboolean(L, has(L, arg_list(L, "mx.has"), 2));
	return 1;
}

/* mx.add(l, ...): add each value unless present; returns l */
static int mx_add(lua_State *L)
{
	hookrun *r = run_of(L);
	const hook_ref *p = arg_list(L, "mx.add");
	int n = lua_gettop(L);
	lua_Integer len = p ? 0 : seq_len(L, 1);
	for (int i = 2; i <= n; i++) {
		if (has(L, p, i))
			continue;
		if (p) {
			list_put(r, L, p, (lua_Integer)ref_list(L, p)->n + 1, i,
				 true);
		} else {
			lua_pushvalue(L, i);
			lua_rawseti(L, 1, ++len);
		}
	}
	lua_settop(L, 1);
	return 1;
}

/* mx.prefixed(prefix) -> a function telling entries that start with it */
static int prefixed_match(lua_State *L)
{
	size_t n, len;
	const char *prefix = lua_tolstring(L, lua_upvalueindex(1), &n);
	const char *s = lua_type(L, 1) == LUA_TSTRING
			    ? lua_tolstring(L, 1, &len)
			    : NULL;
	lua_pushboolean(L, s && len >= n && memcmp(s, prefix, n) == 0);
	return 1;
}

static int mx_prefixed(lua_State *L)
{
	luaL_checkstring(L, 1);
	lua_settop(L, 1);
	lua_pushcclosure(L, prefixed_match, 1);
	return 1;
}

/* Does the entry at the top match x (the value at 2, or the function at 2
 * called on it)? Pops the entry. */
static bool matches(lua_State *L, bool call)
{
	if (!call) {
		bool eq = lua_compare(L, -1, 2, LUA_OPEQ);
		lua_pop(L, 1);
		return eq;
	}
	lua_pushvalue(L, 2);
	lua_insert(L, -2);
	lua_call(L, 1, 1);
	bool yes = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return yes;
}

/* mx.remove(l, x): remove every entry equal to x (or for which x(entry)
 * is true); returns how many were removed */
static int mx_remove(lua_State *L)
{
	hookrun *r = run_of(L);
	const hook_ref *p = arg_list(L, "mx.remove");
	if (p && lua_type(L, 2) == LUA_TSTRING) {
		/* the common case, compared in C: nothing copied into Lua */
		size_t len;
		const char *x = lua_tolstring(L, 2, &len);
		const strlist *l = ref_list(L, p);
		lua_Integer removed = 0;
		charge_scan(L, 2 * l->n, len);
		for (size_t i = 0; i < l->n; i++)
			removed += same_bytes(l->v[i].s, x, len);
		for (size_t i = 0; i < l->n && removed > 0; i++)
			if (same_bytes(l->v[i].s, x, len)) {
				prov_dropped(r, L, p->idx, p->field, l->v[i].s);
				break; /* one record names the value */
			}
		if (removed > 0) {
			strlist *o = prov_own_list(r, p->idx, p->field);
			size_t out = 0;
			for (size_t i = 0; i < o->n; i++)
				if (!same_bytes(o->v[i].s, x, len))
					o->v[out++] = o->v[i];
			o->n = out;
		}
		lua_pushinteger(L, removed);
		return 1;
	}
	bool call = lua_isfunction(L, 2);
	lua_settop(L, 2);
	/* decide on a copy of the entries (x may change the list), kept in
	 * Lua's memory: collected, and counted by the cap */
	strlist was = {0};
	lua_Integer n = 0;
	if (p) {
		const strlist *l = ref_list(L, p);
		was.n = l->n;
		was.v = lua_newuserdatauv(L, l->n * sizeof *l->v + 1, 0);
		if (l->n) /* an empty list may have no array */
			memcpy(was.v, l->v, l->n * sizeof *l->v);
		n = (lua_Integer)was.n;
	} else {
		n = seq_len(L, 1);
	}
	bool *drop = lua_newuserdatauv(L, (size_t)n + 1, 0);
	lua_Integer removed = 0;
	for (lua_Integer i = 0; i < n; i++) {
		if (p)
			lua_pushstring(L, was.v[i].s);
		else
			lua_rawgeti(L, 1, i + 1);
		drop[i] = matches(L, call);
		removed += drop[i];
	}
	for (lua_Integer i = 0; i < n && removed > 0 && p; i++)
		if (drop[i])
			prov_dropped(r, L, p->idx, p->field, was.v[i].s);
	if (removed > 0 && p) {
		strlist *l = prov_fresh_list(r, p->idx, p->field);
		for (lua_Integer i = 0; i < n; i++)
			if (!drop[i])
				strlist_add(r->a, l, was.v[i].s, was.v[i].at);
	} else if (removed > 0) {
		lua_Integer out = 1;
		for (lua_Integer i = 1; i <= n; i++) {
			if (drop[i - 1])
				continue;
			if (out != i) {
				lua_rawgeti(L, 1, i);
				lua_rawseti(L, 1, out);
			}
			out++;
		}
		for (lua_Integer i = n; i >= out; i--) {
			lua_pushnil(L);
			lua_rawseti(L, 1, i);
		}
	}
	lua_pushinteger(L, removed);
	return 1;
}

/* mx.replace(l, old, new): replace every entry equal to old by new; true
 * if any was replaced */
static int mx_replace(lua_State *L)
{
	const hook_ref *p = arg_list(L, "mx.replace");
	lua_settop(L, 3);
	bool found = false;
	/* a cell's list stays at this address when list_put copies it */
	const strlist *l = p ? ref_list(L, p) : NULL;
	size_t len = 0;
	const char *old = lua_type(L, 2) == LUA_TSTRING
			      ? lua_tolstring(L, 2, &len)
			      : NULL;
	lua_Integer n = l ? (lua_Integer)l->n : seq_len(L, 1);
	charge_scan(L, (size_t)n, len);
	for (lua_Integer i = 1; i <= n; i++) {
		bool eq;
		if (p) {
			eq = old && (size_t)i <= l->n &&
			     same_bytes(l->v[i - 1].s, old, len);
		} else {
			lua_rawgeti(L, 1, i);
			eq = lua_rawequal(L, -1, 2);
			lua_pop(L, 1);
		}
		if (!eq)
			continue;
		found = true;
		if (p) {
			list_put(run_of(L), L, p, i, 3, false);
		} else {
			lua_pushvalue(L, 3);
			lua_rawseti(L, 1, i);
		}
	}
	lua_pushboolean(L, found);
	return 1;
}

static bool env_entry(const char *s, size_t len, const char *name, size_t n)
{
	return len > n && s[n] == '=' && memcmp(s, name, n) == 0;
}

/* The index of the NAME=value entry of the list at 1 (p: a cell's), or
 * 0; the entry is left at the top when found. */
static lua_Integer find_env(lua_State *L, const hook_ref *p, const char *name,
			    size_t n)
{
	if (p) {
		const strlist *l = ref_list(L, p);
		for (size_t i = 0; i < l->n; i++)
			if (env_entry(l->v[i].s, strlen(l->v[i].s), name, n)) {
				lua_pushstring(L, l->v[i].s);
				return (lua_Integer)i + 1;
			}
		return 0;
	}
	for (lua_Integer i = 1; lua_rawgeti(L, 1, i) != LUA_TNIL; i++) {
		hook_charge(L, 1);
		size_t len;
		const char *s = lua_type(L, -1) == LUA_TSTRING
				    ? lua_tolstring(L, -1, &len)
				    : NULL;
		if (s && env_entry(s, len, name, n))
			return i;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return 0;
}

/* mx.getenv(l, name) -> the value of NAME=value in l, or nil */
static int mx_getenv(lua_State *L)
{
	const hook_ref *p = arg_list(L, "mx.getenv");
	size_t n;
	const char *name = luaL_checklstring(L, 2, &n);
	if (!find_env(L, p, name, n))
		return 0;
	size_t len;
	const char *s = lua_tolstring(L, -1, &len);
	lua_pushlstring(L, s + n + 1, len - n - 1);
	return 1;
}

/* mx.setenv(l, name, value): set NAME=value in l; returns l */
static int mx_setenv(lua_State *L)
{
	const hook_ref *p = arg_list(L, "mx.setenv");
	size_t n;
	const char *name = luaL_checklstring(L, 2, &n);
	if (lua_type(L, 3) != LUA_TSTRING)
		return hook_fail(L, "mx.setenv: value for '%s' must be a "
				 "string, not %s", name, a_type(L, 3));
	lua_settop(L, 3);
	lua_Integer i = find_env(L, p, name, n);
	if (i)
		lua_pop(L, 1);
	else
		i = (p ? (lua_Integer)ref_list(L, p)->n : seq_len(L, 1)) + 1;
	lua_pushvalue(L, 2);
	lua_pushliteral(L, "=");
	lua_pushvalue(L, 3);
	lua_concat(L, 3);
	if (p)
		list_put(run_of(L), L, p, i, 4, false);
	else
		lua_rawseti(L, 1, i);
	lua_settop(L, 1);
	return 1;
}

/* mx.skip(c, reason): c.skip = reason, which is required: mx.skip(c)
 * would read as a skip, and c.skip = nil is none */
static int mx_skip(lua_State *L)
{
	if (lua_type(L, 2) != LUA_TSTRING)
		return hook_fail(L, "mx.skip: needs a reason string, not %s "
				 "(mx.skip(c, \"why\"))",
				 lua_isnoneornil(L, 2) ? "nil" : a_type(L, 2));
	lua_settop(L, 2);
	lua_setfield(L, 1, "skip");
	return 0;
}

/* A string argument of an mx function, named what. */
static const hook_string_errs arg_errs = {
    "%s: a NUL byte or more than %d bytes",
    "%s: a NUL byte or more than %d bytes",
};

/* mx.drop_platform(c, platform, reason): c builds no image for platform,
 * and list and explain say why, at this line; returns whether c had it
 * (a hook may drop a platform from every cell that has it). */
static int mx_drop_platform(lua_State *L)
{
	hookrun *r = run_of(L);
	const hook_ref *p = as_ref(L, 1);
	if (!p || p->field >= 0)
		return hook_fail(L, "mx.drop_platform: expected a cell, got %s",
				 a_type(L, 1));
	cell *c = ref_cell(L, p);
	if (lua_type(L, 2) != LUA_TSTRING || lua_type(L, 3) != LUA_TSTRING)
		return hook_fail(L, "mx.drop_platform: needs a platform and a "
				 "reason string (mx.drop_platform(c, "
				 "\"linux/arm64\", \"why\"))");
	size_t len, rlen;
	const char *s = lua_tolstring(L, 2, &len);
	const char *why = lua_tolstring(L, 3, &rlen);
	if (rlen == 0 || strlen(why) != rlen || !hook_reason_ok(why, rlen))
		return hook_fail(L, "mx.drop_platform: the reason must be "
				 "non-empty text without control characters");
	charge_scan(L, c->platforms.n, len);
	bool had = false;
	for (size_t i = 0; i < c->platforms.n && !had; i++)
		had = same_bytes(c->platforms.v[i].s, s, len);
	if (had) {
		strlist *o = prov_own_list(r, p->idx, X_PLATFORMS);
		size_t out = 0;
		for (size_t i = 0; i < o->n; i++)
			if (!same_bytes(o->v[i].s, s, len))
				o->v[out++] = o->v[i];
		o->n = out;
		srcpos at = r->call.call_at;
		hook_frame(r, L, 1, &at);
		strlist_add(r->a, &c->dropped,
			    hook_take_string(r, L, 2, "platform", &arg_errs), at);
		strlist_add(r->a, &c->drop_reasons,
			    hook_take_string(r, L, 3, "reason", &arg_errs), at);
	}
	lua_pushboolean(L, had);
	return 1;
}

void mx_open(lua_State *L)
{
	static const luaL_Reg mx[] = {
	    {"compare", mx_compare}, {"at_least", mx_at_least},
	    {"below", mx_below}, {"between", mx_between},
	    {"in_series", mx_in_series}, {"version", mx_version},
	    {"has", mx_has}, {"add", mx_add}, {"remove", mx_remove},
	    {"prefixed", mx_prefixed}, {"replace", mx_replace},
	    {"getenv", mx_getenv}, {"setenv", mx_setenv}, {"skip", mx_skip},
	    {"drop_platform", mx_drop_platform}, {NULL, NULL}};
	luaL_newlib(L, mx);
}
