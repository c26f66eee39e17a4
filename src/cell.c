/* cell.c - the cell set. */
#include "cell.h"

void cellset_add(arena *a, cellset *cs, cell *c)
{
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 16;
		cs->v = arena_grow(a, cs->v, cs->cap * sizeof *cs->v,
				   cap * sizeof *cs->v);
		cs->cap = cap;
	}
	cs->v[cs->n++] = c;
}
