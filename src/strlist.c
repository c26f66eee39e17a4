/* strlist.c - ordered lists of positioned strings. */
#include "strlist.h"

#include <string.h>

void strlist_reserve(arena *a, strlist *l, size_t n)
{
	if (n <= l->cap)
		return;
	l->v = arena_grow(a, l->v, l->n * sizeof *l->v, n * sizeof *l->v);
	l->cap = n;
}

void strlist_add(arena *a, strlist *l, const char *s, srcpos at)
{
	if (l->n == l->cap)
		strlist_reserve(a, l, l->cap ? l->cap * 2 : 8);
	l->v[l->n++] = (pstr){s, at};
}

void strlist_add_unique(arena *a, strlist *l, const char *s, srcpos at)
{
	if (!strlist_has(l, s))
		strlist_add(a, l, s, at);
}

void strlist_copy(arena *a, strlist *dst, const strlist *src)
{
	if (src->n == 0)
		return;
	strlist_reserve(a, dst, dst->n + src->n);
	memcpy(dst->v + dst->n, src->v, src->n * sizeof *src->v);
	dst->n += src->n;
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
