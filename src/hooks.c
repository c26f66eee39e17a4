/* hooks.c - Lua hooks: the runner (see hooks.h).
 *
 * The Lua layer is this file and the hook_* modules, the only files that
 * include lua.h, each with a header that states its contract:
 *   hook_limits   budget, memory cap, CPU backstop, library guards
 *   hook_diag     errors with the hook file and line
 *   hook_sandbox  libraries, environments, sorted pairs
 *   hook_load     reading and compiling hook files, require
 *   hook_cell     the cell proxy
 *   hook_settle   provenance of stores, settled after each call
 *   hook_mx       the mx library
 * They share one hookrun (hook_run.h), each owning one part of it.
 *
 * The runner creates the state, loads the listed files in order, calls
 * every file's cell hook over every cell not yet skipped, then every
 * file's matrix hook, and closes the state. All of it runs inside one
 * lua_pcall of run_all, so a Lua error never longjmps over C cleanup;
 * each hook call is a nested pcall under the limits and with the message
 * handler of hook_diag.
 */
#include "hooks.h"

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "hook_run.h"
#include "watchdog.h"

/* The backstop per call (see hook_limits.h), far above what the budget
 * allows: 20 million instructions take a tenth of that. Under ASan, whose
 * allocator fills and quarantines every block, a hook that allocates up
 * to its budget can take a few seconds, so a sanitizer build has more;
 * `make valgrind` sets more still. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef HOOK_CPU_SECONDS
#ifdef SANITIZED
#define HOOK_CPU_SECONDS 10.0
#else
#define HOOK_CPU_SECONDS 2.0
#endif
#endif
/* Lua's collector starts on an empty heap, so setting up the sandbox (a
 * few hundred objects, none of them garbage) would run a cycle each time
 * the heap doubled: while it is set up, the next cycle waits for ten times
 * the heap. Hook code runs with Lua's default. */
#define SETUP_GC_PAUSE 1000
#define HOOK_GC_PAUSE 200

/* The CPU-time backstop. Test builds (-DMATRIXC_FAULTS, as for
 * MATRIXC_FAULT in outdir.c) can lower it with MATRIXC_HOOK_CPU_SECONDS;
 * release builds have neither the knob nor the getenv. */
static double cpu_limit(void)
{
#ifdef MATRIXC_FAULTS
	const char *s = getenv("MATRIXC_HOOK_CPU_SECONDS");
	char *end;
	double v = s ? strtod(s, &end) : 0;
	if (s && !*end && v > 0 && v <= HOOK_CPU_SECONDS)
		return v;
#endif
	return HOOK_CPU_SECONDS;
}

/* One second more than the backstop: a hook call that runs long is
 * stopped by the backstop first, with its hook line. */
double hooks_watchdog_period(void)
{
	return cpu_limit() + 1;
}

/* Call the function below its nargs arguments under the limits, leaving
 * nres results. at is where the function is defined, when known. On
 * failure reports, pops everything, returns false. */
static bool call_hook(hookrun *r, int nargs, int nres, const srcpos *at)
{
	lua_State *L = r->L;
	int fn = lua_gettop(L) - nargs;
	r->call.call_at = at ? *at : hook_function_pos(r, L, fn);
	r->call.err_msg = NULL;
	r->call.nframes = 0;
	lua_pushcfunction(L, hook_msg_handler);
	lua_insert(L, fn);
	watchdog_step(r->call.call_at.file, r->call.call_at.line,
		      !r->call.hook ? "a hook file's main chunk"
		      : strcmp(r->call.hook, "cell") == 0 ? "hook cell"
							  : "hook matrix");
	limits_begin(r);
	int status = lua_pcall(L, nargs, nres, fn);
	bool ok = limits_end(r) && status == LUA_OK;
	watchdog_step(NULL, 0, "the Lua state between hook calls");
	lua_remove(L, fn);
	if (ok)
		return true;
	hook_report_failure(r, status);
	lua_pop(L, status == LUA_OK ? nres : 1);
	return false;
}

/* --- loading hook files ----------------------------------------------------- */

/* Report keys of the returned table other than cell and matrix, sorted
 * so that the order does not depend on the hash. */
static bool check_keys(hookrun *r, lua_State *L, const char *file)
{
	static const char *const hooks[] = {"cell", "matrix"};
	static const char *const kinds[] = {"(number key)", "(boolean key)",
					    "(table key)", "(function key)",
					    "(other key)"};
	/* the 16 first in sorted order, whatever the hash order: keys are
	 * kept by pointer (the table holds them) and copied at the end */
	const char *bad[16];
	size_t n = 0;
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		lua_pop(L, 1);
		int t = lua_type(L, -1);
		const char *k = t == LUA_TSTRING    ? lua_tostring(L, -1)
				: t == LUA_TNUMBER  ? kinds[0]
				: t == LUA_TBOOLEAN ? kinds[1]
				: t == LUA_TTABLE   ? kinds[2]
				: t == LUA_TFUNCTION ? kinds[3]
						     : kinds[4];
		if (strcmp(k, "cell") == 0 || strcmp(k, "matrix") == 0)
			continue;
		size_t i = n < 16 ? n++ : 16;
		if (i == 16 && strcmp(k, bad[15]) >= 0)
			continue;
		if (i == 16)
			i = 15;
		while (i > 0 && strcmp(k, bad[i - 1]) < 0) {
			bad[i] = bad[i - 1];
			i--;
		}
		bad[i] = k;
	}
	for (size_t i = 0; i < n; i++) {
		const char *k = hook_clip(r->a, bad[i], strlen(bad[i]));
		const char *s = diag_suggest(k, hooks, 2);
		diag_error(r->d, srcpos_file(file),
			   "unknown hook '%s' in the returned table%s%s%s", k,
			   s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
	}
	return n == 0;
}

