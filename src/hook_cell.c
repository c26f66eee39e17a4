/* hook_cell.c - a cell as hook code sees it: a proxy of the C cell (see
 * hook_cell.h). */
#include "hook_run.h"

#include <stdint.h>
#include <string.h>

#include <lauxlib.h>

#include "limits_input.h"
#include "names.h"

#define REF_MAGIC 0x6d786366u /* "mxcf" */
#define NLISTS 8

const hook_field hook_fields[HOOK_NFIELDS] = {
    [X_ALIASES] = {"aliases", K_LIST, 1, offsetof(cell, aliases)},
    [X_BASE] = {"base", K_STRING, 0, offsetof(cell, base)},
    [X_BUILD_ARGS] = {"build_args", K_LIST, 2, offsetof(cell, build_args)},
    [X_BUILD_PACKAGES] = {"build_packages", K_LIST, 3,
			  offsetof(cell, build_packages)},
    [X_CONFIGURE] = {"configure", K_LIST, 4, offsetof(cell, configure)},
    [X_ENV] = {"env", K_LIST, 5, offsetof(cell, env)},
    [X_GET_PIP_SHA256] = {"get_pip_sha256", K_OPTIONAL, 0,
			  offsetof(cell, get_pip_sha256)},
    [X_GET_PIP_URL] = {"get_pip_url", K_OPTIONAL, 0,
		       offsetof(cell, get_pip_url)},
    [X_LTO] = {"lto", K_BOOL, 0, offsetof(cell, lto)},
    [X_MAJOR] = {"major", K_RO, 0, 0},
    [X_MAKE_FLAGS] = {"make_flags", K_LIST, 6, offsetof(cell, make_flags)},
    [X_MINOR] = {"minor", K_RO, 0, 0},
    [X_PATCH] = {"patch", K_RO, 0, 0},
    [X_PGO] = {"pgo", K_BOOL, 0, offsetof(cell, pgo)},
    [X_PIP] = {"pip", K_BOOL, 0, offsetof(cell, pip)},
    [X_PLATFORMS] = {"platforms", K_LIST, 8, offsetof(cell, platforms)},
    [X_PRE] = {"pre", K_RO, 0, 0},
    [X_RUN_PACKAGES] = {"run_packages", K_LIST, 7,
			offsetof(cell, run_packages)},
    [X_SERIES] = {"series", K_RO, 0, 0},
    [X_SHA256] = {"sha256", K_STRING, 0, offsetof(cell, sha256)},
    [X_SKIP] = {"skip", K_SKIP, 0, 0},
    [X_SPEC] = {"spec", K_RO, 0, 0},
    [X_TAG] = {"tag", K_STRING, 0, offsetof(cell, tag)},
    [X_URL] = {"url", K_STRING, 0, offsetof(cell, url)},
    [X_VARIANT] = {"variant", K_RO, 0, 0},
    [X_VERSION] = {"version", K_RO, 0, 0},
};

const hook_ref *as_ref(lua_State *L, int idx)
{
	if (lua_type(L, idx) != LUA_TUSERDATA ||
	    lua_rawlen(L, idx) != sizeof(hook_ref))
		return NULL;
	const hook_ref *p = lua_touserdata(L, idx);
	return p->magic == REF_MAGIC ? p : NULL;
}

const char *a_type(lua_State *L, int idx)
{
	const hook_ref *p = as_ref(L, idx);
	if (p)
		return p->field < 0 ? "a cell" : "a list";
	if (lua_isnil(L, idx))
		return "nil";
	return lua_pushfstring(L, "a %s", luaL_typename(L, idx));
}

cell *ref_cell(lua_State *L, const hook_ref *p)
{
	hookrun *r = run_of(L);
	cell *c = r->cs->v[p->idx];
	if (p->call != r->cells.call_id)
		hook_fail(L, "cell %s/%s belongs to another hook call: keep "
			  "values from a cell, not the cell", c->version_str,
			  c->variant->name.s);
	return c;
}

