/* hooks.c - Lua hooks: per-version quirks as sandboxed Lua 5.4 scripts.
 *
 * One Lua state per run, created with an allocator that caps its memory.
 * All work runs inside one lua_pcall of run_all, so a Lua error never
 * longjmps over C cleanup; each hook call is a nested pcall with a message
 * handler that records the error and the hook's own frames, and with a
 * count hook that stops a runaway hook after an instruction budget.
 *
 * Hooks see a cell (and each of its lists) as a small userdata whose
 * metamethods read and write the C cell itself: a store is type-checked
 * when it happens and takes the hook line that made it as its provenance,
 * so nothing is copied into Lua or read back, which matters with 10,000
 * cells. The mx library is C too. The memory cap grows with the cell
 * count. The sandbox has
 * base (less files, bytecode, GC control and finalizers), string (less
 * dump), table, math (less random) and utf8; `pairs` iterates in sorted key
 * order so that hook output never depends on hash order.
 */
#include "hooks.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "buf.h"
#include "limits_input.h"
#include "frozen.h"
#include "heap.h"
#include "outdir.h"
#include "watchdog.h"

#define HOOK_MEMORY ((size_t)64 << 20)    /* bytes for the whole state */
#define HOOK_CELL_MEMORY ((size_t)16 << 10) /* and per cell, up to: */
#define HOOK_MEMORY_MAX ((size_t)192 << 20)
#ifndef HOOK_BUDGET /* the fuzz build sets a smaller one, to run fast */
#define HOOK_BUDGET 20000000ul            /* VM instructions per call */
#endif
#define HOOK_STEP 1000                    /* instructions per count hook */
#define HOOK_ALLOC_GRAIN 64               /* bytes allocated per instruction */
#define HOOK_CPU_SECONDS 30.0             /* backstop per call, see count_hook */
/* the watchdog's period (watchdog.h), for a step no limit sees: more than
 * the backstop and the longest stretch between two of its checks */
#define HOOK_WATCHDOG(r) ((r)->cpu_limit + 2)
#define HOOK_FRAMES 8                     /* traceback notes kept */
#define HOOK_SCAN 64                      /* stack levels searched for them */
#define HOOK_LIST_MAX 1000                /* entries in one list field */
#define HOOK_MSG_MAX 400                  /* bytes of a hook's message */
/* Lua's collector starts on an empty heap, so setting up the sandbox (a
 * few hundred objects, none of them garbage) would run a cycle each time
 * the heap doubled: while it is set up, the next cycle waits for ten times
 * the heap. Hook code runs with Lua's default. */
#define SETUP_GC_PAUSE 1000
#define HOOK_GC_PAUSE 200

typedef struct {
	const char *name; /* "lua/quirks.lua", as listed or required */
	bool trusted;     /* a listed file loaded from its frozen chunk */
	int cell_ref, matrix_ref;
	srcpos cell_at, matrix_at; /* where the hooks are defined */
} hookfile;

#define VCACHE_SLOTS 64
#define KEY_SLOTS 64 /* field names: 2.5 times their number */
#define VCACHE_TEXT 24

typedef struct {
	char text[VCACHE_TEXT]; /* len bytes; len 0 when unused */
	size_t len;
	pyversion v;
} vcache_entry;

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
	heap mem;          /* the state's memory, capped (see heap.h) */
	bool mem_exceeded; /* the cap refused memory, for good */
	srcpos mem_at;
	/* a refusal Lua may still retry after a full collection (see
	 * hook_alloc): the request and where it was made */
	bool mem_pending;
	const void *pend_ptr;
	size_t pend_osize, pend_nsize;
	srcpos pend_at;
	/* the budget of the call in progress (see over_budget) */
	bool in_call;
	unsigned long steps;  /* count hook ticks */
	double work;          /* library calls' work, in instructions */
	size_t alloc_bytes;   /* bytes allocated */
	double pattern_work;  /* worst-case steps of pattern calls */
	double call_cpu;      /* CPU seconds at the call's first count hook */
	double cpu_limit;     /* HOOK_CPU_SECONDS, or MATRIXC_HOOK_CPU_SECONDS */
	bool budget_exceeded, time_exceeded;
	hookfile *files;
	size_t nfiles, capfiles;
	/* see push_env: the trusted sandbox; for user code's environments,
	 * the user sandbox's names (keys and values in turn) and a metatable
	 * over it, 0 until user code is first loaded (luaL_ref is never 0) */
	int sandbox_ref, user_names_ref, user_mt_ref;
	int loaded_ref, chunks_ref, cell_mt_ref, list_mt_ref;
	/* stores into cells (see begin_store), per cell: its values before
	 * the first store of the call that made it, and lists copied since */
	unsigned call_id; /* the call in progress */
	cell *before;
	unsigned *stored, *owned;
	vcache_entry vcache[VCACHE_SLOTS]; /* see parse_cached */
	const char *keys[KEY_SLOTS];       /* see field_id */
	unsigned char key_field[KEY_SLOTS];
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

/* The innermost frame running hook code (not C, not load()ed text), from
 * stack level `level` out (1 skips the C function asking). Calls only
 * lua_getstack and lua_getinfo ("S", "l"), which do not allocate, so the
 * allocator may use it too. */
