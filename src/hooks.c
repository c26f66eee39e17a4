/* hooks.c - Lua hooks: per-version quirks as sandboxed Lua 5.4 scripts.
 *
 * One Lua state per run, created with an allocator that caps its memory.
 * All work runs inside one lua_pcall of run_all, so a Lua error never
 * longjmps over C cleanup; each hook call is a nested pcall with a message
 * handler that records the error and the hook's own frames, and with a
 * count hook that stops a runaway hook after an instruction budget.
 *
 * Hooks see a cell as a proxy table built by the prelude (a Lua chunk kept
 * below as a string): every store is type-checked when it happens and
 * remembers the hook line that made it, which becomes the field's
 * provenance when the cell is read back into C. Proxies are cheap, since
 * a run may have 10,000 cells: they read C on demand (C.get, C.list), share
 * their functions, are reused from hook file to hook file while nothing is
 * stored through them, and a cell nothing was stored into is not read
 * back. The memory cap grows with the cell count. The sandbox has base (less
 * files, bytecode and GC control), string (less dump), table, math (less
 * random) and utf8; `pairs` iterates in sorted key order so that hook
 * output never depends on hash order.
 */
#include "hooks.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "buf.h"
#include "bounds.h"
#include "outdir.h"

#define HOOK_MEMORY ((size_t)64 << 20)    /* bytes for the whole state */
#define HOOK_CELL_MEMORY ((size_t)16 << 10) /* and per cell, up to: */
#define HOOK_MEMORY_MAX ((size_t)192 << 20)
#define HOOK_BUDGET 20000000ul            /* VM instructions per call */
#define HOOK_STEP 1000                    /* instructions per count hook */
#define HOOK_FRAMES 8                     /* traceback notes kept */
#define HOOK_SCAN 64                      /* stack levels searched for them */
#define HOOK_LIST_MAX 1000                /* entries in one list field */
#define HOOK_MSG_MAX 400                  /* bytes of a hook's message */
#define POS_SHIFT 24                      /* pos = file index << 24 | line */

typedef struct {
	const char *name; /* "lua/quirks.lua", as listed or required */
	int cell_ref, matrix_ref;
	srcpos cell_at, matrix_at; /* where the hooks are defined */
} hookfile;

typedef struct {
	srcpos at;
	const char *what; /* "function 'helper'" */
	bool recursive;   /* called from the same line again and again */
} frame;

typedef struct {
	arena *a;
	diag *d;
	const matrix *m;
	cellset *cs;
	lua_State *L;
	size_t mem_used, mem_cap;
	bool mem_exceeded;
	srcpos mem_at;
	unsigned long steps;
	double pattern_work; /* worst-case steps of pattern calls */
	bool budget_exceeded;
	hookfile *files;
	size_t nfiles, capfiles;
	int env_mt_ref, wrap_ref, loaded_ref;
	int cache_p_ref, cache_s_ref, ctl_ref, retire_ref; /* see the prelude */
	/* the call in progress, for messages */
	const char *hook;     /* "cell", "matrix", or NULL: loading a file */
	const cell *cur;      /* the cell of a cell hook */
	srcpos call_at;       /* where the called function is defined */
	/* the last error, filled by the message handler */
	const char *err_msg;
	srcpos err_at;
	frame frames[HOOK_FRAMES];
	size_t nframes;
} hookrun;

static hookrun *run_of(lua_State *L)
{
	void *ud;
	lua_getallocf(L, &ud);
	return ud;
}

/* --- positions ----------------------------------------------------------- */

/* The index of the hook file a chunk source ("@lua/x.lua") names, or -1. */
static int file_index(const hookrun *r, const char *source)
{
	if (!source || source[0] != '@')
		return -1;
	for (size_t i = 0; i < r->nfiles; i++)
		if (strcmp(source + 1, r->files[i].name) == 0)
			return (int)i;
	return -1;
}

/* The innermost frame running hook code (not the prelude, not C). Calls
 * only lua_getstack and lua_getinfo ("S", "l"), which do not allocate, so the
 * allocator may use it too. */
static int hook_frame(hookrun *r, lua_State *L, srcpos *at)
{
	lua_Debug ar;
	for (int level = 0; lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "S", &ar))
			continue;
		int i = file_index(r, ar.source);
		/* the line only for a hook frame: it costs a lineinfo scan */
		if (i >= 0 && lua_getinfo(L, "l", &ar) && ar.currentline > 0) {
			*at = (srcpos){r->files[i].name, (unsigned)ar.currentline, 0};
			return i;
		}
	}
	return -1;
}

static srcpos pos_decode(const hookrun *r, lua_Integer pos, srcpos fallback)
{
	lua_Integer i = pos >> POS_SHIFT;
	lua_Integer line = pos & ((1 << POS_SHIFT) - 1);
	if (i < 0 || (size_t)i >= r->nfiles || line <= 0)
		return fallback;
	return (srcpos){r->files[i].name, (unsigned)line, 0};
}

/* --- limits --------------------------------------------------------------- */

/* lua_Alloc with a cap: a refused growth is remembered with the hook line
 * that asked for it, since Lua reports it only as "not enough memory". */
static void *hook_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	hookrun *r = ud;
	size_t old = ptr ? osize : 0;
	if (nsize == 0) {
		free(ptr);
		r->mem_used -= old;
		return NULL;
	}
	if (nsize > old && nsize - old > r->mem_cap - r->mem_used) {
		if (!r->mem_exceeded && r->L)
			hook_frame(r, r->L, &r->mem_at);
		r->mem_exceeded = true;
		return NULL;
	}
	void *p = ptr ? realloc(ptr, nsize) : malloc(nsize);
	if (p)
		r->mem_used = r->mem_used - old + nsize;
	return p;
}

/* Count hook: past the budget, every instruction fails, so a hook that
 * catches the error with pcall cannot keep running. */
static void count_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	hookrun *r = run_of(L);
	if (!r->budget_exceeded && ++r->steps <= HOOK_BUDGET / HOOK_STEP)
		return;
	if (!r->budget_exceeded) {
		r->budget_exceeded = true;
		lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
	}
	lua_pushliteral(L, "instruction budget exceeded");
	lua_error(L);
}

/* Raise msg with no position: the message handler adds the hook line. */
static int hook_fail(lua_State *L, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lua_pushvfstring(L, fmt, ap);
	va_end(ap);
	return lua_error(L);
}

/* --- errors ---------------------------------------------------------------- */

/* A copy of s safe for a terminal: control characters become '?'. */
static const char *clean_text(arena *a, const char *s, size_t len)
{
	if (len > HOOK_MSG_MAX)
		len = HOOK_MSG_MAX;
	char *out = arena_strndup(a, s, len);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = *p == '\t' || *p == '\n' ? ' ' : '?';
	return out;
}

/* "lua/x.lua:12: msg" -> line 12 and msg, when the file is a hook file */
static bool split_position(const hookrun *r, const char *msg, srcpos *at,
			   const char **rest)
{
	for (size_t i = 0; i < r->nfiles; i++) {
		size_t n = strlen(r->files[i].name);
		if (strncmp(msg, r->files[i].name, n) != 0 || msg[n] != ':')
			continue;
		char *end;
		long line = strtol(msg + n + 1, &end, 10);
		if (end == msg + n + 1 || line <= 0 || strncmp(end, ": ", 2) != 0)
			continue;
		*at = (srcpos){r->files[i].name, (unsigned)line, 0};
		*rest = end + 2;
		return true;
	}
	return false;
}

static const char *error_text(lua_State *L, int idx)
{
	if (lua_type(L, idx) == LUA_TSTRING || lua_type(L, idx) == LUA_TNUMBER)
		return lua_tostring(L, idx);
	return lua_pushfstring(L, "error object is a %s value (pass a string "
				  "to error())", luaL_typename(L, idx));
}

static void record_frames(hookrun *r, lua_State *L)
{
	lua_Debug ar;
	r->nframes = 0;
	/* lua_getstack walks from the top, so a deep stack (a runaway
	 * recursion) is only scanned near its top */
	for (int level = 1; level <= HOOK_SCAN && lua_getstack(L, level, &ar);
	     level++) {
		if (!lua_getinfo(L, "Sln", &ar))
			continue;
		int i = file_index(r, ar.source);
		if (i < 0 || ar.currentline <= 0 || r->nframes == HOOK_FRAMES)
			continue;
		srcpos at = {r->files[i].name, (unsigned)ar.currentline, 0};
		frame *last = r->nframes ? &r->frames[r->nframes - 1] : NULL;
		if (last && last->at.file == at.file && last->at.line == at.line) {
			last->recursive = true; /* one note for a recursion */
			continue;
		}
		frame *f = &r->frames[r->nframes++];
		f->at = at;
		f->recursive = false;
		if (ar.name)
			f->what = arena_printf(r->a, "function '%s'", ar.name);
		else if (ar.what && strcmp(ar.what, "main") == 0)
			f->what = "the main chunk";
		else if (r->hook && ar.linedefined == (int)r->call_at.line)
			f->what = arena_printf(r->a, "hook '%s'", r->hook);
		else
			f->what = arena_printf(r->a, "the function at line %d",
					       ar.linedefined);
	}
}