strlist *ref_list(lua_State *L, const hook_ref *p)
{
	return field_list(ref_cell(L, p), p->field);
}

void cells_new_call(hookrun *r)
{
	r->cells.call_id++;
}

void cells_push_ref(hookrun *r, lua_State *L, size_t idx, int field)
{
	hook_ref *p = lua_newuserdatauv(L, sizeof *p, field < 0 ? NLISTS : 0);
	*p = (hook_ref){REF_MAGIC, idx, r->cells.call_id, field};
	lua_rawgeti(L, LUA_REGISTRYINDEX, field < 0 ? r->cells.cell_mt_ref
						     : r->cells.list_mt_ref);
	lua_setmetatable(L, -2);
}

/* Field names by the address of their Lua string: Lua keeps one copy of
 * each short string, so a key is a field name exactly when its address is
 * one of these (a table in the registry keeps them alive, see
 * cells_setup). */
_Static_assert(HOOK_KEY_SLOTS == 64, "key_slot keeps the top 6 bits of a hash");

static unsigned key_slot(const char *k)
{
	return (unsigned)(((uintptr_t)k * UINT64_C(0x9E3779B97F4A7C15)) >> 58);
}

static void add_key(hook_cells *cs, const char *k, int id)
{
	unsigned i = key_slot(k);
	while (cs->keys[i])
		i = (i + 1) % HOOK_KEY_SLOTS;
	cs->keys[i] = k;
	cs->key_field[i] = (unsigned char)id;
}

/* The field the key at idx names, or -1. */
static int field_id(const hookrun *r, lua_State *L, int idx)
{
	if (lua_type(L, idx) != LUA_TSTRING)
		return -1;
	const char *k = lua_tostring(L, idx);
	const hook_cells *cs = &r->cells;
	for (unsigned i = key_slot(k); cs->keys[i]; i = (i + 1) % HOOK_KEY_SLOTS)
		if (cs->keys[i] == k)
			return cs->key_field[i];
	return -1;
}

static int unknown_field(lua_State *L, int idx)
{
	const char *names[HOOK_NFIELDS];
	for (size_t i = 0; i < HOOK_NFIELDS; i++)
		names[i] = hook_fields[i].name;
	const char *k = sandbox_tostring(L, idx);
	const char *s = diag_suggest(k, names, HOOK_NFIELDS);
	if (s)
		return hook_fail(L, "unknown cell field '%s' (did you mean "
				 "'%s'?)", k, s);
	return hook_fail(L, "unknown cell field '%s'", k);
}

/* Push the value of field id of the cell ref at cellidx (a list field
 * pushes its ref). */
static void push_field(hookrun *r, lua_State *L, int cellidx, int id)
{
	const hook_ref *p = lua_touserdata(L, cellidx);
	cell *c = r->cs->v[p->idx];
	char pre[16];
	switch (id) {
	case X_VERSION: lua_pushstring(L, c->version_str); break;
	case X_MAJOR: lua_pushinteger(L, c->version.major); break;
	case X_MINOR: lua_pushinteger(L, c->version.minor); break;
	case X_PATCH: lua_pushinteger(L, c->version.patch); break;
	case X_PRE:
		version_pre(&c->version, pre, sizeof pre);
		lua_pushstring(L, pre);
		break;
	/* lua_pushstring pushes nil for NULL */
	case X_SERIES: lua_pushstring(L, c->series); break;
	case X_SPEC: lua_pushstring(L, c->spec); break;
	case X_VARIANT: lua_pushstring(L, c->variant->name.s); break;
	case X_SKIP:
		if (c->skip)
			lua_pushstring(L, c->skip_reason.s ? c->skip_reason.s
							   : "skipped");
		else
			lua_pushboolean(L, 0);
		break;
	default:
		switch (hook_fields[id].kind) {
		case K_BOOL: lua_pushboolean(L, field_bool(c, id)->on); break;
		case K_LIST:
			/* one list ref per field, so that c.env == c.env */
			if (lua_getiuservalue(L, cellidx, hook_fields[id].slot) ==
			    LUA_TUSERDATA)
				break;
			lua_pop(L, 1);
			cells_push_ref(r, L, p->idx, id);
			lua_pushvalue(L, -1);
			lua_setiuservalue(L, cellidx, hook_fields[id].slot);
			break;
		default: lua_pushstring(L, field_string(c, id)->s); break;
		}
	}
}