static int take_hook(hookrun *r, lua_State *L, const char *file,
		     const char *name, bool *ok, srcpos *at)
{
	/* raw: a metamethod here would run outside any budget */
	lua_pushstring(L, name);
	int t = lua_rawget(L, -2);
	if (t == LUA_TFUNCTION) {
		*at = hook_function_pos(r, L, -1);
		return luaL_ref(L, LUA_REGISTRYINDEX);
	}
	if (t != LUA_TNIL) {
		diag_error(r->d, srcpos_file(file), "hook '%s' must be a "
			   "function, not a %s", name, luaL_typename(L, -1));
		*ok = false;
	}
	lua_pop(L, 1);
	return LUA_NOREF;
}

/* The value hook file fi returned, at the top of the stack (popped). */
static bool take_hooks(hookrun *r, lua_State *L, size_t fi)
{
	hookfile *hf = &r->files.v[fi];
	if (!lua_istable(L, -1)) {
		diag_error(r->d, srcpos_file(hf->name), "a hook file must "
			   "return a table of hook functions ({cell = "
			   "function(c) ... end}), not a %s",
			   luaL_typename(L, -1));
		lua_pop(L, 1);
		return false;
	}
	bool ok = check_keys(r, L, hf->name);
	hf->cell_ref = take_hook(r, L, hf->name, "cell", &ok, &hf->cell_at);
	hf->matrix_ref = take_hook(r, L, hf->name, "matrix", &ok,
				   &hf->matrix_at);
	lua_pop(L, 1);
	return ok;
}

/* A load error (syntax, unreadable) for a listed file. */
static void report_load(hookrun *r, lua_State *L, const pstr *listed, int st)
{
	const char *msg = lua_tostring(L, -1);
	srcpos at = st == LUA_ERRFILE ? listed->at : srcpos_file(listed->s);
	const char *rest = msg ? msg : "cannot load";
	hook_split_position(r, rest, &at, &rest);
	diag_error(r->d, at, "%s", hook_clip(r->a, rest, strlen(rest)));
	lua_pop(L, 1);
}

static bool load_hooks(hookrun *r, lua_State *L)
{
	bool ok = true;
	for (size_t i = 0; i < r->m->hooks.n; i++) {
		const pstr *listed = &r->m->hooks.v[i];
		watchdog_step(listed->s, 0, "compiling the hook file");
		int st = load_file(r, L, listed->s);
		watchdog_step(NULL, 0, "the Lua state between hook calls");
		if (st != LUA_OK) {
			report_load(r, L, listed, st);
			ok = false;
			continue;
		}
		size_t fi = r->files.n - 1;
		r->call.hook = NULL;
		r->call.cur = NULL;
		if (!call_hook(r, 0, 1, NULL) || !take_hooks(r, L, fi))
			ok = false;
	}
	return ok;
}

/* --- the hook points ------------------------------------------------------- */

/* What a hook returned, at the top: nothing, or the argument it got. */
static bool check_result(hookrun *r, lua_State *L, int arg)
{
	bool ok = lua_isnil(L, -1) || lua_rawequal(L, -1, arg);
	if (!ok)
		diag_error(r->d, r->call.call_at, "hook '%s' returned a %s: it "
			   "should change its argument in place and return "
			   "nothing%s", r->call.hook, luaL_typename(L, -1),
			   hook_context(r));
	lua_pop(L, 1);
	return ok;
}

static bool cell_hook(hookrun *r, lua_State *L, const hookfile *hf, size_t i)
{
	int top = lua_gettop(L);
	r->call.hook = "cell";
	r->call.cur = r->cs->v[i];
	cells_new_call(r);
	cells_push_ref(r, L, i, -1);
	lua_rawgeti(L, LUA_REGISTRYINDEX, hf->cell_ref);
	lua_pushvalue(L, top + 1);
	bool ok = call_hook(r, 1, 1, &hf->cell_at) &&
		  check_result(r, L, top + 1) && settle(r, i);
	lua_settop(L, top);
	return ok;
}

