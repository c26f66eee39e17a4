/* strtab.h - strings mapped to indices, for checks and groupings that must
 * stay linear in the number of cells (tag collisions, Makefile groups).
 *
 * Open addressing over an FNV-1a hash. Keys are not copied: they must
 * outlive the table. Iteration order is never exposed, so output cannot
 * depend on hash order.
 */
#ifndef MATRIXC_STRTAB_H
#define MATRIXC_STRTAB_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
	const char **keys;
	size_t *vals;
	size_t size, n;
} strtab;

/* An empty table with room for about expected keys (it grows past that). */
void strtab_init(strtab *t, size_t expected);
void strtab_release(strtab *t);

/* Insert key with val. Returns true when inserted; false when key was
 * present, with its value in *old (when old is not NULL). */
bool strtab_put(strtab *t, const char *key, size_t val, size_t *old);
/* true when key is present, with its value in *val (when not NULL) */
bool strtab_get(const strtab *t, const char *key, size_t *val);

#endif