/* --- stores ---------------------------------------------------------------- */

/* Where a store happens: the innermost hook line, else the hook. */
static srcpos store_pos(hookrun *r, lua_State *L)
{
	srcpos at = r->call.call_at;
	hook_frame(r, L, 1, &at);
	return at;
}

bool same_bytes(const char *e, const char *s, size_t len)
{
	return strnlen(e, len + 1) == len && memcmp(e, s, len) == 0;
}

void charge_scan(lua_State *L, size_t n, size_t len)
{
	hook_charge(L, (double)n * (1.0 + (double)len / HOOK_ALLOC_GRAIN));
}

const char *hook_take_string(hookrun *r, lua_State *L, int idx,
			     const char *what, const hook_string_errs *errs)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);
	if (strlen(s) != len)
		hook_fail(L, errs->nul, what, LIMIT_STRING_BYTES);
	if (len > LIMIT_STRING_BYTES)
		hook_fail(L, errs->too_long, what, LIMIT_STRING_BYTES);
	hook_charge_mem(r, L, len + 1);
	return arena_strndup(r->a, s, len);
}

/* A string stored in cell field k. */
static const hook_string_errs field_errs = {
    "cell field '%s' contains a NUL byte",
    "cell field '%s' is longer than %d bytes",
};

static void store_scalar(hookrun *r, lua_State *L, const hook_ref *p, int id)
{
	const char *k = hook_fields[id].name;
	cell *c = r->cs->v[p->idx];
	int t = lua_type(L, 3);
	size_t len;
	if (hook_fields[id].kind == K_BOOL) {
		if (t != LUA_TBOOLEAN)
			hook_fail(L, "cell field '%s' takes a boolean, not %s",
				  k, a_type(L, 3));
		bool on = lua_toboolean(L, 3);
		if (field_bool(c, id)->on != on)
			*field_bool(prov_begin_store(r, p->idx), id) =
			    (pbool){on, store_pos(r, L)};
		return;
	}
	if (t == LUA_TNIL && hook_fields[id].kind == K_OPTIONAL) {
		if (field_string(c, id)->s)
			*field_string(prov_begin_store(r, p->idx), id) =
			    (pstr){NULL, store_pos(r, L)};
		return;
	}
	if (t != LUA_TSTRING)
		hook_fail(L, "cell field '%s' takes a %s, not %s", k,
			  hook_fields[id].kind == K_OPTIONAL ? "string or nil"
							     : "string",
			  a_type(L, 3));
	const char *s = lua_tolstring(L, 3, &len);
	pstr *f = field_string(c, id);
	if (f->s && same_bytes(f->s, s, len))
		return;
	s = hook_take_string(r, L, 3, k, &field_errs);
	*field_string(prov_begin_store(r, p->idx), id) =
	    (pstr){s, store_pos(r, L)};
}

/* A skip reason is shown as it is (explain, list): no control character,
 * and none of Unicode's that move or reorder text (C1, NEL, the line and
 * paragraph separators, the bidirectional controls). */