static int hook_frame(hookrun *r, lua_State *L, int level, srcpos *at)
{
	lua_Debug ar;
	/* lua_getstack walks from the top to its level, so the search stops
	 * at HOOK_SCAN levels: a store deep in a recursion of load()ed code,
	 * which has no hook frame, would cost the square of the depth */
	for (; level < HOOK_SCAN && lua_getstack(L, level, &ar); level++) {
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

/* --- limits --------------------------------------------------------------- */

/* The instruction budget of a hook call counts VM instructions (the count
 * hook), the work of library calls whose cost grows with their arguments
 * (charge), and memory allocated (HOOK_ALLOC_GRAIN bytes as one
 * instruction), so that no call can run long inside C while the count
 * hook waits. All three are deterministic. */
static bool over_budget(const hookrun *r)
{
	return (double)r->steps * HOOK_STEP + r->work +
		   (double)(r->alloc_bytes / HOOK_ALLOC_GRAIN) >
	       (double)HOOK_BUDGET;
}

static void count_hook(lua_State *L, lua_Debug *ar);
static void exceed(hookrun *r, lua_State *L);

/* Stop the call in progress: the budget is spent. */
static int budget_error(hookrun *r, lua_State *L)
{
	exceed(r, L);
	lua_pushliteral(L, "instruction budget exceeded");
	return lua_error(L);
}

/* Past the budget, every instruction fails, so a hook that catches the
 * error with pcall cannot keep running. */
static void exceed(hookrun *r, lua_State *L)
{
	if (!r->budget_exceeded) {
		r->budget_exceeded = true;
		lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
	}
}

/* lua_Alloc from the run's heap: growth is charged to the budget. When
 * the cap refuses a request, Lua collects all garbage and asks again; only
 * a second refusal of the same request is a failure (the first one's hook
 * line is kept for the message, since Lua reports it only as "not enough
 * memory"). The full collection is charged by the memory it walks. */
/* Whether the running Lua library lets the allocator walk the stack:
 * from 5.4.6 on, the stack's pointers are offsets while the stack itself
 * is reallocated, and a refused request may be that one. Read from the
 * library (lua_ident), not the headers: the Makefile links Lua statically,
 * but a build that links liblua5.4.so.0 may run with a later release
 * under the same soname. */
static bool lua_walk_safe(void)
{
	unsigned major, minor, release;
	const char *v = strstr(lua_ident, "Lua ");
	return v && sscanf(v + 4, "%u.%u.%u", &major, &minor, &release) == 3 &&
	       major * 10000 + minor * 100 + release < 50406;
}

static void *hook_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	hookrun *r = ud;
	size_t old = ptr ? osize : 0;
	if (nsize > old && r->in_call && !r->budget_exceeded) {
		r->alloc_bytes += nsize - old;
		if (over_budget(r)) {
			exceed(r, r->L); /* this allocation fails, later ones not:
					  * the error itself needs memory */
			return NULL;
		}
	}
	void *p = heap_realloc(&r->mem, ptr, osize, nsize);
	if (!r->mem.refused && !r->mem_pending)
		return p;
	bool retry = r->mem_pending && ptr == r->pend_ptr &&
		     osize == r->pend_osize && nsize == r->pend_nsize;
	/* the retry is the next request for more memory (the collection in
	 * between only frees): any other one means Lua did not retry (it
	 * cannot while it reallocates the stack, from 5.4.6 on) */
	if (retry || nsize > old)
		r->mem_pending = false;
	if (!r->mem.refused)
		return p;
	if (retry) { /* refused again after the collection: a failure */
		if (!r->mem_exceeded && !r->budget_exceeded) {
			r->mem_at = r->pend_at;
			r->mem_exceeded = true;
		}
		return NULL;
	}
	r->mem_pending = true;
	r->pend_ptr = ptr;
	r->pend_osize = osize;
	r->pend_nsize = nsize;
	r->pend_at = (srcpos){0};
	if (r->L && lua_walk_safe()) /* only here: refusals are rare */
		hook_frame(r, r->L, 0, &r->pend_at);
	if (r->in_call && !r->budget_exceeded) {
		r->work += (double)r->mem.used / HOOK_ALLOC_GRAIN;
		if (over_budget(r)) { /* spent on collections the cap forced */
			r->mem_exceeded = true;
			r->mem_at = r->pend_at;
			exceed(r, r->L);
		}
	}
	return NULL;
}

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Count hook, every HOOK_STEP instructions: the budget, and a backstop in
 * CPU time for what no count sees (a comparison of two long strings is one
 * instruction). The backstop is not deterministic, so it is far above
 * what the budget allows: only a hook that would otherwise hang meets it. */
static void count_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	hookrun *r = run_of(L);
	/* the clock starts at the first tick, not with every call: most calls
	 * end before one, and the clock is a system call (none once the
	 * budget is spent, when this runs on every instruction) */
	if (!r->budget_exceeded) {
		double now = cpu_seconds();
		if (r->steps++ == 0)
			r->call_cpu = now;
		else if (now - r->call_cpu > r->cpu_limit)
			r->time_exceeded = true;
		if (!r->time_exceeded && !over_budget(r))
			return;
	}
	budget_error(r, L);
}

/* Charge cost instructions of library work to the budget, before the work
 * is done. */
static void charge(lua_State *L, double cost)
{
	hookrun *r = run_of(L);
	r->work += cost;
	if (r->budget_exceeded || over_budget(r))
		budget_error(r, L);
}

/* The tail of a wrapper of a library function: the original (upvalue 1,
 * a C function without upvalues: see push_wrapper) runs on the wrapper's
 * own frame, as if the hook had called it, which costs no second call
 * and lets its argument errors name the function as the hook did. */
