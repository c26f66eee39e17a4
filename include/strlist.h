/* strlist.h - ordered lists of strings, each with its provenance.
 *
 * Configure flags, packages, env and tags are strlists: order is kept (it is
 * the order written in matrix.yaml, then the order hooks appended), and each
 * entry remembers where it came from so that `explain` can say so.
 */
#ifndef MATRIXC_STRLIST_H
#define MATRIXC_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"

/* A string and where it came from. */
typedef struct {
	const char *s;
	srcpos at;
} pstr;

typedef struct {
	pstr *v;
	size_t n, cap;
} strlist;

/* Room for n entries in all, so that adding up to n allocates nothing. */
void strlist_reserve(arena *a, strlist *l, size_t n);
/* s is not copied: it must live in a (or longer). */
void strlist_add(arena *a, strlist *l, const char *s, srcpos at);
/* Add unless an equal string is present. */
void strlist_add_unique(arena *a, strlist *l, const char *s, srcpos at);
/* Append src's entries to dst. */
void strlist_copy(arena *a, strlist *dst, const strlist *src);
bool strlist_has(const strlist *l, const char *s);
/* Remove every entry equal to s; returns how many were removed. */
size_t strlist_remove(strlist *l, const char *s);
void strlist_clear(strlist *l);

#endif