bool hook_reason_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	if (name_check_text(s))
		return false;
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return false; /* U+0080-U+009F */
		if (p[i] == 0xd8 && p[i + 1] == 0x9c)
			return false; /* U+061C */
		if (i + 2 < len && p[i] == 0xe2 && p[i + 1] == 0x80 &&
		    ((p[i + 2] >= 0x8e && p[i + 2] <= 0x8f) ||
		     (p[i + 2] >= 0xa8 && p[i + 2] <= 0xae)))
			return false; /* U+200E-F, U+2028-U+202E */
		if (i + 2 < len && p[i] == 0xe2 && p[i + 1] == 0x81 &&
		    p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9)
			return false; /* U+2066-U+2069 */
	}
	return true;
}

static void store_skip(hookrun *r, lua_State *L, const hook_ref *p)
{
	cell *c = r->cs->v[p->idx];
	int t = lua_type(L, 3);
	if (t == LUA_TNIL || (t == LUA_TBOOLEAN && !lua_toboolean(L, 3))) {
		if (c->skip) {
			prov_begin_store(r, p->idx);
			c->skip = false;
			c->skip_reason = (pstr){NULL, store_pos(r, L)};
		}
		return;
	}
	if (t != LUA_TSTRING)
		hook_fail(L, "cell field 'skip' takes a reason string (or "
			  "false), not %s", a_type(L, 3));
	size_t len;
	const char *s = lua_tolstring(L, 3, &len);
	if (len == 0)
		hook_fail(L, "cell field 'skip' needs a non-empty reason");
	if (c->skip && c->skip_reason.s && same_bytes(c->skip_reason.s, s, len))
		return;
	if (strlen(s) == len && !hook_reason_ok(s, len))
		hook_fail(L, "cell field 'skip': control characters (such as a "
			  "newline, or Unicode's bidirectional controls) are "
			  "not allowed in a reason");
	s = hook_take_string(r, L, 3, "skip", &field_errs);
	prov_begin_store(r, p->idx);
	c->skip = true;
	c->skip_reason = (pstr){s, store_pos(r, L)};
}

/* c.list = v: v a table (or list) of strings, checked before any change */
static void store_list(hookrun *r, lua_State *L, const hook_ref *p, int id)
{
	const char *k = hook_fields[id].name;
	if (!lua_istable(L, 3) && !(as_ref(L, 3) && as_ref(L, 3)->field >= 0))
		hook_fail(L, "cell field '%s' takes a list of strings, not %s",
			  k, a_type(L, 3));
	srcpos at = store_pos(r, L);
	strlist fresh = {0};
	for (lua_Integer i = 1; lua_geti(L, 3, i) != LUA_TNIL; i++) {
		if (lua_type(L, -1) != LUA_TSTRING)
			hook_fail(L, "cell field '%s' takes strings, not %s "
				  "(entry %d)", k, a_type(L, -1), (int)i);
		if (i > HOOK_LIST_MAX)
			hook_fail(L, "cell field '%s' has more than %d entries",
				  k, HOOK_LIST_MAX);
		strlist_add(r->a, &fresh,
			    hook_take_string(r, L, -1, k, &field_errs), at);
		lua_pop(L, 1);
	}
	hook_charge_mem(r, L, fresh.cap * sizeof *fresh.v);
	prov_dropped(r, L, p->idx, id, NULL);
	*prov_fresh_list(r, p->idx, id) = fresh;
}

static int cell_index(lua_State *L)
{
	hookrun *r = run_of(L);
	const hook_ref *p = lua_touserdata(L, 1);
	if (p->call != r->cells.call_id)
		ref_cell(L, p); /* raises */
	int id = field_id(r, L, 2);
	if (id < 0)
		return unknown_field(L, 2);
	push_field(r, L, 1, id);
	return 1;
}

static int cell_newindex(lua_State *L)
{
	hookrun *r = run_of(L);
	const hook_ref *p = lua_touserdata(L, 1);
	ref_cell(L, p);
	int id = field_id(r, L, 2);
	if (id < 0)
		return unknown_field(L, 2);
	switch (hook_fields[id].kind) {
	case K_RO:
		return hook_fail(L, "cell field '%s' is read-only",
				 hook_fields[id].name);
	case K_LIST: store_list(r, L, p, id); break;
	case K_SKIP: store_skip(r, L, p); break;
	default: store_scalar(r, L, p, id); break;
	}
	return 0;
}