/* Message handler: keeps the message, its position and the hook frames,
 * then returns the error unchanged. */
static int msg_handler(lua_State *L)
{
	hookrun *r = run_of(L);
	const char *msg = error_text(L, 1);
	record_frames(r, L);
	srcpos at = r->nframes ? r->frames[0].at : r->call_at;
	const char *rest = msg;
	split_position(r, msg, &at, &rest);
	r->err_at = at;
	r->err_msg = clean_text(r->a, rest, strlen(rest));
	lua_settop(L, 1);
	return 1;
}

static const char *call_context(const hookrun *r)
{
	if (r->hook && r->cur)
		return arena_printf(r->a, " (in hook %s for cell %s/%s)", r->hook,
				    r->cur->version_str, r->cur->variant->name.s);
	if (r->hook)
		return arena_printf(r->a, " (in hook %s)", r->hook);
	return "";
}

/* Report the failure of the last call_hook. */
static void report_failure(hookrun *r, int status)
{
	const char *ctx = call_context(r);
	if (r->mem_exceeded) {
		srcpos at = r->mem_at.file ? r->mem_at : r->call_at;
		diag_error(r->d, at, "memory limit exceeded (%zu MiB)%s",
			   r->mem_cap >> 20, ctx);
		return;
	}
	if (status == LUA_ERRMEM) {
		diag_error(r->d, r->call_at, "out of memory%s", ctx);
		return;
	}
	if (!r->err_msg) {
		diag_error(r->d, r->call_at, "error in the error handler%s", ctx);
		return;
	}
	if (r->budget_exceeded)
		diag_error(r->d, r->err_at, "instruction budget exceeded "
			   "(%lu instructions)%s", HOOK_BUDGET, ctx);
	else
		diag_error(r->d, r->err_at, "%s%s", r->err_msg, ctx);
	for (size_t i = 1; i < r->nframes; i++)
		diag_note(r->d, r->frames[i].at, "called from %s%s",
			  r->frames[i].what,
			  r->frames[i].recursive ? ", recursively" : "");
}

/* Where the function at idx is defined, when it is hook code. */
static srcpos function_pos(hookrun *r, lua_State *L, int idx)
{
	lua_Debug ar;
	lua_pushvalue(L, idx);
	if (!lua_getinfo(L, ">S", &ar))
		return (srcpos){0};
	int i = file_index(r, ar.source);
	if (i < 0)
		return (srcpos){0};
	unsigned line = ar.linedefined > 0 ? (unsigned)ar.linedefined : 0;
	return (srcpos){r->files[i].name, line, 0};
}

/* Call the function below its nargs arguments under the budget, leaving
 * nres results. at is where the function is defined, when known. On
 * failure reports, pops everything, returns false. */
static bool call_hook(hookrun *r, int nargs, int nres, const srcpos *at)
{
	lua_State *L = r->L;
	int fn = lua_gettop(L) - nargs;
	r->call_at = at ? *at : function_pos(r, L, fn);
	lua_pushcfunction(L, msg_handler);
	lua_insert(L, fn);
	r->steps = 0;
	r->pattern_work = 0;
	r->err_msg = NULL;
	r->nframes = 0;
	lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
	int status = lua_pcall(L, nargs, nres, fn);
	lua_sethook(L, NULL, 0, 0);
	lua_remove(L, fn);
	if (status == LUA_OK && !r->mem_exceeded && !r->budget_exceeded)
		return true;
	report_failure(r, status);
	lua_pop(L, status == LUA_OK ? nres : 1);
	return false;
}

/* --- C helpers for the prelude -------------------------------------------- */

/* C.pos() -> the position of the innermost hook line, or nil */
static int c_pos(lua_State *L)
{
	hookrun *r = run_of(L);
	srcpos at;
	lua_Integer i = hook_frame(r, L, &at);
	if (i < 0) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushinteger(L, (i << POS_SHIFT) | (lua_Integer)at.line);
	return 1;
}

static pyversion check_version(lua_State *L, int idx)
{
	const char *s = lua_tostring(L, idx);
	pyversion v = {0}; /* hook_fail does not return; clang cannot tell */
	if (lua_type(L, idx) != LUA_TSTRING || !version_parse(s, &v))
		hook_fail(L, "not a version: '%s' (expected 3.13 or 3.13.5)",
			  s ? s : luaL_typename(L, idx));
	return v;
}

/* C.vcmp(a, b) -> -1, 0, 1; a series compares as its .0 final release */
static int c_vcmp(lua_State *L)
{
	pyversion a = check_version(L, 1), b = check_version(L, 2);
	int c = version_cmp(&a, &b);
	lua_pushinteger(L, c < 0 ? -1 : c > 0);
	return 1;
}

/* C.vcmpc(cell, b): C.vcmp with the cell's version, parsed already */
static int c_vcmpc(lua_State *L)
{
	const cell *c = lua_touserdata(L, 1);
	pyversion b = check_version(L, 2);
	int k = version_cmp(&c->version, &b);
	lua_pushinteger(L, k < 0 ? -1 : k > 0);
	return 1;
}

/* C.seriesc(cell) -> the series of the cell's version */
static int c_seriesc(lua_State *L)
{
	const cell *c = lua_touserdata(L, 1);
	char s[32];
	version_series(&c->version, s, sizeof s);
	lua_pushstring(L, s);
	return 1;
}

/* C.series(v) -> "3.13" */
static int c_series(lua_State *L)
{
	pyversion v = check_version(L, 1);
	char s[32];
	version_series(&v, s, sizeof s);
	lua_pushstring(L, s);
	return 1;
}

static const char *pre_string(const pyversion *v)
{
	static const char *const kinds[] = {"a", "b", "rc"};
	return v->pre == PRE_FINAL ? "" : kinds[v->pre];
}

/* C.vparse(v) -> {major, minor, patch, pre, series} */
static int c_vparse(lua_State *L)
{
	pyversion v = check_version(L, 1);
	char s[32];
	lua_createtable(L, 0, 5);
	lua_pushinteger(L, v.major);
	lua_setfield(L, -2, "major");
	lua_pushinteger(L, v.minor);
	lua_setfield(L, -2, "minor");
	lua_pushinteger(L, v.patch);
	lua_setfield(L, -2, "patch");
	snprintf(s, sizeof s, "%s%u", pre_string(&v), v.pre_n);
	lua_pushstring(L, v.pre == PRE_FINAL ? "" : s);
	lua_setfield(L, -2, "pre");
	version_series(&v, s, sizeof s);
	lua_pushstring(L, s);
	lua_setfield(L, -2, "series");
	return 1;
}

/* C.suggest(word, names) -> the closest name or nil */
static int c_suggest(lua_State *L)
{
	const char *word = luaL_checkstring(L, 1);
	const char *names[64];
	size_t n = 0;
	luaL_checktype(L, 2, LUA_TTABLE);
	luaL_checkstack(L, 70, NULL);
	while (n < 64 && lua_rawgeti(L, 2, (lua_Integer)n + 1) == LUA_TSTRING)
		names[n++] = lua_tostring(L, -1); /* kept alive by the table */
	const char *best = diag_suggest(word, names, n);
	if (best)
		lua_pushstring(L, best);
	else
		lua_pushnil(L);
	return 1;
}

/* --- pattern matching ------------------------------------------------------ */

/* Lua's pattern matcher backtracks inside one C call, where the count hook
 * never runs: ("a"):rep(3000):find(".-.-.-.-b") would take years. Each
 * quantifier can multiply the work by the subject length, and so does an
 * unanchored start, so a call whose bound len^(quantifiers + 1) passes
 * PATTERN_CALL is refused before it starts, and the bounds of the calls of
 * one hook call add up to at most PATTERN_TOTAL (many cheap calls in a
 * loop are as slow as one expensive call). */
#define PATTERN_CALL 5e7  /* worst-case steps of one call */
#define PATTERN_TOTAL 2e8 /* worst-case steps of one hook call, all told */

/* Quantifiers of pattern p, outside sets and escapes. */
static unsigned quantifiers(const char *p, size_t len)
{
	unsigned q = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '%') {
			if (i + 1 < len && p[i + 1] == 'b')
				q++; /* %bxy scans ahead like a quantifier */
			i++;
		} else if (p[i] == '[') {
			i++;
			if (i < len && p[i] == '^')
				i++;
			do {
				if (i < len && p[i] == '%')
					i++;
				i++;
			} while (i < len && p[i] != ']');
		} else if (p[i] == '*' || p[i] == '+' || p[i] == '-' || p[i] == '?') {
			q++;
		}
	}
	return q;
}

/* string.find, match, gmatch, gsub with the budget check; the original
 * function is upvalue 1 */
