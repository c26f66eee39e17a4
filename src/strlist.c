/* strlist.c - ordered lists of positioned strings. */
#include "strlist.h"

#include <string.h>

void strlist_add(arena *a, strlist *l, const char *s, srcpos at)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		l->v = arena_grow(a, l->v, l->cap * sizeof *l->v,
				  cap * sizeof *l->v);
		l->cap = cap;
	}
	l->v[l->n++] = (pstr){s, at};
}

void strlist_add_unique(arena *a, strlist *l, const char *s, srcpos at)
{
	if (!strlist_has(l, s))
		strlist_add(a, l, s, at);
}

void strlist_copy(arena *a, strlist *dst, const strlist *src)
{
	for (size_t i = 0; i < src->n; i++)
		strlist_add(a, dst, src->v[i].s, src->v[i].at);
}

bool strlist_has(const strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].s, s) == 0)
			return true;
	return false;
}

size_t strlist_remove(strlist *l, const char *s)
{
	size_t out = 0;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].s, s) != 0)
			l->v[out++] = l->v[i];
	size_t removed = l->n - out;
	l->n = out;
	return removed;
}

void strlist_clear(strlist *l)
{
	l->n = 0;
}
