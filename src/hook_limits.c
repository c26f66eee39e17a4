/* hook_limits.c - what bounds a hook: memory, instructions, CPU time (see
 * hook_limits.h). */
#include "hook_run.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lualib.h>

#define HOOK_STEP 1000 /* instructions per count hook */

static void on_hook(lua_State *L, lua_Debug *ar);

static bool over_budget(const hook_limits *l)
{
	return (double)l->steps * HOOK_STEP + l->work +
		   (double)(l->alloc_bytes / HOOK_ALLOC_GRAIN) >
	       (double)HOOK_BUDGET;
}

/* Past the budget, every instruction fails (the count hook on each). */
static void exceed(hookrun *r)
{
	if (!r->lim.budget_exceeded) {
		r->lim.budget_exceeded = true;
		lua_sethook(r->L, on_hook, LUA_MASKCOUNT, 1);
	}
}

/* Stop the call in progress: the budget is spent. The first time, the
 * hook line where it ran out is kept: the error a hook's pcall caught
 * is raised again at the next instruction, on a later line. */
static int budget_error(hookrun *r, lua_State *L)
{
	exceed(r);
	if (!r->lim.budget_at.file)
		hook_frame(r, L, 0, &r->lim.budget_at);
	lua_pushliteral(L, "instruction budget exceeded");
	return lua_error(L);
}

/* Line events while the line hook is on (near the cap): the last hook
 * line run, for a memory error, which Lua raises with no message
 * handler. Count events: the budget, and the CPU-time backstop for what
 * no count sees. The backstop is not deterministic, so it is far above
 * what the budget allows: only a hook that would otherwise hang meets it.
 * The clock starts at the first tick, not with every call: most calls end
 * before one. */
static void on_hook(lua_State *L, lua_Debug *ar)
{
	hookrun *r = run_of(L);
	hook_limits *l = &r->lim;
	if (ar->event == LUA_HOOKLINE) {
		if (lua_getinfo(L, "S", ar) && ar->currentline > 0) {
			int i = hook_file_index(r, ar->source);
			if (i >= 0)
				l->line_at = (srcpos){r->files.v[i].name,
						      (unsigned)ar->currentline, 0};
		}
		return;
	}
	if (!l->budget_exceeded) {
		struct timespec ts;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
		double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		if (l->steps++ == 0)
			l->call_cpu = now;
		else if (now - l->call_cpu > l->cpu_limit)
			l->time_exceeded = true;
		if (!l->time_exceeded && !over_budget(l))
			return;
	}
	budget_error(r, L);
}

static void set_hook(hookrun *r)
{
	hook_limits *l = &r->lim;
	if (l->budget_exceeded)
		return;
	lua_sethook(r->L, on_hook, LUA_MASKCOUNT | (l->lines ? LUA_MASKLINE : 0),
		    HOOK_STEP);
}

void limits_init(hookrun *r, size_t cap, double cpu_limit)
{
	r->lim = (hook_limits){.cap = cap, .cpu_limit = cpu_limit};
}

/* A request for more memory the cap refused. Lua collects all garbage
 * and asks again: a second refusal of the same request is for good. The
 * collection is charged by the memory it walks. */
static void refuse(hookrun *r, const void *ptr, size_t osize, size_t nsize,
		   bool retry)
{
	hook_limits *l = &r->lim;
	if (retry) {
		if (!l->mem_exceeded && !l->budget_exceeded) {
			l->mem_exceeded = true;
			l->mem_at = l->line_at;
		}
		return;
	}
	l->pending = true;
	l->pend_ptr = ptr;
	l->pend_osize = osize;
	l->pend_nsize = nsize;
	if (l->in_call && !l->budget_exceeded) {
		l->work += (double)l->used / HOOK_ALLOC_GRAIN;
		if (over_budget(l)) { /* spent on collections the cap forced */
			l->mem_exceeded = true;
			l->mem_at = l->line_at;
			exceed(r);
		}
	}
}

/* Bytes counted for a block of n: in 16-byte units, malloc's */
static size_t block(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

void *limits_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	hookrun *r = ud;
	hook_limits *l = &r->lim;
	size_t old = ptr ? block(osize) : 0, want = block(nsize);
	if (nsize == 0) {
		free(ptr);
		l->used -= old;
		return NULL;
	}
	if (want > old) {
		bool retry = l->pending && ptr == l->pend_ptr &&
			     osize == l->pend_osize && nsize == l->pend_nsize;
		l->pending = false;
		if (want - old > l->cap - l->used) {
			refuse(r, ptr, osize, nsize, retry);
			return NULL;
		}
		if (l->in_call && !l->budget_exceeded) {
			l->alloc_bytes += want - old;
			if (over_budget(l))
				exceed(r); /* the next instruction fails */
		}
	}
	void *p = realloc(ptr, nsize);
	if (!p) /* Lua needs a shrink to succeed: the block is still there */
		return want <= old ? ptr : NULL;
	l->used = l->used - old + want;
	if (l->in_call && !l->lines && l->used > l->cap / 2) {
		l->lines = true;
		set_hook(r);
	}
	return p;
}