static int guarded_pattern(lua_State *L)
{
	size_t slen, plen;
	const char *s = lua_tolstring(L, 1, &slen);
	const char *p = lua_tolstring(L, 2, &plen);
	bool plain = lua_type(L, 4) == LUA_TBOOLEAN && lua_toboolean(L, 4);
	if (s && p && !plain) { /* find(s, p, init, true) is plain */
		double cost = 1, n = slen > 1 ? (double)slen : 2;
		unsigned q = quantifiers(p, plen) + (plen && p[0] == '^' ? 0 : 1);
		for (unsigned i = 0; i < q && cost <= PATTERN_CALL; i++)
			cost *= n;
		hookrun *r = run_of(L);
		if (cost > PATTERN_CALL)
			return hook_fail(L, "pattern '%s' on a %d-byte string could "
				  "exceed the instruction budget (use fewer "
				  "quantifiers or a shorter string)",
				  clean_text(r->a, p, plen), (int)slen);
		r->pattern_work += cost;
		if (r->pattern_work > PATTERN_TOTAL)
			return hook_fail(L, "pattern matching could exceed the "
					 "instruction budget (too many calls "
					 "on long strings)");
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

static void guard_patterns(lua_State *L, int string_table)
{
	static const char *const names[] = {"find", "match", "gmatch", "gsub"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		lua_getfield(L, string_table, names[i]);
		lua_pushcclosure(L, guarded_pattern, 1);
		lua_setfield(L, string_table, names[i]);
	}
}

/* --- text without addresses ------------------------------------------------ */

/* tostring without addresses: a table, function or userdata without
 * __tostring reads as its type name, so nothing a hook makes of a value
 * can differ between runs. Pushes the string. */
static const char *plain_tostring(lua_State *L, int idx)
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
	plain_tostring(L, 1);
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
			plain_tostring(L, i);
			lua_replace(L, i);
		}
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, n, 1);
	return 1;
}

/* --- the sandbox ----------------------------------------------------------- */

static const char *const forbidden[] = {
    "io", "os", "package", "debug", "dofile", "loadfile", "collectgarbage",
    "coroutine", "loadstring", "module", "setfenv", "getfenv"};

/* __index of a hook file's environment: the sandbox's names, else an
 * error (a misspelt global is a bug, not nil). */
static int env_index(lua_State *L)
{
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	const char *k = lua_tostring(L, 2);
	if (lua_type(L, 2) != LUA_TSTRING)
		return hook_fail(L, "undefined global");
	for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++)
		if (strcmp(k, forbidden[i]) == 0)
			return hook_fail(L, "'%s' is not available to hooks (they "
				  "cannot reach files, processes, the clock or "
				  "randomness)", k);
	return hook_fail(L, "undefined global '%s'", k);
}

/* A fresh environment for one chunk: its own globals over the sandbox. */
static void push_env(hookrun *r, lua_State *L)
{
	lua_newtable(L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->env_mt_ref);
	lua_setmetatable(L, -2);
}

/* Load text as chunk name ("@lua/x.lua"), text only, in a fresh
 * environment. Returns the lua_load status; the chunk or the message is
 * left on the stack. */
static int load_text(hookrun *r, lua_State *L, const char *text, size_t len,
		     const char *name)
{
	int status = luaL_loadbufferx(L, text, len, name, "t");
	if (status != LUA_OK)
		return status;
	push_env(r, L);
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
	return LUA_OK;
}

/* load(text [, name]): text chunks only, in a fresh environment */
static int sb_load(lua_State *L)
{
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	if (load_text(run_of(L), L, text, len, "=(load)") == LUA_OK)
		return 1;
	lua_pushnil(L);
	lua_insert(L, -2);
	return 2;
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
		if (i > 1)
			luaL_addchar(&b, '\t');
		plain_tostring(L, i);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	size_t len;
	const char *s = lua_tolstring(L, -1, &len);
	srcpos at = r->call_at;
	hook_frame(r, L, &at);
	diag_note(r->d, at, "print: %s", clean_text(r->a, s, len));
	return 0;
}

static hookfile *add_file(hookrun *r, const char *name)
{
	if (r->nfiles == r->capfiles) {
		size_t cap = r->capfiles ? r->capfiles * 2 : 8;
		r->files = arena_grow(r->a, r->files,
				      r->capfiles * sizeof *r->files,
				      cap * sizeof *r->files);
		r->capfiles = cap;
	}
	hookfile *f = &r->files[r->nfiles++];
	f->name = name;
	f->cell_ref = f->matrix_ref = LUA_NOREF;
	return f;
}

/* Read and load hook file name (relative to the matrix directory). The
 * text is registered with diag so that errors quote its lines. Returns a
 * lua_load status, or LUA_ERRFILE with errno's message pushed. */
