/* hook_settle.h - provenance of what hooks store, settled after each call.
 *
 * Part of the Lua layer (see hook_run.h). Before the first store into a
 * cell in a call, its values are kept (prov_begin_store); after the call,
 * settle gives a value set back to what it was its origin again (a list
 * entry moved, or removed and added, keeps where it came from), makes the
 * optimization flags follow pgo and lto, records the entries the call
 * removed from lists (cell.removed) with the hook line, and rejects a cell whose variant
 * promises PGO or LTO but that a hook built without it under the tag
 * that claims it.
 */
#ifndef MATRIXC_HOOK_SETTLE_H
#define MATRIXC_HOOK_SETTLE_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "cell.h"

typedef struct hookrun hookrun;

/* An entry that left a list during the call: which cell and list, the
 * value (NULL: the whole list was replaced), the hook line. */
typedef struct {
	size_t cell, next; /* next: the cell's earlier drop + 1, or 0 */
	int field;
	const char *value;
	srcpos at;
} prov_drop;

typedef struct {
	cell *before;     /* per cell: its values before the call's stores */
	unsigned *stored; /* the call (call_id) that last stored into it */
	unsigned *owned;  /* list fields copied in that call, by bit */
	prov_drop *drops; /* this call's, to tell who removed an entry */
	size_t ndrops, dropcap;
	unsigned drops_call;
	size_t *last_drop; /* per cell: its latest drop + 1, or 0 */
} hook_prov;

void prov_init(hookrun *r);
void prov_free(hookrun *r);

/* Cell i, ready for a store in the call in progress. */
cell *prov_begin_store(hookrun *r, size_t i);
/* List field id of cell i, ready for changes: copied once per call. */
strlist *prov_own_list(hookrun *r, size_t i, int id);
/* List field id of cell i, to be rewritten whole: empty. */
strlist *prov_fresh_list(hookrun *r, size_t i, int id);

/* The entry value (NULL: every entry) is leaving list field id of cell
 * i, at the hook line running: settle blames an entry that the call
 * removed on the last such line. */
void prov_dropped(hookrun *r, lua_State *L, size_t i, int id,
		  const char *value);

/* After a call that may have stored into cell i. False after reporting
 * an error. */
bool settle(hookrun *r, size_t i);

#endif