void limits_begin(hookrun *r)
{
	hook_limits *l = &r->lim;
	l->budget_exceeded = l->time_exceeded = l->mem_exceeded = false;
	l->pending = false;
	l->steps = 0;
	l->work = 0;
	l->alloc_bytes = 0;
	l->pattern_work = 0;
	l->line_at = l->budget_at = l->mem_at = (srcpos){0};
	l->lines = l->used > l->cap / 2;
	l->in_call = true;
	set_hook(r);
}

bool limits_end(hookrun *r)
{
	lua_sethook(r->L, NULL, 0, 0);
	r->lim.in_call = false;
	return !r->lim.mem_exceeded && !r->lim.budget_exceeded;
}

bool limits_pause(hookrun *r)
{
	bool counted = r->lim.in_call;
	r->lim.in_call = false;
	return counted;
}

void limits_resume(hookrun *r, bool counted)
{
	r->lim.in_call = counted;
}

void hook_charge(lua_State *L, double cost)
{
	hookrun *r = run_of(L);
	r->lim.work += cost;
	if (r->lim.budget_exceeded || over_budget(&r->lim))
		budget_error(r, L);
}

void hook_charge_mem(hookrun *r, lua_State *L, size_t bytes)
{
	hook_limits *l = &r->lim;
	if (bytes <= l->cap - l->used) {
		l->used += bytes;
		return;
	}
	if (!l->mem_exceeded && !l->budget_exceeded) {
		hook_frame(r, L, 0, &l->mem_at);
		l->mem_exceeded = true;
	}
	hook_fail(L, "not enough memory");
}

/* --- library functions ---------------------------------------------------- */