static int call_original(lua_State *L)
{
	return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

/* Push wrapper w of the library function below the top nup - 1 values
 * (popped), which become its upvalues, the function first. */
static void push_wrapper(lua_State *L, lua_CFunction w, int nup)
{
	int orig = lua_gettop(L) - nup + 1;
	if (!lua_tocfunction(L, orig) || lua_getupvalue(L, orig, 1))
		abort(); /* every function of Lua's libraries is such */
	lua_pushcclosure(L, w, nup);
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

/* A copy of hook text for a message, at most HOOK_MSG_MAX bytes (diag
 * escapes its control bytes, as it does in every message). */
static const char *clip_text(arena *a, const char *s, size_t len)
{
	return arena_strndup(a, s, len < HOOK_MSG_MAX ? len : HOOK_MSG_MAX);
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
		if (i < 0 || ar.currentline <= 0)
			continue;
		if (r->nframes == HOOK_FRAMES)
			break;
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
	r->err_msg = clip_text(r->a, rest, strlen(rest));
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
	if (status == LUA_ERRMEM && r->mem_pending && !r->mem_exceeded &&
	    !r->budget_exceeded) {
		r->mem_exceeded = true; /* a refusal Lua could not retry */
		r->mem_at = r->pend_at;
	}
	const char *ctx = call_context(r);
	srcpos where = r->err_msg ? r->err_at : r->call_at;
	if (r->time_exceeded) {
		diag_error(r->d, where, "hook ran for more than %g s of CPU "
			   "time%s", r->cpu_limit, ctx);
		return;
	}
	if (r->mem_exceeded) { /* set only before the budget ran out */
		srcpos at = r->mem_at.file ? r->mem_at : r->call_at;
		diag_error(r->d, at, "memory limit exceeded (%zu MiB)%s",
			   r->mem.cap >> 20, ctx);
		return;
	}
	if (r->budget_exceeded) {
		diag_error(r->d, where, "instruction budget exceeded (%lu "
			   "instructions)%s", HOOK_BUDGET, ctx);
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
 * failure reports, pops everything, returns false.
 *
 * metered: count its instructions (the count hook). Lua then traps on
 * every instruction, about a tenth of what the shipped hooks cost. A
 * trusted hook (a shipped hook file, unedited: matrixc's own code) runs
 * unmetered, since no user code can run inside it: it reads its own
 * environment, whose library tables no user code can reach (push_env),
 * strings' methods come from a metatable hooks cannot get, a cell is C
 * data, and it has no require or load (trusted_refuses). Its library
 * calls are still charged, and the memory cap still holds. */
static bool call_hook(hookrun *r, int nargs, int nres, const srcpos *at,
		      bool metered)
{
	lua_State *L = r->L;
	int fn = lua_gettop(L) - nargs;
	r->call_at = at ? *at : function_pos(r, L, fn);
	lua_pushcfunction(L, msg_handler);
	lua_insert(L, fn);
	r->budget_exceeded = r->time_exceeded = r->mem_exceeded = false;
	r->mem_pending = false;
	r->mem_at = (srcpos){0};
	r->steps = 0;
	r->work = 0;
	r->alloc_bytes = 0;
	r->pattern_work = 0;
	r->err_msg = NULL;
	r->nframes = 0;
	r->in_call = true;
	if (metered)
		lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
	watchdog_step(r->call_at.file, r->call_at.line,
		      !r->hook ? "a hook file's main chunk"
		      : strcmp(r->hook, "cell") == 0 ? "hook cell" : "hook matrix");
	int status = lua_pcall(L, nargs, nres, fn);
	watchdog_step(NULL, 0, "the Lua state between hook calls");
	lua_sethook(L, NULL, 0, 0);
	r->in_call = false;
	lua_remove(L, fn);
	if (status == LUA_OK && !r->mem_exceeded && !r->budget_exceeded)
		return true;
	report_failure(r, status);
	lua_pop(L, status == LUA_OK ? nres : 1);
	return false;
}

/* --- pattern matching ------------------------------------------------------ */

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
 * function is upvalue 1 */
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
		charge(L, (double)slen + 1);
	if (s && p && !plain) { /* find(s, p, init, true) is plain */
		/* matching at one place walks the pattern once (a set
		 * [...] by its length), and each quantifier or unanchored
		 * start repeats that for every byte of the subject */
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
		r->pattern_work += cost;
		if (r->pattern_work > PATTERN_TOTAL)
			return hook_fail(L, "pattern matching could exceed the "
					 "instruction budget (too many calls "
					 "on long strings)");
	}
	return call_original(L);
}

static void guard_patterns(lua_State *L, int string_table)
{
	static const char *const names[] = {"find", "match", "gmatch", "gsub"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		lua_getfield(L, string_table, names[i]);
		lua_pushinteger(L, (lua_Integer)i); /* guarded_pattern's kind */
		push_wrapper(L, guarded_pattern, 2);
		lua_setfield(L, string_table, names[i]);
	}
}

/* --- library work ----------------------------------------------------------- */

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
	charge(L, work_of(L, (enum work_kind)lua_tointeger(L, lua_upvalueindex(2))));
	return call_original(L);
}

static void guard(lua_State *L, int lib, const char *name, enum work_kind kind)
{
	lua_getfield(L, lib, name);
	lua_pushinteger(L, kind);
	push_wrapper(L, guarded_call, 2);
	lua_setfield(L, lib, name);
}

/* Every function with unbounded work per call of library lib (at index
 * t: "string", "table", "utf8"; or the sandbox itself for base). */
static void guard_library(lua_State *L, int t, const char *lib)
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
	for (size_t i = 0; i < sizeof guarded / sizeof *guarded; i++)
		if (strcmp(guarded[i].lib, lib) == 0)
			guard(L, t, guarded[i].name, guarded[i].kind);
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
	return call_original(L);
}

/* --- the sandbox ----------------------------------------------------------- */

static const char *const forbidden[] = {
    "io", "os", "package", "debug", "dofile", "loadfile", "collectgarbage",
    "coroutine", "loadstring", "module", "setfenv", "getfenv"};

/* Library name into the sandbox at sb, and pushed: opened, its functions
 * with unbounded work guarded, string without dump (strings reach the
 * library table through their metatable, so dump goes from the table
 * itself), math without random. It is put in the
 * sandbox only when complete, so that a memory error half way leaves
 * nothing behind and the next use starts again. */
static void open_library(lua_State *L, int sb, const char *name,
			 lua_CFunction open)
{
	lua_pushcfunction(L, open);
	lua_call(L, 0, 1);
	int lib = lua_gettop(L);
	guard_library(L, lib, name);
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
	lua_rawset(L, sb); /* raw: see trusted_newindex */
}

/* Libraries opened when hook code first names them: most hooks use
 * neither, and math is the largest library. */
static const struct {
	const char *name;
	lua_CFunction open;
} lazy_libs[] = {{LUA_MATHLIBNAME, luaopen_math},
		 {LUA_UTF8LIBNAME, luaopen_utf8}};

/* The index in lazy_libs of the library named k, or -1. */
static int lazy_lib(const char *k)
{
	for (size_t i = 0; k && i < sizeof lazy_libs / sizeof *lazy_libs; i++)
		if (strcmp(k, lazy_libs[i].name) == 0)
			return (int)i;
	return -1;
}

/* A name neither a hook file's environment nor its sandbox has comes here
 * (see push_env): a library opened when first named, else an error, since
 * a misspelt global is a bug, not nil. */
static int undefined_global(lua_State *L)
{
	const char *k = lua_tostring(L, 2);
	if (lua_type(L, 2) != LUA_TSTRING)
		return hook_fail(L, "undefined global");
	int lib = lazy_lib(k);
	if (lib >= 0) {
		open_library(L, 1, k, lazy_libs[lib].open);
		return 1;
	}
	for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++)
		if (strcmp(k, forbidden[i]) == 0)
			return hook_fail(L, "'%s' is not available to hooks (they "
				  "cannot reach files, processes, the clock or "
				  "randomness)", k);
	return hook_fail(L, "undefined global '%s'", k);
}

/* load and require in trusted code: they would run user code inside a call
 * that counts no instructions (see call_hook). The shipped hook files use
 * neither; the name is upvalue 1. */
static int trusted_refuses(lua_State *L)
{
	return hook_fail(L, "'%s' is not available to the shipped hook files "
			 "(they run as matrixc's own code, uncounted: no user "
			 "code may run inside them)",
			 lua_tostring(L, lua_upvalueindex(1)));
}

/* A new global set by trusted code, whose environment is the trusted
 * sandbox (see push_env): the shipped hook files set none, and one that
 * did would share it with the others. Setting a name the sandbox has,
 * such as tostring, does not come here; the shipped files do not. */
static int trusted_newindex(lua_State *L)
{
	return hook_fail(L, "a shipped hook file sets global '%s' (it should "
			 "be local)", lua_type(L, 2) == LUA_TSTRING
					      ? lua_tostring(L, 2) : "?");
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

/* Replace the table at the top with a copy of its entries. */
static void copy_table(lua_State *L)
{
	int t = lua_gettop(L);
	lua_newtable(L);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, t + 1);
	}
	lua_replace(L, t);
}

static int sb_load(lua_State *L);
static int sb_require(lua_State *L);

/* The sandbox of user code, made when the first is loaded: the names
 * trusted code's had when set up (not the libraries opened since), with a
 * copy of each library table (string, table, mx), so that nothing user
 * code changes in them reaches a trusted hook, and with load and require,
 * which trusted code has not. */
static void make_user_sandbox(hookrun *r, lua_State *L)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->sandbox_ref);
	int sb = lua_gettop(L);
	lua_createtable(L, 0, 32);
	lua_pushnil(L);
	while (lua_next(L, sb)) {
		if (lua_type(L, -2) == LUA_TSTRING &&
		    lazy_lib(lua_tostring(L, -2)) >= 0) {
			lua_pop(L, 1);
			continue;
		}
		if (lua_type(L, -1) == LUA_TTABLE)
			copy_table(L);
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, sb + 1);
	}
	lua_pushcfunction(L, sb_load);
	lua_setfield(L, sb + 1, "load");
	lua_pushcfunction(L, sb_require);
	lua_setfield(L, sb + 1, "require");
	lua_pushcfunction(L, undefined_global);
	push_index_mt(L);
	lua_setmetatable(L, sb + 1);
	/* its names, for push_env's copies */
	lua_newtable(L);
	lua_Integer n = 0;
	lua_pushnil(L);
	while (lua_next(L, sb + 1)) {
		lua_pushvalue(L, -2);
		lua_rawseti(L, -4, ++n);
		lua_rawseti(L, -3, ++n);
	}
	int names = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_pushvalue(L, sb + 1);
	push_index_mt(L);
	r->user_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	r->user_names_ref = names; /* last: a memory error before, and the
				    * next user code starts again */
	lua_pop(L, 2);
}

/* A fresh environment for one chunk. Trusted code (a shipped hook file,
 * see call_hook) has the trusted sandbox itself, where a new global would
 * be an error (trusted_newindex). User code has a copy of the
 * user sandbox's names, so that reading mx or ipairs is one table lookup
 * (hooks read mx dozens of times per cell), over that sandbox, for
 * undefined globals and for the libraries opened when first named. Those
 * are left out of the copy even once opened, so that every environment
 * starts the same: the copy is of the names the sandbox had when made.
 * The two sandboxes share no table hook code can change. */