static int load_file(hookrun *r, lua_State *L, const char *name)
{
	const char *path = strcmp(r->m->dir, ".") == 0
			       ? name
			       : arena_printf(r->a, "%s/%s", r->m->dir, name);
	buf b;
	buf_init(&b, LIMIT_FILE_BYTES);
	int rc = file_read(path, &b, LIMIT_FILE_BYTES);
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
	diag_add_source(r->d, name, buf_str(&b), b.len);
	add_file(r, name);
	const char *chunk = arena_printf(r->a, "@%s", name);
	int status = load_text(r, L, buf_str(&b), b.len, chunk);
	buf_release(&b);
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

/* require(name): lua/NAME.lua, loaded once, nothing outside lua/ */
static int sb_require(lua_State *L)
{
	hookrun *r = run_of(L);
	const char *name = luaL_checkstring(L, 1);
	if (!plain_name(name))
		return hook_fail(L, "require: '%s' is not a module name (hooks "
			  "can only require lua/NAME.lua, NAME in [a-z0-9_-])",
			  name);
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->loaded_ref);
	int loaded = lua_gettop(L);
	if (lua_getfield(L, loaded, name) != LUA_TNIL) {
		if (lua_type(L, -1) == LUA_TLIGHTUSERDATA)
			return hook_fail(L, "require: '%s' requires itself",
					 name);
		return 1;
	}
	const char *file = arena_printf(r->a, "lua/%s.lua", name);
	int status = load_file(r, L, file);
	if (status == LUA_ERRFILE)
		return hook_fail(L, "module '%s' not found: hooks can only "
			  "require lua/NAME.lua (%s)", name, lua_tostring(L, -1));
	if (status != LUA_OK)
		return lua_error(L);
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

/* --- cells as Lua tables ---------------------------------------------------- */

/* Cell fields as the prelude numbers them (C.fields): scalars, then the
 * lists in list_fields order. Hooks read them on demand through C.get and
 * C.list, so a cell no hook looks at costs no copies. */
enum {
	F_VERSION, F_MAJOR, F_MINOR, F_PATCH, F_PRE, F_SERIES, F_SPEC,
	F_VARIANT, F_PGO, F_LTO, F_PIP, F_BASE, F_URL, F_SHA256,
	F_GET_PIP_URL, F_GET_PIP_SHA256, F_TAG, F_SKIP, F_LISTS
};

static const char *const field_names[] = {
    "version", "major", "minor", "patch", "pre", "series", "spec",
    "variant", "pgo", "lto", "pip", "base", "url", "sha256",
    "get_pip_url", "get_pip_sha256", "tag", "skip"};

static const char *const list_fields[] = {
    "configure", "make_flags", "env", "build_args",
    "build_packages", "run_packages", "aliases"};

#define NLISTS (sizeof list_fields / sizeof *list_fields)

static strlist *list_of(cell *c, size_t i)
{
	strlist *lists[] = {&c->configure, &c->make_flags, &c->env,
			    &c->build_args, &c->build_packages,
			    &c->run_packages, &c->aliases};
	return lists[i];
}

/* The cell argument of C.get, C.list, C.snap: a pointer the prelude
 * holds (hook code never sees these helpers). */
static cell *arg_cell(lua_State *L)
{
	return lua_touserdata(L, 1);
}

static void push_opt(lua_State *L, const char *s)
{
	if (s)
		lua_pushstring(L, s);
	else
		lua_pushnil(L);
}

/* C.get(cell, field) -> the value of a scalar field */
static int c_get(lua_State *L)
{
	const cell *c = arg_cell(L);
	char pre[16] = "";
	switch (lua_tointeger(L, 2) - 1) {
	case F_VERSION: lua_pushstring(L, c->version_str); break;
	case F_MAJOR: lua_pushinteger(L, c->version.major); break;
	case F_MINOR: lua_pushinteger(L, c->version.minor); break;
	case F_PATCH: lua_pushinteger(L, c->version.patch); break;
	case F_PRE:
		if (c->version.pre != PRE_FINAL)
			snprintf(pre, sizeof pre, "%s%u",
				 pre_string(&c->version), c->version.pre_n);
		lua_pushstring(L, pre);
		break;
	case F_SERIES: push_opt(L, c->series); break;
	case F_SPEC: push_opt(L, c->spec); break;
	case F_VARIANT: push_opt(L, c->variant->name.s); break;
	case F_PGO: lua_pushboolean(L, c->pgo.on); break;
	case F_LTO: lua_pushboolean(L, c->lto.on); break;
	case F_PIP: lua_pushboolean(L, c->pip.on); break;
	case F_BASE: push_opt(L, c->base.s); break;
	case F_URL: push_opt(L, c->url.s); break;
	case F_SHA256: push_opt(L, c->sha256.s); break;
	case F_GET_PIP_URL: push_opt(L, c->get_pip_url.s); break;
	case F_GET_PIP_SHA256: push_opt(L, c->get_pip_sha256.s); break;
	case F_TAG: push_opt(L, c->tag.s); break;
	case F_SKIP:
		if (c->skip)
			lua_pushstring(L, c->skip_reason.s ? c->skip_reason.s
							   : "skipped");
		else
			lua_pushboolean(L, 0);
		break;
	default: lua_pushnil(L); break;
	}
	return 1;
}

/* C.list(cell, field) -> a new table of the list's strings */
static int c_list(lua_State *L)
{
	cell *c = arg_cell(L);
	lua_Integer f = lua_tointeger(L, 2) - 1 - F_LISTS;
	if (f < 0 || (size_t)f >= NLISTS)
		return hook_fail(L, "C.list: bad field");
	const strlist *l = list_of(c, (size_t)f);
	lua_createtable(L, (int)l->n, 0);
	for (size_t i = 0; i < l->n; i++) {
		lua_pushstring(L, l->v[i].s);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* C.snap(cell) -> a copy of the cell as it is now, for a retired proxy.
 * Fields are replaced, never changed in place, except configure (see
 * sync_flags), which is copied. */
static int c_snap(lua_State *L)
{
	hookrun *r = run_of(L);
	const cell *c = arg_cell(L);
	cell *s = arena_alloc(r->a, sizeof *s);
	*s = *c;
	s->configure = (strlist){0};
	strlist_copy(r->a, &s->configure, &c->configure);
	lua_pushlightuserdata(L, s);
	return 1;
}

/* Reading a cell back after a hook: only what the hook assigned. */
typedef struct {
	hookrun *r;
	lua_State *L;
	cell *c;
	int raw, where, lines; /* stack indexes of the state's tables */
	bool ok;
} reader;

static void read_error(reader *rd, srcpos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void read_error(reader *rd, srcpos at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *msg = arena_vprintf(rd->r->a, fmt, ap);
	va_end(ap);
	diag_error(rd->r->d, at, "%s%s", msg, call_context(rd->r));
	rd->ok = false;
}

/* Was field k assigned? Its position goes to *at. */
static bool assigned(reader *rd, const char *k, srcpos *at)
{
	lua_State *L = rd->L;
	bool set = lua_getfield(L, rd->where, k) == LUA_TNUMBER;
	if (set)
		*at = pos_decode(rd->r, lua_tointeger(L, -1), rd->r->call_at);
	lua_pop(L, 1);
	return set;
}

/* The string at the top of the stack, copied; NULL after an error. */
static const char *take_string(reader *rd, const char *k, srcpos at)
{
	size_t len;
	if (lua_type(rd->L, -1) != LUA_TSTRING) {
		read_error(rd, at, "cell field '%s' takes strings, not a %s", k,
			   luaL_typename(rd->L, -1));
		return NULL;
	}
	const char *s = lua_tolstring(rd->L, -1, &len);
	if (strlen(s) != len) {
		read_error(rd, at, "cell field '%s' contains a NUL byte", k);
		return NULL;
	}
	if (len > LIMIT_STRING_BYTES) {
		read_error(rd, at, "cell field '%s' is longer than %d bytes", k,
			   LIMIT_STRING_BYTES);
		return NULL;
	}
	return arena_strndup(rd->r->a, s, len);
}

static void read_bool(reader *rd, const char *k, pbool *out)
{
	srcpos at;
	if (!assigned(rd, k, &at))
		return;
	lua_getfield(rd->L, rd->raw, k);
	if (!lua_isboolean(rd->L, -1))
		read_error(rd, at, "cell field '%s' takes a boolean, not a %s", k,
			   luaL_typename(rd->L, -1));
	else if (lua_toboolean(rd->L, -1) != out->on)
		*out = (pbool){lua_toboolean(rd->L, -1), at};
	lua_pop(rd->L, 1);
}

static void read_string(reader *rd, const char *k, pstr *out, bool optional)
{
	srcpos at;
	if (!assigned(rd, k, &at))
		return;
	int t = lua_getfield(rd->L, rd->raw, k); /* a table: a stored nil */
	if ((t == LUA_TNIL || t == LUA_TTABLE) && optional) {
		if (out->s)
			*out = (pstr){NULL, at};
	} else {
		const char *s = take_string(rd, k, at);
		if (s && (!out->s || strcmp(out->s, s) != 0))
			*out = (pstr){s, at};
	}
	lua_pop(rd->L, 1);
}

static void read_skip(reader *rd)
{
	srcpos at;
	cell *c = rd->c;
	if (!assigned(rd, "skip", &at))
		return;
	int t = lua_getfield(rd->L, rd->raw, "skip");
	if (t == LUA_TNIL || t == LUA_TTABLE ||
	    (t == LUA_TBOOLEAN && !lua_toboolean(rd->L, -1))) {
		if (c->skip)
			c->skip_reason = (pstr){NULL, at};
		c->skip = false;
	} else {
		const char *s = take_string(rd, "skip", at);
		if (s && (!c->skip || !c->skip_reason.s ||
			  strcmp(s, c->skip_reason.s) != 0)) {
			c->skip = true;
			c->skip_reason = (pstr){s, at};
		}
	}
	lua_pop(rd->L, 1);
}

/* Where the entry s of list k was stored, from the state's lines. */
static srcpos entry_pos(reader *rd, int lines, const char *s)
{
	srcpos at = rd->r->call_at;
	if (lua_getfield(rd->L, lines, s) == LUA_TNUMBER)
		at = pos_decode(rd->r, lua_tointeger(rd->L, -1), at);
	lua_pop(rd->L, 1);
	return at;
}

static bool same_strings(const strlist *a, const strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].s, b->v[i].s) != 0)
			return false;
	return true;
}

/* A list: entries that were there keep their provenance (the first
 * unmatched equal entry), new ones get the hook line that stored them. */
static bool list_too_long(reader *rd, const char *k, size_t n)
{
	if (n <= HOOK_LIST_MAX)
		return false;
	read_error(rd, rd->r->call_at, "cell field '%s' has more than %d "
		   "entries", k, HOOK_LIST_MAX);
	return true;
}

static void read_list(reader *rd, const char *k, strlist *out)
{
	lua_State *L = rd->L;
	if (lua_getfield(L, rd->raw, k) != LUA_TTABLE) {
		/* never looked at: as it was */
		lua_pop(L, 1);
		list_too_long(rd, k, out->n);
		return;
	}
	lua_getfield(L, rd->lines, k);
	int items = lua_gettop(L) - 1, lines = items + 1;
	lua_Integer n = (lua_Integer)lua_rawlen(L, items);
	if (list_too_long(rd, k, (size_t)n)) {
		lua_pop(L, 2);
		return;
	}
	bool *used = arena_alloc(rd->r->a, out->n + 1);
	strlist fresh = {0};
	for (lua_Integer i = 1; i <= n && rd->ok; i++) {
		lua_rawgeti(L, items, i);
		srcpos at = rd->r->call_at;
		const char *s = take_string(rd, k, at);
		lua_pop(L, 1);
		if (!s)
			break;
		size_t j = 0;
		while (j < out->n && (used[j] || strcmp(out->v[j].s, s) != 0))
			j++;
		if (j < out->n) {
			used[j] = true;
			at = out->v[j].at;
		} else if (lua_istable(L, lines)) {
			at = entry_pos(rd, lines, s);
		}
		strlist_add(rd->r->a, &fresh, s, at);
	}
	if (rd->ok && !same_strings(&fresh, out))
		*out = fresh;
	lua_pop(L, 2);
}

/* PGO and LTO are configure flags that expand added; a hook that turns
 * one off (or on) changes the flag with it. */
static void sync_flags(hookrun *r, cell *c, bool pgo_was, bool lto_was)
{
	if (pgo_was && !c->pgo.on)
		strlist_remove(&c->configure, "--enable-optimizations");
	if (!pgo_was && c->pgo.on)
		strlist_add_unique(r->a, &c->configure, "--enable-optimizations",
				   c->pgo.at);
	if (lto_was && !c->lto.on)
		for (size_t i = c->configure.n; i-- > 0;)
			if (strncmp(c->configure.v[i].s, "--with-lto", 10) == 0)
				strlist_remove(&c->configure,
					       c->configure.v[i].s);
	if (!lto_was && c->lto.on)
		strlist_add_unique(r->a, &c->configure, "--with-lto", c->lto.at);
}

/* The classic failure: a variant that promises PGO or LTO, built without
 * it under the tag that claims it. A hook must skip such a cell or give it
 * another tag. */
static void check_promise(hookrun *r, const cell *c, const pbool *flag,
			  bool promised, const char *what)
{
	if (!promised || flag->on || c->skip)
		return;
	const char *plain = arena_printf(r->a, "%s-%s", c->version_str,
					 c->variant->name.s);
	if (strcmp(c->tag.s, plain) != 0)
		return;
	diag_error(r->d, flag->at, "%s turned off, but variant '%s' promises "
		   "it and tag '%s' would claim it: skip the cell (mx.skip) or "
		   "change its tag%s", what, c->variant->name.s, c->tag.s,
		   call_context(r));
}

/* A state nothing was stored through: only the list limit applies. */
static bool read_clean(hookrun *r, cell *c)
{
	reader rd = {r, r->L, c, 0, 0, 0, true};
	for (size_t i = 0; i < NLISTS && rd.ok; i++)
		list_too_long(&rd, list_fields[i], list_of(c, i)->n);
	return rd.ok;
}

static bool is_dirty(lua_State *L, int state)
{
	bool dirty = lua_getfield(L, state, "dirty") == LUA_TBOOLEAN;
	lua_pop(L, 1);
	return dirty;
}

/* Copy what a hook changed from the state at index state into c. */
static bool read_back(hookrun *r, cell *c, int state)
{
	lua_State *L = r->L;
	if (!is_dirty(L, state))
		return read_clean(r, c);
	int top = lua_gettop(L);
	reader rd = {r, L, c, top + 1, top + 2, top + 3, true};
	lua_getfield(L, state, "raw");
	lua_getfield(L, state, "where");
	lua_getfield(L, state, "lines");
	bool pgo_was = c->pgo.on, lto_was = c->lto.on;
	read_bool(&rd, "pgo", &c->pgo);
	read_bool(&rd, "lto", &c->lto);
	read_bool(&rd, "pip", &c->pip);
	read_string(&rd, "base", &c->base, false);
	read_string(&rd, "url", &c->url, false);
	read_string(&rd, "sha256", &c->sha256, false);
	read_string(&rd, "tag", &c->tag, false);
	read_string(&rd, "get_pip_url", &c->get_pip_url, true);
	read_string(&rd, "get_pip_sha256", &c->get_pip_sha256, true);
	read_skip(&rd);
	for (size_t i = 0; i < NLISTS; i++)
		if (rd.ok)
			read_list(&rd, list_fields[i], list_of(c, i));
	if (rd.ok)
		sync_flags(r, c, pgo_was, lto_was);
	lua_settop(L, top);
	unsigned errors = diag_errors(r->d);
	if (rd.ok && pgo_was != c->pgo.on)
		check_promise(r, c, &c->pgo, c->variant->pgo, "PGO");
	if (rd.ok && lto_was != c->lto.on)
		check_promise(r, c, &c->lto, c->variant->lto, "LTO");
	return rd.ok && diag_errors(r->d) == errors;
}

/* --- setting up the state ------------------------------------------------- */

/* The prelude: proxies for cells, sorted pairs, the mx library. */
static const char prelude[] =
    "-- matrixc hook prelude: cell proxies, sorted pairs and the mx library.\n"
    "-- Runs once per Lua state, before any hook file, with C helpers in C.\n"
    "local C = ...\n"
    "local type, error, tostring, select = type, error, tostring, select\n"
    "local rawget, setmetatable, next = rawget, setmetatable, next\n"
    "local sort, concat, fmt = table.sort, table.concat, string.format\n"
    "local mtype = math.type\n"
    "\n"
    "-- pairs in a fixed order: numbers, then strings, then booleans.\n"
    "local RANK = { number = 1, string = 2, boolean = 3 }\n"
    "local function keyless(a, b)\n"
    "  local ra, rb = RANK[type(a)], RANK[type(b)]\n"
    "  if ra ~= rb then return ra < rb end\n"
    "  if ra == 3 then return (not a) and b end\n"
    "  return a < b\n"
    "end\n"
    "\n"
    "-- The state behind each proxy, for the shared metatables below. A cell\n"
    "-- state s: s.cell (the C cell, lightuserdata: the live cell, or a snapshot\n"
    "-- once retired), s.idx (its index, for the cache), and once written to,\n"
    "-- s.raw (stored values; lists' items), s.where (field -> position),\n"
    "-- s.lines (list field -> {value = position}), s.lists (field -> proxy),\n"
    "-- s.dirty. A list state: items, lines, field, owner.\n"
    "local STATE = setmetatable({}, { __mode = \"k\" }) -- cell proxy -> state\n"
    "local LSTATE = setmetatable({}, { __mode = \"k\" }) -- list proxy -> state\n"
    "local cell_pairs\n"
    "\n"
    "local function sorted_pairs(t)\n"
    "  if STATE[t] then return cell_pairs(t) end\n"
    "  local ls = LSTATE[t]\n"
    "  if ls then return ipairs(ls.items) end\n"
    "  if type(t) ~= \"table\" then\n"
    "    error(fmt(\"bad argument to pairs (table expected, got %s)\", type(t)), 0)\n"
    "  end\n"
    "  local keys = {}\n"
    "  for k in next, t do\n"
    "    if not RANK[k ~= k and \"nan\" or type(k)] then\n"
    "      error(fmt(\"pairs: a %s key has no stable order (use string or number keys)\",\n"
    "        type(k)), 0)\n"
    "    end\n"
    "    keys[#keys + 1] = k\n"
    "  end\n"
    "  sort(keys, keyless)\n"
    "  local i = 0\n"
    "  return function()\n"
    "    i = i + 1\n"
    "    local k = keys[i]\n"
    "    if k ~= nil then return k, t[k] end\n"
    "  end, t, nil\n"
    "end\n"
    "\n"
    "-- cell fields and what may be stored in them\n"
    "local KIND = {\n"
    "  version = \"ro\", major = \"ro\", minor = \"ro\", patch = \"ro\", pre = \"ro\",\n"
    "  series = \"ro\", spec = \"ro\", variant = \"ro\",\n"
    "  pgo = \"boolean\", lto = \"boolean\", pip = \"boolean\",\n"
    "  base = \"string\", url = \"string\", sha256 = \"string\", tag = \"string\",\n"
    "  get_pip_url = \"optional\", get_pip_sha256 = \"optional\",\n"
    "  skip = \"skip\",\n"
    "  configure = \"list\", make_flags = \"list\", env = \"list\", build_args = \"list\",\n"
    "  build_packages = \"list\", run_packages = \"list\", aliases = \"list\",\n"
    "}\n"
    "local NAMES, LISTS = {}, {}\n"
    "for k, kind in sorted_pairs(KIND) do\n"
    "  NAMES[#NAMES + 1] = k\n"
    "  if kind == \"list\" then LISTS[#LISTS + 1] = k end\n"
    "end\n"
    "\n"
    "local function unknown(k)\n"
    "  local s = C.suggest(tostring(k), NAMES)\n"
    "  if s then\n"
    "    return fmt(\"unknown cell field '%s' (did you mean '%s'?)\", tostring(k), s)\n"
    "  end\n"
    "  return fmt(\"unknown cell field '%s'\", tostring(k))\n"
    "end\n"
    "\n"
    "-- \"a number\", \"a table\", \"nil\": for messages\n"
    "local function a_type(v)\n"
    "  local t = type(v)\n"
    "  if t == \"nil\" then return \"nil\" end\n"
    "  return \"a \" .. t\n"
    "end\n"
    "\n"
    "local function copy_list(field, v)\n"
    "  if type(v) ~= \"table\" then\n"
    "    error(fmt(\"cell field '%s' takes a list of strings, not %s\", field,\n"
    "      a_type(v)), 0)\n"
    "  end\n"
    "  local out, i = {}, 1\n"
    "  while true do\n"
    "    local x = v[i]\n"
    "    if x == nil then break end\n"
    "    if type(x) ~= \"string\" then\n"
    "      error(fmt(\"cell field '%s' takes strings, not %s (entry %d)\", field,\n"
    "        a_type(x), i), 0)\n"
    "    end\n"
    "    out[i] = x\n"
    "    i = i + 1\n"
    "  end\n"
    "  return out\n"
    "end\n"
    "\n"
    "local function check_scalar(kind, k, v)\n"
    "  if kind == \"ro\" then\n"
    "    error(fmt(\"cell field '%s' is read-only\", k), 0)\n"
    "  elseif kind == \"skip\" then\n"
    "    if v ~= false and v ~= nil and type(v) ~= \"string\" then\n"
    "      error(fmt(\"cell field 'skip' takes a reason string (or false), not %s\",\n"
    "        a_type(v)), 0)\n"
    "    end\n"
    "    if v == \"\" then error(\"cell field 'skip' needs a non-empty reason\", 0) end\n"
    "  elseif kind == \"optional\" then\n"
    "    if v ~= nil and type(v) ~= \"string\" then\n"
    "      error(fmt(\"cell field '%s' takes a string or nil, not %s\", k,\n"
    "        a_type(v)), 0)\n"
    "    end\n"
    "  elseif type(v) ~= kind then\n"
    "    error(fmt(\"cell field '%s' takes a %s, not %s\", k, kind, a_type(v)), 0)\n"
    "  end\n"
    "end\n"
    "\n"
    "-- C values are read on demand (C.get, C.list), so a proxy costs two small\n"
    "-- tables until a hook touches it. Proxies are reused from call to call\n"
    "-- while nothing was stored through them (CACHE_P, CACHE_S: cell index ->\n"
    "-- proxy, state); a proxy written to outside its own call is retired first,\n"
    "-- as is one whose call stored anything, so that every proxy a hook kept\n"
    "-- keeps seeing the values it had, as when each call had its own copy.\n"
    "local FID = {}\n"
    "for i, k in ipairs(C.fields) do FID[k] = i end\n"
    "local NILV = {} -- a stored nil in s.raw\n"
    "local CACHE_P, CACHE_S, CTL = {}, {}, { cur = false }\n"
    "\n"
    "local function retire(s)\n"
    "  if CACHE_S[s.idx] == s then\n"
    "    CACHE_S[s.idx] = nil\n"
    "    CACHE_P[s.idx] = nil\n"
    "  end\n"
    "  s.cell = C.snap(s.cell)\n"
    "  s.retired = true\n"
    "end\n"
    "\n"
    "-- A store through s: outside the call it belongs to, the proxy leaves the\n"
    "-- cache; it is then never read back.\n"
    "local function touch(s)\n"
    "  if not (s.retired or s.live or CTL.cur == s) then retire(s) end\n"
    "  s.dirty = true\n"
    "end\n"
    "\n"
    "local function state_tables(s)\n"
    "  local raw = s.raw\n"
    "  if not raw then\n"
    "    raw = {}\n"
    "    s.raw, s.where, s.lines, s.lists = raw, {}, {}, {}\n"
    "  end\n"
    "  return raw\n"
    "end\n"
    "\n"
    "-- A list field: an empty proxy over items; every store is checked and the\n"
    "-- hook line that stored each value is kept in lines[value].\n"
    "local function list_len(p) return #LSTATE[p].items end\n"
    "\n"
    "local function list_store(p, k, v)\n"
    "    local ls = LSTATE[p]\n"
    "    local items, field = ls.items, ls.field\n"
    "    local n = #items\n"
    "    if mtype(k) ~= \"integer\" or k < 1 or k > n + 1 then\n"
    "      error(fmt(\"cell field '%s' is a list: index %s is not in 1..%d\",\n"
    "        field, tostring(k), n + 1), 0)\n"
    "    end\n"
    "    if v == nil then\n"
    "      if k ~= n then\n"
    "        error(fmt(\"cell field '%s': only the last entry can be set to nil \"\n"
    "          .. \"(use table.remove or mx.remove)\", field), 0)\n"
    "      end\n"
    "    elseif type(v) ~= \"string\" then\n"
    "      error(fmt(\"cell field '%s' takes strings, not %s\", field,\n"
    "        a_type(v)), 0)\n"
    "    else\n"
    "      local lines = ls.lines\n"
    "      if lines[v] == nil then lines[v] = C.pos() end\n"
    "    end\n"
    "    touch(ls.owner)\n"
    "    items[k] = v\n"
    "end\n"
    "\n"
    "-- Reads go straight to items (__index is the table: no call per entry).\n"
    "local function newlist(s, field, items, lines)\n"
    "  local proxy = {}\n"
    "  LSTATE[proxy] = { items = items, lines = lines, field = field, owner = s }\n"
    "  return setmetatable(proxy, { __metatable = false, __index = items,\n"
    "    __len = list_len, __newindex = list_store })\n"
    "end\n"
    "\n"
    "-- The proxy of list field k of s, made on first use.\n"
    "local function list_of(s, k)\n"
    "  local raw = state_tables(s)\n"
    "  local l = s.lists[k]\n"
    "  if l then return l end\n"
    "  local items, lines = C.list(s.cell, FID[k]), {}\n"
    "  raw[k], s.lines[k] = items, lines\n"
    "  l = newlist(s, k, items, lines)\n"
    "  s.lists[k] = l\n"
    "  return l\n"
    "end\n"
    "\n"
    "-- A cell proxy's __index is its values table V, which holds what was read\n"
    "-- or stored so far; a miss goes to VALUE_MT, which reads C (or raises the\n"
    "-- unknown-field error). V is reachable only through the protected\n"
    "-- metatable, so its state can sit under the private key SKEY.\n"
    "local SKEY = {}\n"
    "local VALUE_MT = {\n"
    "  __index = function(V, k)\n"
    "    local kind = KIND[k]\n"
    "    if kind == nil then error(unknown(k), 0) end\n"
    "    local s = V[SKEY]\n"
    "    if kind == \"list\" then\n"
    "      local l = list_of(s, k)\n"
    "      V[k] = l\n"
    "      return l\n"
    "    end\n"
    "    local raw = s.raw\n"
    "    if raw then\n"
    "      local v = raw[k]\n"
    "      if v ~= nil then\n"
    "        if v == NILV then return nil end\n"
    "        return v\n"
    "      end\n"
    "    end\n"
    "    local v = C.get(s.cell, FID[k])\n"
    "    V[k] = v\n"
    "    return v\n"
    "  end,\n"
    "}\n"
    "\n"
    "local function cell_store(p, k, v)\n"
    "  local kind = KIND[k]\n"
    "  if kind == nil then error(unknown(k), 0) end\n"
    "  local s = STATE[p]\n"
    "  local pos = C.pos()\n"
    "  if kind == \"list\" then\n"
    "    local items = copy_list(k, v)\n"
    "    touch(s)\n"
    "    local raw = state_tables(s)\n"
    "    local lines = {}\n"
    "    raw[k] = items\n"
    "    s.lines[k] = lines\n"
    "    for _, x in ipairs(items) do lines[x] = pos end\n"
    "    local l = newlist(s, k, items, lines)\n"
    "    s.lists[k] = l\n"
    "    s.V[k] = l\n"
    "    return\n"
    "  end\n"
    "  check_scalar(kind, k, v)\n"
    "  touch(s)\n"
    "  local raw = state_tables(s)\n"
    "  if v == nil then raw[k] = NILV else raw[k] = v end\n"
    "  s.V[k] = v\n"
    "  s.where[k] = pos\n"
    "end\n"
    "\n"
    "local function cell_tostring(p)\n"
    "  local s = STATE[p]\n"
    "  return \"cell \" .. C.get(s.cell, FID.version) .. \"/\" .. C.get(s.cell, FID.variant)\n"
    "end\n"
    "\n"
    "function cell_pairs(t)\n"
    "  local i = 0\n"
    "  return function()\n"
    "    i = i + 1\n"
    "    local k = NAMES[i]\n"
    "    if k then return k, t[k] end\n"
    "  end, t, nil\n"
    "end\n"
    "\n"
    "-- wrap(cell, idx, live) -> proxy, state: a new proxy, cached for cell idx\n"
    "-- (for the cell hooks), or live until the end (for the matrix hook).\n"
    "local function wrap(cell, idx, live)\n"
    "  local proxy, s = {}, { cell = cell, idx = idx, live = live, V = false }\n"
    "  local V = setmetatable({ [SKEY] = s }, VALUE_MT)\n"
    "  s.V = V\n"
    "  STATE[proxy] = s\n"
    "  if not live then CACHE_P[idx], CACHE_S[idx] = proxy, s end\n"
    "  return setmetatable(proxy, { __metatable = false, __index = V,\n"
    "    __newindex = cell_store, __tostring = cell_tostring }), s\n"
    "end\n"
    "\n"
    "-- mx: the helper library -------------------------------------------------\n"
    "\n"
    "local mx = {}\n"
    "\n"
    "local function vstr(v, what)\n"
    "  if type(v) == \"string\" then return v end\n"
    "  if STATE[v] then return v.version end\n"
    "  if LSTATE[v] then return nil end\n"
    "  error(fmt(\"%s: expected a cell or a version string, got %s\", what,\n"
    "    a_type(v)), 0)\n"
    "end\n"
    "\n"
    "function mx.compare(a, b)\n"
    "  return C.vcmp(vstr(a, \"mx.compare\"), vstr(b, \"mx.compare\"))\n"
    "end\n"
    "-- A cell compares by the version C parsed already (C.vcmpc).\n"
    "local vcmp, vcmpc = C.vcmp, C.vcmpc\n"
    "function mx.at_least(v, s)\n"
    "  local st = STATE[v]\n"
    "  if st then return vcmpc(st.cell, s) >= 0 end\n"
    "  return vcmp(vstr(v, \"mx.at_least\"), s) >= 0\n"
    "end\n"
    "function mx.below(v, s)\n"
    "  local st = STATE[v]\n"
    "  if st then return vcmpc(st.cell, s) < 0 end\n"
    "  return vcmp(vstr(v, \"mx.below\"), s) < 0\n"
    "end\n"
    "function mx.between(v, lo, hi)\n"
    "  local st = STATE[v]\n"
    "  if st then return vcmpc(st.cell, lo) >= 0 and vcmpc(st.cell, hi) < 0 end\n"
    "  local x = vstr(v, \"mx.between\")\n"
    "  return vcmp(x, lo) >= 0 and vcmp(x, hi) < 0\n"
    "end\n"
    "function mx.in_series(v, s)\n"
    "  local st = STATE[v]\n"
    "  if st then return C.seriesc(st.cell) == C.series(s) end\n"
    "  return C.series(vstr(v, \"mx.in_series\")) == C.series(s)\n"
    "end\n"
    "function mx.version(s)\n"
    "  local t = C.vparse(vstr(s, \"mx.version\"))\n"
    "  return t\n"
    "end\n"
    "\n"
    "local function check_list(l, what)\n"
    "  if type(l) ~= \"table\" then\n"
    "    error(fmt(\"%s: expected a list, got %s\", what, a_type(l)), 0)\n"
    "  end\n"
    "end\n"
    "\n"
    "function mx.has(l, x)\n"
    "  check_list(l, \"mx.has\")\n"
    "  for _, y in ipairs(l) do if y == x then return true end end\n"
    "  return false\n"
    "end\n"
    "\n"
    "-- add each value unless present; returns the list\n"
    "function mx.add(l, ...)\n"
    "  check_list(l, \"mx.add\")\n"
    "  for i = 1, select(\"#\", ...) do\n"
    "    local x = select(i, ...)\n"
    "    if not mx.has(l, x) then l[#l + 1] = x end\n"
    "  end\n"
    "  return l\n"
    "end\n"
    "\n"
    "-- remove every entry equal to x (or for which x(entry) is true);\n"
    "-- returns how many were removed\n"
    "function mx.remove(l, x)\n"
    "  check_list(l, \"mx.remove\")\n"
    "  local keep, removed = {}, 0\n"
    "  if type(x) == \"function\" then\n"
    "    local match = x\n"
    "    for _, y in ipairs(l) do\n"
    "      if match(y) then removed = removed + 1 else keep[#keep + 1] = y end\n"
    "    end\n"
    "  else -- no closure and no call per entry for a plain value\n"
    "    for _, y in ipairs(l) do\n"
    "      if y == x then removed = removed + 1 else keep[#keep + 1] = y end\n"
    "    end\n"
    "  end\n"
    "  if removed > 0 then\n"
    "    local n = #l\n"
    "    for i = 1, #keep do if l[i] ~= keep[i] then l[i] = keep[i] end end\n"
    "    for i = n, #keep + 1, -1 do l[i] = nil end\n"
    "  end\n"
    "  return removed\n"
    "end\n"
    "\n"
    "-- entries starting with prefix, for flag families like \"--with-lto\"\n"
    "function mx.prefixed(prefix)\n"
    "  return function(y) return y:sub(1, #prefix) == prefix end\n"
    "end\n"
    "\n"
    "-- replace every entry equal to old by new; true if any was replaced\n"
    "function mx.replace(l, old, new)\n"
    "  check_list(l, \"mx.replace\")\n"
    "  local found = false\n"
    "  for i = 1, #l do\n"
    "    if l[i] == old then l[i] = new; found = true end\n"
    "  end\n"
    "  return found\n"
    "end\n"
    "\n"
    "-- NAME=value lists (env, build_args, make_flags)\n"
    "function mx.getenv(l, name)\n"
    "  check_list(l, \"mx.getenv\")\n"
    "  local p = name .. \"=\"\n"
    "  for _, y in ipairs(l) do\n"
    "    if y:sub(1, #p) == p then return y:sub(#p + 1) end\n"
    "  end\n"
    "  return nil\n"
    "end\n"
    "\n"
    "function mx.setenv(l, name, value)\n"
    "  check_list(l, \"mx.setenv\")\n"
    "  if type(value) ~= \"string\" then\n"
    "    error(fmt(\"mx.setenv: value for '%s' must be a string, not %s\",\n"
    "      tostring(name), a_type(value)), 0)\n"
    "  end\n"
    "  local p = name .. \"=\"\n"
    "  for i = 1, #l do\n"
    "    if l[i]:sub(1, #p) == p then l[i] = p .. value; return l end\n"
    "  end\n"
    "  l[#l + 1] = p .. value\n"
    "  return l\n"
    "end\n"
    "\n"
    "function mx.skip(c, reason)\n"
    "  c.skip = reason\n"
    "end\n"
    "\n"
    "mx.sorted_pairs = sorted_pairs\n"
    "\n"
    "return mx, wrap, sorted_pairs, CACHE_P, CACHE_S, CTL, retire\n";

static void open_lib(lua_State *L, const char *name, lua_CFunction open)
{
	luaL_requiref(L, name, open, 1);
	lua_pop(L, 1);
}

static void drop_field(lua_State *L, int t, const char *lib, const char *k)
{
	lua_getfield(L, t, lib);
	lua_pushnil(L);
	lua_setfield(L, -2, k);
	lua_pop(L, 1);
}

/* The table of names hook code can see, at the top of the stack. */
static void push_sandbox(lua_State *L)
{
	static const char *const names[] = {
	    "assert", "error", "getmetatable", "ipairs", "next", "pcall",
	    "rawequal", "rawget", "rawlen", "rawset", "select", "setmetatable",
	    "tonumber", "tostring", "type", "xpcall", "_VERSION",
	    "string", "table", "math", "utf8"};
	open_lib(L, LUA_GNAME, luaopen_base);
	open_lib(L, LUA_STRLIBNAME, luaopen_string);
	open_lib(L, LUA_TABLIBNAME, luaopen_table);
	open_lib(L, LUA_MATHLIBNAME, luaopen_math);
	open_lib(L, LUA_UTF8LIBNAME, luaopen_utf8);
	lua_newtable(L);
	int sb = lua_gettop(L);
	lua_pushglobaltable(L);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		lua_getfield(L, -1, names[i]);
		lua_setfield(L, sb, names[i]);
	}
	lua_pop(L, 1);
	/* the library tables themselves: strings reach string via their
	 * metatable, so dump must go from the real table */
	drop_field(L, sb, "string", "dump");
	lua_getfield(L, sb, "string");
	guard_patterns(L, lua_gettop(L));
	lua_getfield(L, -1, "format");
	lua_pushcclosure(L, sb_format, 1);
	lua_setfield(L, -2, "format");
	lua_pop(L, 1);
	lua_pushcfunction(L, sb_tostring);
	lua_setfield(L, sb, "tostring");
	drop_field(L, sb, "math", "random");
	drop_field(L, sb, "math", "randomseed");
	lua_pushcfunction(L, sb_load);
	lua_setfield(L, sb, "load");
	lua_pushcfunction(L, sb_print);
	lua_setfield(L, sb, "print");
	lua_pushcfunction(L, sb_require);
	lua_setfield(L, sb, "require");
}

