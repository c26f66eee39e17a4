/* hook_cell.h - a cell as hook code sees it: a proxy of the C cell.
 *
 * Part of the Lua layer (see hook_run.h). A hook gets a cell, and each of
 * its lists, as a small full userdata (a ref) whose metamethods read and
 * write the C cell itself: a store is type-checked when it happens and
 * takes the hook line that made it as its provenance (hook_settle.h), so
 * nothing is copied into Lua or read back, which matters with 10,000
 * cells. Hook code cannot make full userdata, so every one in the state is
 * a ref. A ref is valid during its own call only (call_id): a hook may
 * keep values from a cell, not the cell.
 */
#ifndef MATRIXC_HOOK_CELL_H
#define MATRIXC_HOOK_CELL_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "cell.h"

typedef struct hookrun hookrun;

#define HOOK_KEY_SLOTS 64 /* field names: 2.5 times their number */
#define HOOK_LIST_MAX 1000 /* entries in one list field */

typedef struct {
	unsigned call_id; /* the call in progress: refs of others are stale */
	int cell_mt_ref, list_mt_ref;
	const char *keys[HOOK_KEY_SLOTS]; /* field names by address */
	unsigned char key_field[HOOK_KEY_SLOTS];
} hook_cells;

typedef struct {
	unsigned magic; /* tells a ref from other userdata */
	size_t idx;     /* the cell: r->cs->v[idx] */
	unsigned call;  /* the call it was made for (call_id) */
	int field;      /* a list field, or -1 for the cell itself */
} hook_ref;

enum hook_kind { K_RO, K_BOOL, K_STRING, K_OPTIONAL, K_SKIP, K_LIST };

/* Cell fields in name order, which is the order of pairs over a cell. */
enum {
	X_ALIASES, X_BASE, X_BUILD_ARGS, X_BUILD_PACKAGES, X_CONFIGURE, X_ENV,
	X_GET_PIP_SHA256, X_GET_PIP_URL, X_LTO, X_MAJOR, X_MAKE_FLAGS,
	X_MINOR, X_PATCH, X_PGO, X_PIP, X_PLATFORMS, X_PRE, X_RUN_PACKAGES,
	X_SERIES, X_SHA256, X_SKIP, X_SPEC, X_TAG, X_URL, X_VARIANT, X_VERSION,
	HOOK_NFIELDS
};

typedef struct {
	const char *name;
	enum hook_kind kind;
	int slot;      /* lists: the cell ref's user value caching the list ref */
	size_t offset; /* where a writable field is in a cell */
} hook_field;

extern const hook_field hook_fields[HOOK_NFIELDS];

/* Field id of c, which must be of the kind the caller names. */
static inline strlist *field_list(cell *c, int id)
{
	return (strlist *)((char *)c + hook_fields[id].offset);
}
static inline pstr *field_string(cell *c, int id)
{
	return (pstr *)((char *)c + hook_fields[id].offset);
}
static inline pbool *field_bool(cell *c, int id)
{
	return (pbool *)((char *)c + hook_fields[id].offset);
}

/* The refs' metatables, and the field names interned for lookups. */
void cells_setup(hookrun *r, lua_State *L);
/* A new call: the refs of earlier ones go stale. */
void cells_new_call(hookrun *r);
/* Push a ref of cell idx (field -1) or of one of its list fields. */
void cells_push_ref(hookrun *r, lua_State *L, size_t idx, int field);
/* pairs over the ref at 1: pushes iterator, state, first key. */
int cells_pairs(lua_State *L, const hook_ref *p);

/* The ref at idx, or NULL. */
const hook_ref *as_ref(lua_State *L, int idx);
/* The cell of ref p (raises if it belongs to another call). */
cell *ref_cell(lua_State *L, const hook_ref *p);
/* The list of list ref p, for reading. */
strlist *ref_list(lua_State *L, const hook_ref *p);
/* "nil", "a string", "a cell", "a list": for messages */
const char *a_type(lua_State *L, int idx);

/* l[i] = the value at idx (a string, or nil for the last entry), with the
 * hook line as its origin. absent: the caller knows the value is not in
 * the list, so there is no equal entry to share. */
void list_put(hookrun *r, lua_State *L, const hook_ref *p, lua_Integer i,
	      int idx, bool absent);

/* Is entry e exactly the len bytes at s? Reads at most len + 1 bytes. */
bool same_bytes(const char *e, const char *s, size_t len);
/* Charge the work of comparing a value of len bytes with n entries. */
void charge_scan(lua_State *L, size_t n, size_t len);
/* How hook_take_string words its two errors: printf formats given the
 * subject (%s) and LIMIT_STRING_BYTES (%d, which nul may leave out). */
typedef struct {
	const char *nul;      /* the string contains a NUL byte */
	const char *too_long; /* it is longer than LIMIT_STRING_BYTES */
} hook_string_errs;

/* The string at idx, copied into the run's arena (r->a) and charged to
 * the memory cap like Lua's own; raises errs' message about what if it
 * contains a NUL byte or is longer than LIMIT_STRING_BYTES. */
const char *hook_take_string(hookrun *r, lua_State *L, int idx,
			     const char *what, const hook_string_errs *errs);
/* A reason (skip, drop_platform) shows as it is: no control character,
 * nor one of Unicode's that move or reorder text. */
bool hook_reason_ok(const char *s, size_t len);

#endif