static void push_env(hookrun *r, lua_State *L, bool trusted)
{
	if (trusted) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, r->sandbox_ref);
		return;
	}
	if (!r->user_names_ref)
		make_user_sandbox(r, L);
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->user_names_ref);
	int names = lua_gettop(L);
	lua_Integer n = (lua_Integer)lua_rawlen(L, names);
	lua_createtable(L, 0, (int)(n / 2));
	for (lua_Integer i = 1; i < n; i += 2) {
		lua_rawgeti(L, names, i);
		lua_rawgeti(L, names, i + 1);
		lua_rawset(L, names + 1);
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->user_mt_ref);
	lua_setmetatable(L, -2);
	lua_remove(L, names);
}

/* Give the chunk at the top a fresh environment. */
static void set_env(hookrun *r, lua_State *L, bool trusted)
{
	push_env(r, L, trusted);
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
}

/* load(text [, name]): text chunks only, in a fresh environment */
static int sb_load(lua_State *L)
{
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	charge(L, (double)len); /* compiling scans the text */
	if (luaL_loadbufferx(L, text, len, "=(load)", "t") == LUA_OK) {
		set_env(run_of(L), L, false);
		return 1;
	}
	lua_pushnil(L);
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
	return call_original(L);
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
		plain_tostring(L, i);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	size_t len;
	const char *s = lua_tolstring(L, -1, &len);
	srcpos at = r->call_at;
	hook_frame(r, L, 1, &at);
	/* diag copies what it keeps: nothing goes to the run's arena, which
	 * the memory cap does not bound */
	diag_note(r->d, at, "print: %.*s",
		  (int)(len < HOOK_MSG_MAX ? len : HOOK_MSG_MAX), s);
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

/* The frozen chunk of hook file name with this text (see frozen.h), or
 * NULL. */
static const frozen_hook *frozen_find(const char *name, const char *text,
				      size_t len)
{
	if (strcmp(frozen_lua, lua_ident) != 0)
		return NULL;
	for (size_t i = 0; i < frozen_nhooks; i++) {
		const frozen_hook *f = &frozen_hooks[i];
		if (f->len == len && strcmp(f->name, name) == 0 &&
		    memcmp(f->text, text, len) == 0)
			return f;
	}
	return NULL;
}

/* Read and load hook file name (relative to the matrix directory), listed
 * in matrix.yaml or else a module. The text is registered with diag so
 * that errors quote its lines. Returns a lua_load status, or LUA_ERRFILE
 * with errno's message pushed. */
static int load_file(hookrun *r, lua_State *L, const char *name, bool listed)
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
	hookfile *hf = add_file(r, name);
	const char *chunk = arena_printf(r->a, "@%s", name);
	const frozen_hook *f = frozen_find(name, buf_str(&b), b.len);
	/* trusted: a shipped hook file, listed (a module is user code) */
	hf->trusted = f && listed;
	/* a frozen chunk has the code and line information that compiling
	 * the text would give. Loading allocates less from it than compiling
	 * the text, so it is not charged to a hook call (require), whose
	 * budget would otherwise differ between the two; lua_load never
	 * raises, so the flag is always put back */
	bool in_call = r->in_call;
	r->in_call = false;
	int status = f ? luaL_loadbufferx(L, (const char *)f->code, f->code_len,
					  chunk, "b")
		       : luaL_loadbufferx(L, buf_str(&b), b.len, chunk, "t");
	r->in_call = in_call;
	buf_release(&b);
	if (status == LUA_OK)
		set_env(r, L, hf->trusted);
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
 * reads, copies or compiles, which are not charged. */
static void push_module_chunk(hookrun *r, lua_State *L, const char *name)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->chunks_ref);
	int chunks = lua_gettop(L);
	int t = lua_getfield(L, chunks, name);
	if (t == LUA_TNIL) {
		lua_pop(L, 1);
		char file[80]; /* a plain_name has at most 64 bytes */
		snprintf(file, sizeof file, "lua/%s.lua", name);
		int status = load_file(r, L, file, false); /* see load_file */
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
		bool req = lua_tocfunction(L, -1) == sb_require;
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

/* --- cells as Lua values ---------------------------------------------------- */

/* A cell as hook code sees it: a full userdata naming the cell (or one of
 * its lists) and the hook call it was passed to. Reads come from the C
 * cell; a store is checked and written into the cell at once, with the
 * hook line as its provenance, so nothing is copied into Lua or read back.
 * Hook code cannot make full userdata, so every one in the state is a ref.
 * A ref is valid during its own call only: a hook may keep values from a
 * cell, not the cell. */
#define REF_MAGIC 0x6d786366u /* "mxcf": tells a ref from other userdata */

typedef struct {
	unsigned magic; /* REF_MAGIC */
	size_t idx;    /* the cell: r->cs->v[idx] */
	unsigned call; /* the call it was made for (r->call_id) */
	int field;     /* a list field, or -1 for the cell itself */
} ref;

enum kind { K_RO, K_BOOL, K_STRING, K_OPTIONAL, K_SKIP, K_LIST };

/* Cell fields in name order, which is the order of pairs over a cell. */
enum {
	X_ALIASES, X_BASE, X_BUILD_ARGS, X_BUILD_PACKAGES, X_CONFIGURE, X_ENV,
	X_GET_PIP_SHA256, X_GET_PIP_URL, X_LTO, X_MAJOR, X_MAKE_FLAGS,
	X_MINOR, X_PATCH, X_PGO, X_PIP, X_PRE, X_RUN_PACKAGES, X_SERIES,
	X_SHA256, X_SKIP, X_SPEC, X_TAG, X_URL, X_VARIANT, X_VERSION, NFIELDS
};

#define NLISTS 7

static const struct {
	const char *name;
	enum kind kind;
	int slot;      /* lists: the cell ref's user value caching the list ref */
	size_t offset; /* where a writable field is in a cell */
} fields[NFIELDS] = {
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

/* Field id of c, which must be of the kind the caller names. */
static strlist *field_list(cell *c, int id)
{
	return (strlist *)((char *)c + fields[id].offset);
}

static pstr *field_string(cell *c, int id)
{
	return (pstr *)((char *)c + fields[id].offset);
}

static pbool *field_bool(cell *c, int id)
{
	return (pbool *)((char *)c + fields[id].offset);
}

/* The ref at idx, or NULL. */
static const ref *as_ref(lua_State *L, int idx)
{
	if (lua_type(L, idx) != LUA_TUSERDATA || lua_rawlen(L, idx) != sizeof(ref))
		return NULL;
	const ref *p = lua_touserdata(L, idx);
	return p->magic == REF_MAGIC ? p : NULL;
}

/* "nil", "a string", "a cell", "a list": for messages */
static const char *a_type(lua_State *L, int idx)
{
	const ref *p = as_ref(L, idx);
	if (p)
		return p->field < 0 ? "a cell" : "a list";
	if (lua_isnil(L, idx))
		return "nil";
	return lua_pushfstring(L, "a %s", luaL_typename(L, idx));
}

/* The cell of ref p, which must belong to the call in progress. */
static cell *ref_cell(lua_State *L, const ref *p)
{
	hookrun *r = run_of(L);
	cell *c = r->cs->v[p->idx];
	if (p->call != r->call_id)
		hook_fail(L, "cell %s/%s belongs to another hook call: keep "
			  "values from a cell, not the cell", c->version_str,
			  c->variant->name.s);
	return c;
}

static void push_ref(hookrun *r, lua_State *L, size_t idx, int field)
{
	ref *p = lua_newuserdatauv(L, sizeof *p, field < 0 ? NLISTS : 0);
	*p = (ref){REF_MAGIC, idx, r->call_id, field};
	lua_rawgeti(L, LUA_REGISTRYINDEX, field < 0 ? r->cell_mt_ref
						     : r->list_mt_ref);
	lua_setmetatable(L, -2);
}

/* Field names by the address of their Lua string: Lua keeps one copy of
 * each short string, so a key is a field name exactly when its address is
 * one of these (a table in the registry keeps them alive, see
 * setup_cells). */
_Static_assert(KEY_SLOTS == 64, "key_slot keeps the top 6 bits of a hash");

static unsigned key_slot(const char *k)
{
	return (unsigned)(((uintptr_t)k * UINT64_C(0x9E3779B97F4A7C15)) >> 58);
}

static void add_key(hookrun *r, const char *k, int id)
{
	unsigned i = key_slot(k);
	while (r->keys[i])
		i = (i + 1) % KEY_SLOTS;
	r->keys[i] = k;
	r->key_field[i] = (unsigned char)id;
}

/* The field the key at idx names, or -1. */
static int field_id(const hookrun *r, lua_State *L, int idx)
{
	if (lua_type(L, idx) != LUA_TSTRING)
		return -1;
	const char *k = lua_tostring(L, idx);
	for (unsigned i = key_slot(k); r->keys[i]; i = (i + 1) % KEY_SLOTS)
		if (r->keys[i] == k)
			return r->key_field[i];
	return -1;
}

static int unknown_field(lua_State *L, int idx)
{
	const char *names[NFIELDS];
	for (size_t i = 0; i < NFIELDS; i++)
		names[i] = fields[i].name;
	const char *k = plain_tostring(L, idx);
	const char *s = diag_suggest(k, names, NFIELDS);
	if (s)
		return hook_fail(L, "unknown cell field '%s' (did you mean "
				 "'%s'?)", k, s);
	return hook_fail(L, "unknown cell field '%s'", k);
}


/* Push the value of field id of c (a list field pushes its ref). */
static void push_field(hookrun *r, lua_State *L, int cellidx, int id)
{
	const ref *p = lua_touserdata(L, cellidx);
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
		switch (fields[id].kind) {
		case K_BOOL: lua_pushboolean(L, field_bool(c, id)->on); break;
		case K_LIST:
			/* one list ref per field, so that c.env == c.env */
			if (lua_getiuservalue(L, cellidx, fields[id].slot) ==
			    LUA_TUSERDATA)
				break;
			lua_pop(L, 1);
			push_ref(r, L, p->idx, id);
			lua_pushvalue(L, -1);
			lua_setiuservalue(L, cellidx, fields[id].slot);
			break;
		default: lua_pushstring(L, field_string(c, id)->s); break;
		}
	}
}

/* --- stores ---------------------------------------------------------------- */

/* Where a store happens: the innermost hook line, else the hook. */
static srcpos store_pos(hookrun *r, lua_State *L)
{
	srcpos at = r->call_at;
	hook_frame(r, L, 1, &at);
	return at;
}

/* Before the first store into cell i in this call: keep its values, so
 * that after the call a value set back to what it was keeps its origin
 * (see settle). */
static cell *begin_store(hookrun *r, size_t i)
{
	cell *c = r->cs->v[i];
	if (r->stored[i] != r->call_id) {
		r->stored[i] = r->call_id;
		r->owned[i] = 0;
		r->before[i] = *c;
	}
	return c;
}

/* List field id of cell i, ready for changes: copied once per call, since
 * the copy kept by begin_store shares the entries. */
static strlist *own_list(hookrun *r, size_t i, int id)
{
	cell *c = begin_store(r, i);
	strlist *l = field_list(c, id);
	if (!(r->owned[i] & 1u << id)) {
		const strlist *was = field_list(&r->before[i], id);
		r->owned[i] |= 1u << id;
		*l = (strlist){0};
		strlist_reserve(r->a, l, was->n + 4); /* hooks mostly add */
		strlist_copy(r->a, l, was);
	}
	return l;
}

/* List field id of cell i, to be rewritten whole: empty, without the copy
 * own_list would make. */
static strlist *fresh_list(hookrun *r, size_t i, int id)
{
	strlist *l = field_list(begin_store(r, i), id);
	r->owned[i] |= 1u << id;
	*l = (strlist){0};
	return l;
}

/* Is entry e (a C string) exactly the len bytes at s? Reads at most
 * len + 1 bytes of e, so the work follows the argument's length, which
 * callers that scan a list charge with charge_scan. */
static bool same_bytes(const char *e, const char *s, size_t len)
{
	return strnlen(e, len + 1) == len && memcmp(e, s, len) == 0;
}

/* The work of comparing a value of len bytes with n entries. */
static void charge_scan(lua_State *L, size_t n, size_t len)
{
	charge(L, (double)n * (1.0 + (double)len / HOOK_ALLOC_GRAIN));
}

/* Memory taken from the arena for a store counts against the cap, like
 * Lua's own (it is freed only at the end of the run). */
static void charge_mem(hookrun *r, lua_State *L, size_t bytes)
{
	if (!heap_charge(&r->mem, bytes)) {
		if (!r->mem_exceeded)
			hook_frame(r, L, 0, &r->mem_at);
		r->mem_exceeded = true;
		hook_fail(L, "not enough memory");
	}
}

/* The string at idx, copied for field k: no NUL byte, at most
 * LIMIT_STRING_BYTES, and charged to the memory cap like Lua's own. */
static const char *take_string(hookrun *r, lua_State *L, int idx,
			       const char *k)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);
	if (strlen(s) != len)
		hook_fail(L, "cell field '%s' contains a NUL byte", k);
	if (len > LIMIT_STRING_BYTES)
		hook_fail(L, "cell field '%s' is longer than %d bytes", k,
			  LIMIT_STRING_BYTES);
	charge_mem(r, L, len + 1);
	return arena_strndup(r->a, s, len);
}