/* A list's entries, as a hook author would write them:
 * {"--enable-shared", "--with-lto"}; read from the cell even after the
 * call (a message may show a list kept from an earlier one). */
static void push_entries(lua_State *L, const strlist *l)
{
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	luaL_addchar(&b, '{');
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			luaL_addstring(&b, ", ");
		charge_scan(L, 1, strlen(l->v[i].s));
		luaL_addchar(&b, '"');
		for (const char *s = l->v[i].s; *s; s++) {
			if (*s == '"' || *s == '\\')
				luaL_addchar(&b, '\\');
			luaL_addchar(&b, *s);
		}
		luaL_addchar(&b, '"');
	}
	luaL_addchar(&b, '}');
	luaL_pushresult(&b);
}

/* "cell 3.13.5/wee", and a list's entries: valid after the call too, for
 * messages */
static int ref_tostring(lua_State *L)
{
	const hook_ref *p = lua_touserdata(L, 1);
	cell *c = run_of(L)->cs->v[p->idx];
	if (p->field >= 0)
		push_entries(L, field_list(c, p->field));
	else
		lua_pushfstring(L, "cell %s/%s", c->version_str,
				c->variant->name.s);
	return 1;
}

/* --- lists ----------------------------------------------------------------- */

static int list_index(lua_State *L)
{
	const strlist *l = ref_list(L, lua_touserdata(L, 1));
	int isint = lua_type(L, 2) == LUA_TNUMBER;
	lua_Integer i = isint ? lua_tointegerx(L, 2, &isint) : 0;
	if (isint && i >= 1 && (lua_Unsigned)i <= l->n)
		lua_pushstring(L, l->v[i - 1].s);
	else
		lua_pushnil(L);
	return 1;
}

static int list_len(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)ref_list(L, lua_touserdata(L, 1))->n);
	return 1;
}

void list_put(hookrun *r, lua_State *L, const hook_ref *p, lua_Integer i,
	      int idx, bool absent)
{
	const char *k = hook_fields[p->field].name;
	strlist *l = ref_list(L, p);
	size_t n = l->n, len;
	if (i < 1 || (lua_Unsigned)i > n + 1)
		hook_fail(L, "cell field '%s' is a list: index %d is not in "
			  "1..%d", k, (int)i, (int)n + 1);
	if (lua_isnil(L, idx)) {
		if ((size_t)i != n)
			hook_fail(L, "cell field '%s': only the last entry can "
				  "be set to nil (use table.remove or "
				  "mx.remove)", k);
		prov_dropped(r, L, p->idx, p->field, l->v[n - 1].s);
		prov_own_list(r, p->idx, p->field)->n--;
		return;
	}
	if (lua_type(L, idx) != LUA_TSTRING)
		hook_fail(L, "cell field '%s' takes strings, not %s", k,
			  a_type(L, idx));
	if ((size_t)i > HOOK_LIST_MAX)
		hook_fail(L, "cell field '%s' has more than %d entries", k,
			  HOOK_LIST_MAX);
	const char *s = lua_tolstring(L, idx, &len);
	if ((size_t)i <= n && same_bytes(l->v[i - 1].s, s, len))
		return;
	/* an equal entry's string is shared, not its origin: a value moved
	 * within the list gets its origin back in settle, a new copy keeps
	 * the hook line */
	pstr e = {NULL, store_pos(r, L)};
	if (!absent)
		charge_scan(L, n, len);
	for (size_t j = 0; j < n && !e.s && !absent; j++)
		if (same_bytes(l->v[j].s, s, len))
			e.s = l->v[j].s;
	if (!e.s)
		e.s = hook_take_string(r, L, idx, k, &field_errs);
	if ((size_t)i <= n)
		prov_dropped(r, L, p->idx, p->field, l->v[i - 1].s);
	l = prov_own_list(r, p->idx, p->field);
	if ((size_t)i > n)
		strlist_add(r->a, l, e.s, e.at);
	else
		l->v[i - 1] = e;
}