static void push_c_helpers(lua_State *L)
{
	static const luaL_Reg helpers[] = {
	    {"pos", c_pos},       {"vcmp", c_vcmp},       {"series", c_series},
	    {"vparse", c_vparse}, {"suggest", c_suggest}, {"vcmpc", c_vcmpc},
	    {"seriesc", c_seriesc}, {"get", c_get},     {"list", c_list},
	    {"snap", c_snap},     {NULL, NULL}};
	luaL_newlib(L, helpers);
	lua_createtable(L, F_LISTS + (int)NLISTS, 0);
	for (size_t i = 0; i < F_LISTS + NLISTS; i++) {
		lua_pushstring(L, i < F_LISTS ? field_names[i]
					      : list_fields[i - F_LISTS]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "fields");
}

/* Run the prelude: sandbox.mx, sandbox.pairs and the wrap function. */
static void run_prelude(hookrun *r, lua_State *L, int sb)
{
	if (luaL_loadbufferx(L, prelude, sizeof prelude - 1, "=matrixc", "t"))
		lua_error(L);
	lua_pushvalue(L, sb);
	lua_setupvalue(L, -2, 1);
	push_c_helpers(L);
	lua_call(L, 1, 7);
	r->retire_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	r->ctl_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	r->cache_s_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	r->cache_p_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_setfield(L, sb, "pairs");
	r->wrap_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_setfield(L, sb, "mx");
}

static void setup_state(hookrun *r, lua_State *L)
{
	push_sandbox(L);
	int sb = lua_gettop(L);
	run_prelude(r, L, sb);
	lua_createtable(L, 0, 2);
	lua_pushvalue(L, sb);
	lua_pushcclosure(L, env_index, 1);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	r->env_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newtable(L);
	r->loaded_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_pop(L, 1);
}

/* --- loading hook files ----------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Report keys of the returned table other than cell and matrix, sorted
 * so that the order does not depend on the hash. */
static bool check_keys(hookrun *r, lua_State *L, const char *file)
{
	static const char *const hooks[] = {"cell", "matrix"};
	const char *bad[16];
	size_t n = 0;
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		lua_pop(L, 1);
		const char *k = lua_type(L, -1) == LUA_TSTRING
				    ? lua_tostring(L, -1)
				    : arena_printf(r->a, "(%s key)",
						   luaL_typename(L, -1));
		if (strcmp(k, "cell") != 0 && strcmp(k, "matrix") != 0 && n < 16)
			bad[n++] = arena_strdup(r->a, k);
	}
	qsort(bad, n, sizeof *bad, cmp_str);
	for (size_t i = 0; i < n; i++) {
		const char *s = diag_suggest(bad[i], hooks, 2);
		diag_error(r->d, srcpos_file(file),
			   "unknown hook '%s' in the returned table%s%s%s",
			   clean_text(r->a, bad[i], strlen(bad[i])),
			   s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
	}
	return n == 0;
}

static int take_hook(hookrun *r, lua_State *L, const char *file,
		     const char *name, bool *ok, srcpos *at)
{
	int t = lua_getfield(L, -1, name);
	if (t == LUA_TFUNCTION) {
		*at = function_pos(r, L, -1);
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

/* The value a hook file returned, at the top of the stack (popped). */
static bool take_hooks(hookrun *r, lua_State *L, size_t fi)
{
	const char *file = r->files[fi].name;
	bool ok = true;
	if (!lua_istable(L, -1)) {
		diag_error(r->d, srcpos_file(file), "a hook file must return a "
			   "table of hook functions ({cell = function(c) ... "
			   "end}), not a %s", luaL_typename(L, -1));
		lua_pop(L, 1);
		return false;
	}
	ok = check_keys(r, L, file);
	hookfile *hf = &r->files[fi];
	int cref = take_hook(r, L, file, "cell", &ok, &hf->cell_at);
	int mref = take_hook(r, L, file, "matrix", &ok, &hf->matrix_at);
	r->files[fi].cell_ref = cref;
	r->files[fi].matrix_ref = mref;
	lua_pop(L, 1);
	return ok;
}

/* A load error (syntax, binary chunk, unreadable) for a listed file. */
static void report_load(hookrun *r, lua_State *L, const pstr *listed, int st)
{
	const char *msg = lua_tostring(L, -1);
	srcpos at = st == LUA_ERRFILE ? listed->at : srcpos_file(listed->s);
	const char *rest = msg ? msg : "cannot load";
	split_position(r, rest, &at, &rest);
	diag_error(r->d, at, "%s", clean_text(r->a, rest, strlen(rest)));
	lua_pop(L, 1);
}

static bool load_hooks(hookrun *r, lua_State *L)
{
	bool ok = true;
	for (size_t i = 0; i < r->m->hooks.n; i++) {
		const pstr *listed = &r->m->hooks.v[i];
		int st = load_file(r, L, listed->s);
		if (st != LUA_OK) {
			report_load(r, L, listed, st);
			ok = false;
			continue;
		}
		size_t fi = r->nfiles - 1;
		r->hook = NULL;
		r->cur = NULL;
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
		diag_error(r->d, r->call_at, "hook '%s' returned a %s: it should "
			   "change its argument in place and return nothing%s",
			   r->hook, luaL_typename(L, -1), call_context(r));
	lua_pop(L, 1);
	return ok;
}

/* Push a new proxy of cell i and its state: for the cell hooks (cached),
 * or live for the whole matrix hook. */
static void push_new(hookrun *r, lua_State *L, size_t i, bool live)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->wrap_ref);
	lua_pushlightuserdata(L, r->cs->v[i]);
	lua_pushinteger(L, (lua_Integer)i + 1);
	lua_pushboolean(L, live);
	lua_call(L, 3, 2);
}

/* Push the proxy of cell i and its state: the cached ones, or new. */
static void push_cell(hookrun *r, lua_State *L, size_t i)
{
	lua_Integer k = (lua_Integer)i + 1;
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->cache_p_ref);
	if (lua_rawgeti(L, -1, k) != LUA_TNIL) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, r->cache_s_ref);
		lua_rawgeti(L, -1, k);
		lua_remove(L, -2);
		lua_remove(L, -3);
		return;
	}
	lua_pop(L, 2);
	push_new(r, L, i, false);
}