static void store_scalar(hookrun *r, lua_State *L, const ref *p, int id)
{
	const char *k = fields[id].name;
	cell *c = r->cs->v[p->idx];
	int t = lua_type(L, 3);
	size_t len;
	if (fields[id].kind == K_BOOL) {
		if (t != LUA_TBOOLEAN)
			hook_fail(L, "cell field '%s' takes a boolean, not %s",
				  k, a_type(L, 3));
		bool on = lua_toboolean(L, 3);
		if (field_bool(c, id)->on != on)
			*field_bool(begin_store(r, p->idx), id) =
			    (pbool){on, store_pos(r, L)};
		return;
	}
	if (t == LUA_TNIL && fields[id].kind == K_OPTIONAL) {
		if (field_string(c, id)->s)
			*field_string(begin_store(r, p->idx), id) =
			    (pstr){NULL, store_pos(r, L)};
		return;
	}
	if (t != LUA_TSTRING)
		hook_fail(L, "cell field '%s' takes a %s, not %s", k,
			  fields[id].kind == K_OPTIONAL ? "string or nil"
							: "string",
			  a_type(L, 3));
	const char *s = lua_tolstring(L, 3, &len);
	pstr *f = field_string(c, id);
	if (f->s && same_bytes(f->s, s, len))
		return;
	s = take_string(r, L, 3, k);
	*field_string(begin_store(r, p->idx), id) = (pstr){s, store_pos(r, L)};
}

