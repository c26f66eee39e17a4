/* hook_diag.c - errors in hook code, with the hook file and line (see
 * hook_diag.h). */
#include "hook_run.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

int hook_fail(lua_State *L, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lua_pushvfstring(L, fmt, ap);
	va_end(ap);
	return lua_error(L);
}

int hook_frame(hookrun *r, lua_State *L, int level, srcpos *at)
{
	lua_Debug ar;
	/* lua_getstack walks from the top to its level, so the search stops
	 * at HOOK_SCAN levels: a store deep in a recursion of load()ed code,
	 * which has no hook frame, would cost the square of the depth */
	for (; level < HOOK_SCAN && lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "S", &ar))
			continue;
		int i = hook_file_index(r, ar.source);
		/* the line only for a hook frame: it costs a lineinfo scan */
		if (i >= 0 && lua_getinfo(L, "l", &ar) && ar.currentline > 0) {
			*at = (srcpos){r->files.v[i].name, (unsigned)ar.currentline, 0};
			return i;
		}
	}
	return -1;
}

srcpos hook_function_pos(hookrun *r, lua_State *L, int idx)
{
	lua_Debug ar;
	lua_pushvalue(L, idx);
	if (!lua_getinfo(L, ">S", &ar))
		return (srcpos){0};
	int i = hook_file_index(r, ar.source);
	if (i < 0)
		return (srcpos){0};
	unsigned line = ar.linedefined > 0 ? (unsigned)ar.linedefined : 0;
	return (srcpos){r->files.v[i].name, line, 0};
}

/* diag escapes the control bytes of the copy, as in every message */
const char *hook_clip(arena *a, const char *s, size_t len)
{
	return arena_strndup(a, s, len < HOOK_MSG_MAX ? len : HOOK_MSG_MAX);
}

bool hook_split_position(const hookrun *r, const char *msg, srcpos *at,
			 const char **rest)
{
	for (size_t i = 0; i < r->files.n; i++) {
		size_t n = strlen(r->files.v[i].name);
		if (strncmp(msg, r->files.v[i].name, n) != 0 || msg[n] != ':')
			continue;
		char *end;
		long line = strtol(msg + n + 1, &end, 10);
		if (end == msg + n + 1 || line <= 0 || strncmp(end, ": ", 2) != 0)
			continue;
		*at = (srcpos){r->files.v[i].name, (unsigned)line, 0};
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

/* The hook frames of the stack, innermost first, one note for a
 * recursion. lua_getstack walks from the top, so a deep stack (a
 * runaway recursion) is only scanned near its top. */
static void record_frames(hookrun *r, lua_State *L)
{
	hook_call *c = &r->call;
	lua_Debug ar;
	c->nframes = 0;
	for (int level = 1; level <= HOOK_SCAN && lua_getstack(L, level, &ar);
	     level++) {
		if (!lua_getinfo(L, "Sln", &ar))
			continue;
		int i = hook_file_index(r, ar.source);
		if (i < 0 || ar.currentline <= 0)
			continue;
		if (c->nframes == HOOK_FRAMES)
			break;
		srcpos at = {r->files.v[i].name, (unsigned)ar.currentline, 0};
		hook_note *last = c->nframes ? &c->frames[c->nframes - 1] : NULL;
		if (last && last->at.file == at.file && last->at.line == at.line) {
			last->recursive = true;
			continue;
		}
		hook_note *f = &c->frames[c->nframes++];
		f->at = at;
		f->recursive = false;
		if (ar.name)
			f->what = arena_printf(r->a, "function '%s'", ar.name);
		else if (ar.what && strcmp(ar.what, "main") == 0)
			f->what = "the main chunk";
		else if (c->hook && ar.linedefined == (int)c->call_at.line)
			f->what = arena_printf(r->a, "hook '%s'", c->hook);
		else
			f->what = arena_printf(r->a, "the function at line %d",
					       ar.linedefined);
	}
}

/* Keeps the message, its position and the hook frames, then returns the
 * error unchanged. It is C, and hook code can install no handler of its
 * own (xpcall is the sandbox's, see hook_sandbox.c): Lua runs a handler
 * with the count hook off when the error comes from the count hook. */
int hook_msg_handler(lua_State *L)
{
	hookrun *r = run_of(L);
	const char *msg = error_text(L, 1);
	record_frames(r, L);
	srcpos at = r->call.nframes ? r->call.frames[0].at : r->call.call_at;
	const char *rest = msg;
	hook_split_position(r, msg, &at, &rest);
	r->call.err_at = at;
	r->call.err_msg = hook_clip(r->a, rest, strlen(rest));
	lua_settop(L, 1);
	return 1;
}

const char *hook_context(const hookrun *r)
{
	const hook_call *c = &r->call;
	if (c->hook && c->cur)
		return arena_printf(r->a, " (in the %s hook, for %s/%s)",
				    c->hook, c->cur->version_str,
				    c->cur->variant->name.s);
	if (c->hook)
		return arena_printf(r->a, " (in the %s hook)", c->hook);
	return "";
}

void hook_report_failure(hookrun *r, int status)
{
	hook_limits *l = &r->lim;
	hook_call *c = &r->call;
	if (status == LUA_ERRMEM && l->pending && !l->mem_exceeded &&
	    !l->budget_exceeded) {
		l->mem_exceeded = true; /* a refusal Lua could not retry */
		l->mem_at = l->line_at;
	}
	const char *ctx = hook_context(r);
	srcpos where = l->budget_at.file ? l->budget_at
		       : c->err_msg      ? c->err_at
					 : c->call_at;
	if (l->time_exceeded) {
		diag_error(r->d, where, "hook ran for more than %g s of CPU "
			   "time%s", l->cpu_limit, ctx);
		return;
	}
	if (l->mem_exceeded) { /* set only before the budget ran out */
		srcpos at = l->mem_at.file ? l->mem_at : c->call_at;
		diag_error(r->d, at, "memory limit exceeded (%zu MiB)%s",
			   l->cap >> 20, ctx);
		return;
	}
	if (l->budget_exceeded) {
		diag_error(r->d, where, "instruction budget exceeded (%lu "
			   "instructions)%s", HOOK_BUDGET, ctx);
		return;
	}
	if (status == LUA_ERRMEM) {
		diag_error(r->d, c->call_at, "out of memory%s", ctx);
		return;
	}
	if (!c->err_msg) {
		diag_error(r->d, c->call_at, "error in the error handler%s", ctx);
		return;
	}
	diag_error(r->d, c->err_at, "%s%s", c->err_msg, ctx);
	for (size_t i = 1; i < c->nframes; i++)
		diag_note(r->d, c->frames[i].at, "called from %s%s",
			  c->frames[i].what,
			  c->frames[i].recursive ? ", recursively" : "");
}