/* CTL[k] = the value at idx: which proxies are live (see touch) */
static void set_ctl(hookrun *r, lua_State *L, const char *k, int idx)
{
	idx = lua_absindex(L, idx);
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->ctl_ref);
	lua_pushvalue(L, idx);
	lua_setfield(L, -2, k);
	lua_pop(L, 1);
}

/* Is the table at idx (a proxy: its fields live in its state) not empty,
 * since a hook rawset into it? */
static bool polluted(lua_State *L, int idx)
{
	lua_pushnil(L);
	if (!lua_next(L, idx))
		return false;
	lua_pop(L, 2);
	return true;
}

/* After a cell hook: a proxy the call stored through (or rawset into) is
 * retired, so the next call gets a fresh one and this one keeps the
 * values it had. Runs before read_back changes the cell. */
static void settle(hookrun *r, lua_State *L, int proxy, int state)
{
	bool retire = is_dirty(L, state) || polluted(L, proxy);
	if (!retire && lua_getfield(L, state, "lists") == LUA_TTABLE) {
		int lists = lua_gettop(L);
		lua_pushnil(L);
		while (!retire && lua_next(L, lists)) {
			retire = polluted(L, lua_gettop(L));
			lua_pop(L, retire ? 2 : 1);
		}
		lua_pop(L, 1);
	} else if (!retire) {
		lua_pop(L, 1);
	}
	if (!retire)
		return;
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->retire_ref);
	lua_pushvalue(L, state);
	lua_call(L, 1, 0);
}