static void store_skip(hookrun *r, lua_State *L, const ref *p)
{
	cell *c = r->cs->v[p->idx];
	int t = lua_type(L, 3);
	if (t == LUA_TNIL || (t == LUA_TBOOLEAN && !lua_toboolean(L, 3))) {
		if (c->skip) {
			begin_store(r, p->idx);
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
	s = take_string(r, L, 3, "skip");
	begin_store(r, p->idx);
	c->skip = true;
	c->skip_reason = (pstr){s, store_pos(r, L)};
}

/* c.list = v: v a table (or list) of strings, checked before any change */
static void store_list(hookrun *r, lua_State *L, const ref *p, int id)
{
	const char *k = fields[id].name;
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
		strlist_add(r->a, &fresh, take_string(r, L, -1, k), at);
		lua_pop(L, 1);
	}
	charge_mem(r, L, fresh.cap * sizeof *fresh.v);
	*fresh_list(r, p->idx, id) = fresh;
}

static int cell_index(lua_State *L)
{
	hookrun *r = run_of(L);
	const ref *p = lua_touserdata(L, 1);
	if (p->call != r->call_id)
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
	const ref *p = lua_touserdata(L, 1);
	ref_cell(L, p);
	int id = field_id(run_of(L), L, 2);
	if (id < 0)
		return unknown_field(L, 2);
	switch (fields[id].kind) {
	case K_RO:
		return hook_fail(L, "cell field '%s' is read-only",
				 fields[id].name);
	case K_LIST: store_list(r, L, p, id); break;
	case K_SKIP: store_skip(r, L, p); break;
	default: store_scalar(r, L, p, id); break;
	}
	return 0;
}

/* "cell 3.13.5/wee", "list configure of cell 3.13.5/wee": valid after
 * the call too, for messages */
static int ref_tostring(lua_State *L)
{
	const ref *p = lua_touserdata(L, 1);
	const cell *c = run_of(L)->cs->v[p->idx];
	if (p->field >= 0)
		lua_pushfstring(L, "list %s of ", fields[p->field].name);
	else
		lua_pushliteral(L, "");
	lua_pushfstring(L, "%scell %s/%s", lua_tostring(L, -1),
			c->version_str, c->variant->name.s);
	return 1;
}

/* The list of list ref p, for reading. */
static strlist *ref_list(lua_State *L, const ref *p)
{
	return field_list(ref_cell(L, p), p->field);
}

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

/* l[i] = the value at idx (a string, or nil for the last entry), with the
 * hook line as its origin. absent: the caller knows the value is not in
 * the list (mx.add), so there is no equal entry to share. */
static void list_put(hookrun *r, lua_State *L, const ref *p, lua_Integer i,
		     int idx, bool absent)
{
	const char *k = fields[p->field].name;
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
		own_list(r, p->idx, p->field)->n--;
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
	 * within the list gets its origin back in settle (keep_entries), a
	 * new copy keeps the hook line */
	pstr e = {NULL, store_pos(r, L)};
	if (!absent)
		charge_scan(L, n, len);
	for (size_t j = 0; j < n && !e.s && !absent; j++)
		if (same_bytes(l->v[j].s, s, len))
			e.s = l->v[j].s;
	if (!e.s)
		e.s = take_string(r, L, idx, k);
	l = own_list(r, p->idx, p->field);
	if ((size_t)i > n)
		strlist_add(r->a, l, e.s, e.at);
	else
		l->v[i - 1] = e;
}

static int list_newindex(lua_State *L)
{
	const ref *p = lua_touserdata(L, 1);
	if (!lua_isinteger(L, 2)) {
		const strlist *l = ref_list(L, p);
		return hook_fail(L, "cell field '%s' is a list: index %s is not "
				 "in 1..%d", fields[p->field].name,
				 plain_tostring(L, 2), (int)l->n + 1);
	}
	list_put(run_of(L), L, p, lua_tointeger(L, 2), 3, false);
	return 0;
}

/* --- after a call ---------------------------------------------------------- */

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_strings(const strlist *a, const strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].s != b->v[i].s && strcmp(a->v[i].s, b->v[i].s) != 0)
			return false;
	return true;
}

static bool same_pos(srcpos a, srcpos b)
{
	return a.file == b.file && a.line == b.line && a.col == b.col;
}

/* Entries that were there before the call keep their origin: first the
 * entries still exactly as they were (moved or not), then, for the rest,
 * the first unmatched equal entry (a value removed and added again); an
 * entry with no match is new and keeps the hook line that stored it. */
static void keep_entries(arena *a, strlist *now, const strlist *was)
{
	if (same_strings(now, was)) {
		*now = *was;
		return;
	}
	bool small_used[64] = {0}, small_done[64] = {0};
	bool *used = was->n <= 64 ? small_used : arena_alloc(a, was->n);
	bool *done = now->n <= 64 ? small_done : arena_alloc(a, now->n);
	/* the search starts at the first unused entry, which is the next one
	 * while the entries keep their order: linear in that common case */
	size_t first = 0;
	for (size_t i = 0; i < now->n; i++)
		for (size_t j = first; j < was->n; j++)
			if (!used[j] && now->v[i].s == was->v[j].s &&
			    same_pos(now->v[i].at, was->v[j].at)) {
				used[j] = done[i] = true;
				while (first < was->n && used[first])
					first++;
				break;
			}
	for (size_t i = 0; i < now->n; i++)
		for (size_t j = first; j < was->n && !done[i]; j++)
			if (!used[j] && strcmp(now->v[i].s, was->v[j].s) == 0) {
				used[j] = done[i] = true;
				now->v[i].at = was->v[j].at;
			}
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
	if (!promised || flag->on || c->skip || !cell_has_default_tag(c))
		return;
	diag_error(r->d, flag->at, "%s turned off, but variant '%s' promises "
		   "it and tag '%s' would claim it: skip the cell (mx.skip) or "
		   "change its tag%s", what, c->variant->name.s, c->tag.s,
		   call_context(r));
}

/* After a call that stored into cell i: a value set back to what it was
 * keeps its origin, the optimization flags follow pgo and lto, and a
 * broken promise is an error. */
static bool settle(hookrun *r, size_t i)
{
	if (r->stored[i] != r->call_id)
		return true;
	cell *c = r->cs->v[i];
	cell *b = &r->before[i];
	static const int bools[] = {X_PGO, X_LTO, X_PIP};
	static const int strings[] = {X_BASE, X_URL, X_SHA256, X_TAG,
				      X_GET_PIP_URL, X_GET_PIP_SHA256};
	for (size_t k = 0; k < sizeof bools / sizeof *bools; k++) {
		pbool *now = field_bool(c, bools[k]);
		if (now->on == field_bool(b, bools[k])->on)
			*now = *field_bool(b, bools[k]);
	}
	for (size_t k = 0; k < sizeof strings / sizeof *strings; k++) {
		pstr *now = field_string(c, strings[k]);
		const pstr *was = field_string(b, strings[k]);
		if (same_str(now->s, was->s))
			*now = *was;
	}
	if (c->skip == b->skip && same_str(c->skip_reason.s, b->skip_reason.s))
		c->skip_reason = b->skip_reason;
	for (int id = 0; id < NFIELDS; id++)
		if (r->owned[i] & 1u << id)
			keep_entries(r->a, field_list(c, id),
				     field_list(b, id));
	sync_flags(r, c, b->pgo.on, b->lto.on);
	unsigned errors = diag_errors(r->d);
	if (b->pgo.on != c->pgo.on)
		check_promise(r, c, &c->pgo, c->variant->pgo, "PGO");
	if (b->lto.on != c->lto.on)
		check_promise(r, c, &c->lto, c->variant->lto, "LTO");
	return diag_errors(r->d) == errors;
}