/* Every file's cell hook over every cell not yet skipped, file by file. */
static bool run_cell_hooks(hookrun *r, lua_State *L)
{
	for (size_t f = 0; f < r->files.n; f++) {
		const hookfile *hf = &r->files.v[f];
		for (size_t i = 0; hf->cell_ref != LUA_NOREF && i < r->cs->n; i++)
			if (!r->cs->v[i]->skip && !cell_hook(r, L, hf, i))
				return false;
	}
	return true;
}

/* Every file's matrix hook, in order, over one list of every cell
 * (skipped ones included), as one call: the cells are settled once at
 * the end. */
static bool run_matrix_hooks(hookrun *r, lua_State *L)
{
	int top = lua_gettop(L);
	bool ok = true;
	size_t first = r->files.n;
	for (size_t f = r->files.n; f-- > 0;)
		if (r->files.v[f].matrix_ref != LUA_NOREF)
			first = f;
	if (first == r->files.n)
		return true;
	/* from here on, failures (memory too) are the matrix hook's */
	r->call.hook = "matrix";
	r->call.cur = NULL;
	r->call.call_at = r->files.v[first].matrix_at;
	cells_new_call(r);
	lua_createtable(L, (int)r->cs->n, 0);
	for (size_t i = 0; i < r->cs->n; i++) {
		cells_push_ref(r, L, i, -1);
		lua_rawseti(L, top + 1, (lua_Integer)i + 1);
	}
	for (size_t f = first; ok && f < r->files.n; f++) {
		const hookfile *hf = &r->files.v[f];
		if (hf->matrix_ref == LUA_NOREF)
			continue;
		lua_rawgeti(L, LUA_REGISTRYINDEX, hf->matrix_ref);
		lua_pushvalue(L, top + 1);
		ok = call_hook(r, 1, 1, &hf->matrix_at) &&
		     check_result(r, L, top + 1);
	}
	for (size_t i = 0; ok && i < r->cs->n; i++) {
		r->call.cur = r->cs->v[i];
		ok = settle(r, i);
	}
	lua_settop(L, top);
	return ok;
}

/* An include asks for its cells by name: one that a hook then skips is
 * worth a warning at the include, with the hook line and its reason. */
static bool same_place(srcpos a, srcpos b)
{
	return a.file && b.file && strcmp(a.file, b.file) == 0 &&
	       a.line == b.line && a.col == b.col;
}

static void warn_skipped_includes(hookrun *r)
{
	const matrix *m = r->m;
	for (size_t i = 0; i < r->cs->n; i++) {
		const cell *c = r->cs->v[i];
		for (size_t k = 0; c->skip && k < m->nincludes; k++) {
			if (!same_place(c->origin, m->includes[k].at))
				continue;
			srcpos by = c->skip_reason.at; /* a hook line */
			diag_warning(r->d, c->origin, "this include adds %s/%s, "
				     "but %s:%u skips it: %s", c->version_str,
				     c->variant->name.s, by.file ? by.file : "?",
				     by.line, c->skip_reason.s ? c->skip_reason.s
							     : "no reason given");
			break;
		}
	}
}

/* run_all(hookrun) -> boolean: the whole run, inside one pcall */
static int run_all(lua_State *L)
{
	hookrun *r = lua_touserdata(L, 1);
	lua_gc(L, LUA_GCINC, SETUP_GC_PAUSE, 0, 0);
	cells_setup(r, L);
	load_setup(r, L);
	sandbox_setup(r, L);
	lua_gc(L, LUA_GCINC, HOOK_GC_PAUSE, 0, 0);
	bool ok = load_hooks(r, L) && run_cell_hooks(r, L) &&
		  run_matrix_hooks(r, L);
	lua_pushboolean(L, ok);
	return 1;
}

bool hooks_run(arena *a, diag *d, const matrix *m, cellset *cs)
{
	if (m->hooks.n == 0)
		return true;
	hookrun r = {.a = a, .d = d, .m = m, .cs = cs};
	size_t cap = HOOK_MEMORY + cs->n * HOOK_CELL_MEMORY;
	limits_init(&r, cap < HOOK_MEMORY_MAX ? cap : HOOK_MEMORY_MAX,
		    cpu_limit());
	unsigned errors = diag_errors(d);
	lua_State *L = lua_newstate(limits_alloc, &r);
	if (!L) {
		diag_error(d, m->hooks.v[0].at, "cannot create a Lua state");
		return false;
	}
	r.L = L;
	prov_init(&r);
	lua_pushcfunction(L, run_all);
	lua_pushlightuserdata(L, &r);
	int status = lua_pcall(L, 1, 1, 0);
	bool ok = status == LUA_OK && lua_toboolean(L, -1);
	if (status != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		r.call.err_msg = hook_clip(a, msg ? msg : "?",
					   msg ? strlen(msg) : 1);
		hook_report_failure(&r, status);
	}
	/* nothing to finalize: hooks cannot set __gc, and no to-be-closed
	 * variable outlives run_all's pcall */
	lua_close(L);
	prov_free(&r);
	ok = ok && diag_errors(d) == errors;
	if (ok)
		warn_skipped_includes(&r);
	return ok;
}
