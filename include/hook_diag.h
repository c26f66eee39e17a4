/* hook_diag.h - errors in hook code, with the hook file and line.
 *
 * Part of the Lua layer (see hook_run.h). A hook call runs with
 * hook_msg_handler as its message handler: it keeps the message, its
 * hook line and the hook frames below it. hook_report_failure turns what
 * the handler and the limits recorded into one `file:line: error:`, the
 * frames into notes. Hook code's own errors are raised with hook_fail,
 * without a position: the handler adds the hook line.
 */
#ifndef MATRIXC_HOOK_DIAG_H
#define MATRIXC_HOOK_DIAG_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "arena.h"
#include "cell.h"
#include "diag.h"

typedef struct hookrun hookrun;

#define HOOK_FRAMES 8   /* traceback notes kept */
#define HOOK_SCAN 64    /* stack levels searched for them */
#define HOOK_MSG_MAX 400 /* bytes of a hook's message */

typedef struct {
	srcpos at;
	const char *what; /* "function 'helper'" */
	bool recursive;   /* called from the same line again and again */
} hook_note;

/* The call in progress, and its last error. */
typedef struct {
	const char *hook;   /* "cell", "matrix", or NULL: loading a file */
	const cell *cur;    /* the cell of a cell hook */
	srcpos call_at;     /* where the called function is defined */
	const char *err_msg; /* filled by the message handler */
	srcpos err_at;
	hook_note frames[HOOK_FRAMES];
	size_t nframes;
} hook_call;

/* Raise msg with no position (the handler adds the hook line). */
int hook_fail(lua_State *L, const char *fmt, ...);

/* The innermost frame running hook code (not C, not load()ed text),
 * from stack level `level` out (1 skips the C function asking), at
 * most HOOK_SCAN levels: its file's index, with *at set, or -1. */
int hook_frame(hookrun *r, lua_State *L, int level, srcpos *at);
/* Where the function at idx is defined, when it is hook code. */
srcpos hook_function_pos(hookrun *r, lua_State *L, int idx);

/* A copy of hook text for a message, at most HOOK_MSG_MAX bytes. */
const char *hook_clip(arena *a, const char *s, size_t len);
/* "lua/x.lua:12: msg" -> line 12 and msg, when the file is a hook file */
bool hook_split_position(const hookrun *r, const char *msg, srcpos *at,
			 const char **rest);

/* The message handler of every hook call. */
int hook_msg_handler(lua_State *L);
/* " (in the cell hook, for 3.13.5/wee)": the call, for messages */
const char *hook_context(const hookrun *r);
/* Report the failure of the call just made (status: lua_pcall's). */
void hook_report_failure(hookrun *r, int status);

#endif
