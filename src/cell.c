/* cell.c - the cell set. */
#include "cell.h"

#include <string.h>

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

const char *cell_default_tag(arena *a, const cell *c)
{
	return arena_printf(a, "%s-%s", c->version_str, c->variant->name.s);
}

bool cell_has_default_tag(const cell *c)
{
	size_t n = strlen(c->version_str);
	return strncmp(c->tag.s, c->version_str, n) == 0 && c->tag.s[n] == '-' &&
	       strcmp(c->tag.s + n + 1, c->variant->name.s) == 0;
}