static int list_newindex(lua_State *L)
{
	const hook_ref *p = lua_touserdata(L, 1);
	if (!lua_isinteger(L, 2)) {
		const strlist *l = ref_list(L, p);
		return hook_fail(L, "cell field '%s' is a list: index %s is not "
				 "in 1..%d", hook_fields[p->field].name,
				 sandbox_tostring(L, 2), (int)l->n + 1);
	}
	list_put(run_of(L), L, p, lua_tointeger(L, 2), 3, false);
	return 0;
}

/* --- pairs ----------------------------------------------------------------- */

/* iterator over a cell's fields, in name order; the cell ref is upvalue
 * 1 (whatever hook code passes as the state) */
static int cell_next(lua_State *L)
{
	hookrun *r = run_of(L);
	const hook_ref *p = lua_touserdata(L, lua_upvalueindex(1));
	int id = lua_isnil(L, 2) ? 0 : field_id(r, L, 2) + 1;
	if (id <= 0 && !lua_isnil(L, 2))
		return 0; /* not a field name: the end */
	if (id >= HOOK_NFIELDS)
		return 0;
	ref_cell(L, p);
	lua_pushstring(L, hook_fields[id].name);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_replace(L, 1);
	push_field(r, L, 1, id);
	return 2;
}

/* iterator over a cell's list, as ipairs; the list ref is upvalue 1 */
static int list_next(lua_State *L)
{
	const strlist *l = ref_list(L, lua_touserdata(L, lua_upvalueindex(1)));
	int isint;
	lua_Integer k = lua_tointegerx(L, 2, &isint);
	if (!isint || k < 0 || (lua_Unsigned)k >= l->n)
		return 0;
	lua_pushinteger(L, k + 1);
	lua_pushstring(L, l->v[k].s);
	return 2;
}

int cells_pairs(lua_State *L, const hook_ref *p)
{
	lua_pushvalue(L, 1);
	lua_pushcclosure(L, p->field < 0 ? cell_next : list_next, 1);
	lua_pushvalue(L, 1);
	if (p->field < 0)
		lua_pushnil(L);
	else
		lua_pushinteger(L, 0);
	return 3;
}

/* A metatable with fns, protected from hook code, into the registry. */
static int new_metatable(lua_State *L, const luaL_Reg *fns)
{
	lua_newtable(L);
	luaL_setfuncs(L, fns, 0);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	return luaL_ref(L, LUA_REGISTRYINDEX);
}

void cells_setup(hookrun *r, lua_State *L)
{
	static const luaL_Reg cell_mt[] = {
	    {"__index", cell_index}, {"__newindex", cell_newindex},
	    {"__tostring", ref_tostring}, {NULL, NULL}};
	static const luaL_Reg list_mt[] = {
	    {"__index", list_index}, {"__newindex", list_newindex},
	    {"__len", list_len}, {"__tostring", ref_tostring}, {NULL, NULL}};
	lua_createtable(L, HOOK_NFIELDS, 0); /* keeps the names alive */
	for (int i = 0; i < HOOK_NFIELDS; i++) {
		lua_pushstring(L, hook_fields[i].name);
		add_key(&r->cells, lua_tostring(L, -1), i);
		lua_rawseti(L, -2, i + 1);
	}
	luaL_ref(L, LUA_REGISTRYINDEX);
	r->cells.cell_mt_ref = new_metatable(L, cell_mt);
	r->cells.list_mt_ref = new_metatable(L, list_mt);
}