static bool cell_hook(hookrun *r, lua_State *L, const hookfile *hf, size_t i)
{
	int top = lua_gettop(L);
	cell *c = r->cs->v[i];
	r->hook = "cell";
	r->cur = c;
	push_cell(r, L, i);
	set_ctl(r, L, "cur", top + 2);
	lua_rawgeti(L, LUA_REGISTRYINDEX, hf->cell_ref);
	lua_pushvalue(L, top + 1);
	bool ok = call_hook(r, 1, 1, &hf->cell_at) &&
		  check_result(r, L, top + 1);
	if (ok) {
		lua_pushboolean(L, 0);
		set_ctl(r, L, "cur", -1);
		lua_pop(L, 1);
		settle(r, L, top + 1, top + 2);
		ok = read_back(r, c, top + 2);
	}
	lua_settop(L, top);
	return ok;
}

/* Every file's cell hook over every cell not yet skipped, file by file.
 * A cell keeps its proxy from file to file while no hook stores through
 * it. */
static bool run_cell_hooks(hookrun *r, lua_State *L)
{
	for (size_t f = 0; f < r->nfiles; f++) {
		int ref = r->files[f].cell_ref;
		for (size_t i = 0; ref != LUA_NOREF && i < r->cs->n; i++)
			if (!r->cs->v[i]->skip && !cell_hook(r, L, &r->files[f], i))
				return false;
	}
	return true;
}