int hook_call_original(lua_State *L)
{
	return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

void hook_push_wrapper(lua_State *L, lua_CFunction w, int nup)
{
	int orig = lua_gettop(L) - nup + 1;
	if (!lua_tocfunction(L, orig) || lua_getupvalue(L, orig, 1))
		abort(); /* every function of Lua's libraries is such */
	lua_pushcclosure(L, w, nup);
}

/* Lua's pattern matcher backtracks inside one C call, where the count hook
 * never runs: ("a"):rep(3000):find(".-.-.-.-b") would take years. Each
 * quantifier can multiply the work by the subject length, and so does an
 * unanchored start, and each step walks the pattern (a set [...] by its
 * length), so a call whose bound plen * len^(quantifiers + 1) passes
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
			/* %bxy scans ahead like a quantifier, and a back
			 * reference %1-%9 compares a capture's length */
			if (i + 1 < len && (p[i + 1] == 'b' ||
					    (p[i + 1] >= '1' && p[i + 1] <= '9')))
				q++;
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
 * function is upvalue 1, which of the four upvalue 2 */
static int guarded_pattern(lua_State *L)
{
	size_t slen, plen;
	const char *s = lua_tolstring(L, 1, &slen);
	const char *p = lua_tolstring(L, 2, &plen);
	enum { P_FIND, P_MATCH, P_GMATCH, P_GSUB };
	int kind = (int)lua_tointeger(L, lua_upvalueindex(2));
	/* only find has a plain flag; gmatch never anchors at '^' */
	bool plain = kind == P_FIND && lua_type(L, 4) == LUA_TBOOLEAN &&
		     lua_toboolean(L, 4);
	bool anchored = kind != P_GMATCH && plen && p[0] == '^';
	if (s && plain)
		hook_charge(L, (double)slen + 1);
	if (s && p && !plain) {
		double cost = plen > 1 ? (double)plen : 1;
		double n = slen > 1 ? (double)slen : 2;
		unsigned q = quantifiers(p, plen) + (anchored ? 0 : 1);
		for (unsigned i = 0; i < q && cost <= PATTERN_CALL; i++)
			cost *= n;
		hookrun *r = run_of(L);
		if (cost > PATTERN_CALL) {
			char shown[HOOK_MSG_MAX / 2];
			size_t m = plen < sizeof shown ? plen : sizeof shown - 1;
			memcpy(shown, p, m);
			shown[m] = '\0';
			return hook_fail(L, "pattern '%s' on a %d-byte string could "
				  "exceed the instruction budget (use fewer "
				  "quantifiers, or a shorter string or "
				  "pattern)",
				  shown, (int)slen);
		}
		r->lim.pattern_work += cost;
		if (r->lim.pattern_work > PATTERN_TOTAL)
			return hook_fail(L, "pattern matching could exceed the "
					 "instruction budget (too many calls "
					 "on long strings)");
	}
	return hook_call_original(L);
}

/* Library functions whose work grows with their arguments run inside one
 * C call, where the count hook never runs: table.move({}, 1, 1e12, 1) or
 * string.rep("", 1e15) would never return. Each is wrapped to charge its
 * work to the budget before it starts. */
enum work_kind { W_REP, W_MOVE, W_SORT, W_CONCAT, W_UNPACK, W_LENGTH, W_SCAN };

static double str_len(lua_State *L, int idx)
{
	size_t n = 0;
	if (lua_type(L, idx) == LUA_TSTRING)
		lua_tolstring(L, idx, &n);
	return (double)n;
}

static double int_arg(lua_State *L, int idx, double dflt)
{
	int isnum;
	lua_Integer n = lua_tointegerx(L, idx, &isnum);
	return isnum ? (double)n : dflt;
}

/* #t as the library sees it (__len runs under the budget: we are in a
 * hook call) */
static double length_of(lua_State *L, int idx)
{
	int t = lua_type(L, idx);
	if (t != LUA_TTABLE && t != LUA_TUSERDATA)
		return 0;
	if (t == LUA_TTABLE && !lua_getmetatable(L, idx))
		return (double)lua_rawlen(L, idx);
	if (t == LUA_TTABLE)
		lua_pop(L, 1);
	return (double)luaL_len(L, idx);
}

/* entries i..j of the table at 1, from the arguments at ii and ji */
static double range(lua_State *L, int ii, int ji)
{
	double i = int_arg(L, ii, 1);
	double j = lua_isnoneornil(L, ji) ? length_of(L, 1) : int_arg(L, ji, 0);
	return j >= i ? j - i + 1 : 1;
}

static double work_of(lua_State *L, enum work_kind kind)
{
	double n;
	switch (kind) {
	case W_REP: /* string.rep(s, n, sep): n copies, bytes as allocation */
		n = int_arg(L, 2, 0);
		return n > 0 ? n / 4 + n * (str_len(L, 1) + str_len(L, 3)) /
					   HOOK_ALLOC_GRAIN + 1
			     : 1;
	case W_MOVE: /* table.move(a, f, e, t) */
		n = int_arg(L, 3, 0) - int_arg(L, 2, 1) + 1;
		return n > 1 ? n : 1;
	case W_SORT: { /* n log n comparisons */
		n = length_of(L, 1);
		double log = 1;
		for (double m = n; m > 1; m /= 2)
			log++;
		return n * log + 1;
	}
	case W_CONCAT: return range(L, 3, 4);
	case W_UNPACK: return range(L, 2, 3);
	case W_LENGTH: return length_of(L, 1) + 1; /* insert, remove */
	case W_SCAN: return str_len(L, 1) + 1;
	}
	return 1;
}

/* The original function is upvalue 1, its work_kind upvalue 2. */
static int guarded_call(lua_State *L)
{
	hook_charge(L, work_of(L, (enum work_kind)lua_tointeger(
					 L, lua_upvalueindex(2))));
	return hook_call_original(L);
}

void limits_guard_library(lua_State *L, int t, const char *lib)
{
	static const struct {
		const char *lib, *name;
		enum work_kind kind;
	} guarded[] = {
	    /* sub, upper, lower and reverse are not here: they allocate
	     * their result, which is charged (and sub is a hooks' favourite) */
	    {"string", "rep", W_REP},       {"string", "byte", W_SCAN},
	    {"table", "move", W_MOVE},      {"table", "sort", W_SORT},
	    {"table", "concat", W_CONCAT},  {"table", "unpack", W_UNPACK},
	    {"table", "insert", W_LENGTH},  {"table", "remove", W_LENGTH},
	    {"utf8", "len", W_SCAN},        {"utf8", "codepoint", W_SCAN},
	    {"utf8", "offset", W_SCAN},
	    /* tonumber scans a long string of digits */
	    {"_G", "tonumber", W_SCAN},
	};
	for (size_t i = 0; i < sizeof guarded / sizeof *guarded; i++) {
		if (strcmp(guarded[i].lib, lib) != 0)
			continue;
		lua_getfield(L, t, guarded[i].name);
		lua_pushinteger(L, guarded[i].kind);
		hook_push_wrapper(L, guarded_call, 2);
		lua_setfield(L, t, guarded[i].name);
	}
	if (strcmp(lib, "string") != 0)
		return;
	static const char *const patterns[] = {"find", "match", "gmatch", "gsub"};
	for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++) {
		lua_getfield(L, t, patterns[i]);
		lua_pushinteger(L, (lua_Integer)i); /* guarded_pattern's kind */
		hook_push_wrapper(L, guarded_pattern, 2);
		lua_setfield(L, t, patterns[i]);
	}
}