/* --- the mx library --------------------------------------------------------- */

/* Parse version string s, remembering the last few: hooks compare with
 * the same literals ("3.7") for every cell. A slot is chosen by where
 * the string lives (Lua keeps one copy of each short string) and holds
 * the text, so a reused address cannot return another string's parse. */
/* Version string s of len bytes (which may hold a NUL, and then is no
 * version), parsed: a cached text is known to be a version. */
static bool parse_cached(hookrun *r, const char *s, size_t len, pyversion *v)
{
	if (len == 0 || len > VCACHE_TEXT)
		return strlen(s) == len && version_parse(s, v);
	vcache_entry *e = &r->vcache[((uintptr_t)s >> 4) % VCACHE_SLOTS];
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
	if (!parse_cached(run_of(L), s, len, &v))
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
		const ref *p = as_ref(L, idx);
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
static const ref *arg_list(lua_State *L, const char *what)
{
	const ref *p = as_ref(L, 1);
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
		charge(L, 1);
		n++;
	}
	lua_pop(L, 1);
	return n;
}

/* Is the value at idx in the list at 1? */
static bool has(lua_State *L, const ref *p, int idx)
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
		charge(L, 1);
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
	const ref *p = arg_list(L, "mx.add");
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
	const ref *p = arg_list(L, "mx.remove");
	if (p && lua_type(L, 2) == LUA_TSTRING) {
		/* the common case, compared in C: nothing copied into Lua */
		size_t len;
		const char *x = lua_tolstring(L, 2, &len);
		const strlist *l = ref_list(L, p);
		lua_Integer removed = 0;
		charge_scan(L, 2 * l->n, len);
		for (size_t i = 0; i < l->n; i++)
			removed += same_bytes(l->v[i].s, x, len);
		if (removed > 0) {
			strlist *o = own_list(r, p->idx, p->field);
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
	if (removed > 0 && p) {
		strlist *l = fresh_list(r, p->idx, p->field);
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
	const ref *p = arg_list(L, "mx.replace");
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
static lua_Integer find_env(lua_State *L, const ref *p, const char *name,
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
		charge(L, 1);
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
	const ref *p = arg_list(L, "mx.getenv");
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
	const ref *p = arg_list(L, "mx.setenv");
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

/* mx.skip(c, reason): c.skip = reason */
static int mx_skip(lua_State *L)
{
	lua_settop(L, 2);
	lua_setfield(L, 1, "skip");
	return 0;
}

/* --- sorted pairs ----------------------------------------------------------- */

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
		charge(L, 1);
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

/* iterator over a cell's fields, in name order; the cell ref is upvalue
 * 1 (whatever hook code passes as the state) */
static int cell_next(lua_State *L)
{
	hookrun *r = run_of(L);
	const ref *p = lua_touserdata(L, lua_upvalueindex(1));
	int id = lua_isnil(L, 2) ? 0 : field_id(r, L, 2) + 1;
	if (id <= 0 && !lua_isnil(L, 2))
		return 0; /* not a field name: the end */
	if (id >= NFIELDS)
		return 0;
	ref_cell(L, p);
	lua_pushstring(L, fields[id].name);
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

/* pairs(t): keys in a fixed order, so that hook output never depends on
 * the hash; a cell's fields by name, a list's entries in order. Upvalue
 * 1 is table.sort. */
static int sb_pairs(lua_State *L)
{
	const ref *p = as_ref(L, 1);
	if (p) {
		lua_pushvalue(L, 1);
		lua_pushcclosure(L, p->field < 0 ? cell_next : list_next, 1);
		lua_pushvalue(L, 1);
		if (p->field < 0)
			lua_pushnil(L);
		else
			lua_pushinteger(L, 0);
		return 3;
	}
	if (!lua_istable(L, 1))
		return hook_fail(L, "bad argument to pairs (table expected, got "
				 "%s)", luaL_typename(L, 1));
	lua_settop(L, 1);
	lua_newtable(L);
	lua_Integer n = 0;
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		lua_pop(L, 1);
		charge(L, 1);
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

/* --- setting up the state ------------------------------------------------- */

/* The table of names hook code can see, at the top of the stack. */
static void push_sandbox(lua_State *L)
{
	static const char *const names[] = {
	    "assert", "error", "getmetatable", "ipairs", "next", "pcall",
	    "rawequal", "rawget", "rawlen", "rawset", "select", "setmetatable",
	    "tonumber", "tostring", "type", "xpcall", "_VERSION"};
	luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
	lua_pop(L, 1);
	lua_newtable(L);
	int sb = lua_gettop(L);
	lua_pushglobaltable(L);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		lua_getfield(L, -1, names[i]);
		lua_setfield(L, sb, names[i]);
	}
	lua_pop(L, 1);
	guard_library(L, sb, "_G");
	/* string and table at once (strings reach string through their
	 * metatable; pairs sorts with table.sort), math and utf8 when first
	 * named */
	open_library(L, sb, LUA_TABLIBNAME, luaopen_table);
	lua_pop(L, 1);
	open_library(L, sb, LUA_STRLIBNAME, luaopen_string);
	int str = lua_gettop(L);
	/* strings' methods are this table's, which only trusted code sees
	 * (user code gets a copy, see make_user_sandbox): getmetatable("")
	 * is false */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);
	guard_patterns(L, str);
	lua_getfield(L, str, "format");
	push_wrapper(L, sb_format, 1);
	lua_setfield(L, str, "format");
	lua_pop(L, 1);
	lua_pushcfunction(L, sb_tostring);
	lua_setfield(L, sb, "tostring");
	lua_getfield(L, sb, "setmetatable");
	push_wrapper(L, sb_setmetatable, 1);
	lua_setfield(L, sb, "setmetatable");
	lua_pushcfunction(L, sb_print);
	lua_setfield(L, sb, "print");
	/* the trusted sandbox: see make_user_sandbox */
	static const char *const refused[] = {"load", "require"};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		lua_pushstring(L, refused[i]);
		lua_pushcclosure(L, trusted_refuses, 1);
		lua_setfield(L, sb, refused[i]);
	}
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

/* The refs' metatables, the mx library and pairs, into the sandbox sb.
 * The field names are interned once, for field_id. */
static void setup_cells(hookrun *r, lua_State *L, int sb)
{
	static const luaL_Reg cell_mt[] = {
	    {"__index", cell_index}, {"__newindex", cell_newindex},
	    {"__tostring", ref_tostring}, {NULL, NULL}};
	static const luaL_Reg list_mt[] = {
	    {"__index", list_index}, {"__newindex", list_newindex},
	    {"__len", list_len}, {"__tostring", ref_tostring}, {NULL, NULL}};
	static const luaL_Reg mx[] = {
	    {"compare", mx_compare}, {"at_least", mx_at_least},
	    {"below", mx_below}, {"between", mx_between},
	    {"in_series", mx_in_series}, {"version", mx_version},
	    {"has", mx_has}, {"add", mx_add}, {"remove", mx_remove},
	    {"prefixed", mx_prefixed}, {"replace", mx_replace},
	    {"getenv", mx_getenv}, {"setenv", mx_setenv}, {"skip", mx_skip},
	    {NULL, NULL}};
	lua_createtable(L, NFIELDS, 0); /* keeps the names' strings alive */
	for (int i = 0; i < NFIELDS; i++) {
		lua_pushstring(L, fields[i].name);
		add_key(r, lua_tostring(L, -1), i);
		lua_rawseti(L, -2, i + 1);
	}
	luaL_ref(L, LUA_REGISTRYINDEX);
	r->cell_mt_ref = new_metatable(L, cell_mt);
	r->list_mt_ref = new_metatable(L, list_mt);
	luaL_newlib(L, mx);
	/* pairs sorts with the table.sort of before any hook ran */
	lua_getfield(L, sb, "table");
	lua_getfield(L, -1, "sort");
	lua_remove(L, -2);
	lua_pushcclosure(L, sb_pairs, 1);
	lua_pushvalue(L, -1);
	lua_setfield(L, sb, "pairs");
	lua_setfield(L, -2, "sorted_pairs");
	lua_pushcfunction(L, sb_next);
	lua_setfield(L, sb, "next");
	lua_setfield(L, sb, "mx");
}

static void setup_state(hookrun *r, lua_State *L)
{
	push_sandbox(L);
	int sb = lua_gettop(L);
	setup_cells(r, L, sb);
	lua_pushcfunction(L, undefined_global);
	push_index_mt(L);
	lua_pushcfunction(L, trusted_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_setmetatable(L, sb);
	lua_pushvalue(L, sb);
	r->sandbox_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newtable(L);
	r->loaded_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newtable(L);
	r->chunks_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_pop(L, 1);
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
		const char *k = clip_text(r->a, bad[i], strlen(bad[i]));
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
	diag_error(r->d, at, "%s", clip_text(r->a, rest, strlen(rest)));
	lua_pop(L, 1);
}

static bool load_hooks(hookrun *r, lua_State *L)
{
	bool ok = true;
	for (size_t i = 0; i < r->m->hooks.n; i++) {
		const pstr *listed = &r->m->hooks.v[i];
		watchdog_step(listed->s, 0, "compiling the hook file");
		int st = load_file(r, L, listed->s, true);
		watchdog_step(NULL, 0, "the Lua state between hook calls");
		if (st != LUA_OK) {
			report_load(r, L, listed, st);
			ok = false;
			continue;
		}
		size_t fi = r->nfiles - 1;
		r->hook = NULL;
		r->cur = NULL;
		if (!call_hook(r, 0, 1, NULL, !r->files[fi].trusted) ||
		    !take_hooks(r, L, fi))
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

static bool cell_hook(hookrun *r, lua_State *L, const hookfile *hf, size_t i)
{
	int top = lua_gettop(L);
	r->hook = "cell";
	r->cur = r->cs->v[i];
	r->call_id++; /* refs of earlier calls go stale */
	push_ref(r, L, i, -1);
	lua_rawgeti(L, LUA_REGISTRYINDEX, hf->cell_ref);
	lua_pushvalue(L, top + 1);
	bool ok = call_hook(r, 1, 1, &hf->cell_at, !hf->trusted) &&
		  check_result(r, L, top + 1) && settle(r, i);
	lua_settop(L, top);
	return ok;
}

/* Every file's cell hook over every cell not yet skipped, file by file. */
static bool run_cell_hooks(hookrun *r, lua_State *L)
{
	for (size_t f = 0; f < r->nfiles; f++) {
		int fn = r->files[f].cell_ref;
		for (size_t i = 0; fn != LUA_NOREF && i < r->cs->n; i++)
			if (!r->cs->v[i]->skip && !cell_hook(r, L, &r->files[f], i))
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
	r->call_id++;
	lua_createtable(L, (int)r->cs->n, 0);
	for (size_t i = 0; i < r->cs->n; i++) {
		push_ref(r, L, i, -1);
		lua_rawseti(L, top + 1, (lua_Integer)i + 1);
	}
	for (size_t f = first; ok && f < r->nfiles; f++) {
		if (r->files[f].matrix_ref == LUA_NOREF)
			continue;
		lua_rawgeti(L, LUA_REGISTRYINDEX, r->files[f].matrix_ref);
		lua_pushvalue(L, top + 1);
		/* metered: the cells' list is one table for every file */
		ok = call_hook(r, 1, 1, &r->files[f].matrix_at, true) &&
		     check_result(r, L, top + 1);
	}
	for (size_t i = 0; ok && i < r->cs->n; i++) {
		r->cur = r->cs->v[i];
		ok = settle(r, i);
	}
	lua_settop(L, top);
	return ok;
}

/* run_all(hookrun) -> boolean: the whole run, inside one pcall */
static int run_all(lua_State *L)
{
	hookrun *r = lua_touserdata(L, 1);
	lua_gc(L, LUA_GCINC, SETUP_GC_PAUSE, 0, 0);
	setup_state(r, L);
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
	/* a ref per cell for the matrix hook, and what hooks keep */
	/* the backstop can be lowered (tests): a number of seconds > 0 */
	const char *cpu = getenv("MATRIXC_HOOK_CPU_SECONDS");
	char *end;
	r.cpu_limit = cpu ? strtod(cpu, &end) : 0;
	if (!cpu || *end || !(r.cpu_limit > 0 && r.cpu_limit <= HOOK_CPU_SECONDS))
		r.cpu_limit = HOOK_CPU_SECONDS;
	size_t cap = HOOK_MEMORY + cs->n * HOOK_CELL_MEMORY;
	heap_init(&r.mem, cap < HOOK_MEMORY_MAX ? cap : HOOK_MEMORY_MAX);
	/* written before it is read (begin_store): not zeroed */
	r.before = xrealloc(NULL, (cs->n + 1) * sizeof *r.before);
	r.stored = arena_alloc(a, (cs->n + 1) * sizeof *r.stored);
	r.owned = arena_alloc(a, (cs->n + 1) * sizeof *r.owned);
	unsigned errors = diag_errors(d);
	lua_State *L = lua_newstate(hook_alloc, &r);
	if (!L) {
		diag_error(d, m->hooks.v[0].at, "cannot create a Lua state");
		heap_release(&r.mem);
		free(r.before);
		return false;
	}
	r.L = L;
	watchdog_start(HOOK_WATCHDOG(&r), 2); /* EXIT_INPUT (cmd.h) */
	lua_pushcfunction(L, run_all);
	lua_pushlightuserdata(L, &r);
	int status = lua_pcall(L, 1, 1, 0);
	bool ok = status == LUA_OK && lua_toboolean(L, -1);
	if (status != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		r.err_msg = clip_text(a, msg ? msg : "?", msg ? strlen(msg) : 1);
		report_failure(&r, status);
	}
	/* no lua_close: the state is all in its heap, and has nothing to
	 * finalize (hooks cannot set __gc, the sandbox's own objects have
	 * none, and no to-be-closed variable outlives run_all's pcall) */
	watchdog_stop();
	heap_release(&r.mem);
	free(r.before);
	return ok && diag_errors(d) == errors;
}