/* Every file's matrix hook, in order, over one list of every cell
 * (skipped ones included); the cells are read back once at the end. */
static bool run_matrix_hooks(hookrun *r, lua_State *L)
{
	int top = lua_gettop(L);
	bool ok = true;
	size_t first = r->nfiles;
	for (size_t f = r->nfiles; f-- > 0;)
		if (r->files[f].matrix_ref != LUA_NOREF)
			first = f;
	if (first == r->nfiles)
		return true;
	/* from here on, failures (memory too) are the matrix hook's */
	r->hook = "matrix";
	r->cur = NULL;
	r->call_at = r->files[first].matrix_at;
	lua_createtable(L, (int)r->cs->n, 0);
	lua_createtable(L, (int)r->cs->n, 0);
	for (size_t i = 0; i < r->cs->n; i++) {
		push_new(r, L, i, true);
		lua_rawseti(L, top + 2, (lua_Integer)i + 1);
		lua_rawseti(L, top + 1, (lua_Integer)i + 1);
	}
	for (size_t f = first; ok && f < r->nfiles; f++) {
		if (r->files[f].matrix_ref == LUA_NOREF)
			continue;
		lua_rawgeti(L, LUA_REGISTRYINDEX, r->files[f].matrix_ref);
		lua_pushvalue(L, top + 1);
		ok = call_hook(r, 1, 1, &r->files[f].matrix_at) &&
		     check_result(r, L, top + 1);
	}
	for (size_t i = 0; ok && i < r->cs->n; i++) {
		r->cur = r->cs->v[i];
		lua_rawgeti(L, top + 2, (lua_Integer)i + 1);
		ok = read_back(r, r->cs->v[i], lua_gettop(L));
		lua_pop(L, 1);
	}
	lua_settop(L, top);
	return ok;
}

/* run_all(hookrun) -> boolean: the whole run, inside one pcall */
static int run_all(lua_State *L)
{
	hookrun *r = lua_touserdata(L, 1);
	setup_state(r, L);
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
	/* a proxy per cell for the matrix hook, and what hooks keep */
	r.mem_cap = HOOK_MEMORY + cs->n * HOOK_CELL_MEMORY;
	if (r.mem_cap > HOOK_MEMORY_MAX)
		r.mem_cap = HOOK_MEMORY_MAX;
	unsigned errors = diag_errors(d);
	lua_State *L = lua_newstate(hook_alloc, &r);
	if (!L) {
		diag_error(d, m->hooks.v[0].at, "cannot create a Lua state");
		return false;
	}
	r.L = L;
	lua_pushcfunction(L, run_all);
	lua_pushlightuserdata(L, &r);
	int status = lua_pcall(L, 1, 1, 0);
	bool ok = status == LUA_OK && lua_toboolean(L, -1);
	if (status != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		r.err_msg = clean_text(a, msg ? msg : "?", msg ? strlen(msg) : 1);
		report_failure(&r, status);
	}
	lua_close(L);
	return ok && diag_errors(d) == errors;
}
