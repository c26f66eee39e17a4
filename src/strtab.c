/* strtab.c - open-addressing string table. */
#include "strtab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

void strtab_init(strtab *t, size_t expected)
{
	t->size = 16;
	while (t->size < expected * 2)
		t->size *= 2;
	t->n = 0;
	t->keys = xrealloc(NULL, t->size * sizeof *t->keys);
	t->vals = xrealloc(NULL, t->size * sizeof *t->vals);
	memset(t->keys, 0, t->size * sizeof *t->keys);
}

void strtab_release(strtab *t)
{
	free(t->keys);
	free(t->vals);
	t->keys = NULL;
	t->vals = NULL;
	t->size = t->n = 0;
}

/* the slot holding key, or the empty slot where it would go */
static size_t find(const strtab *t, const char *key)
{
	size_t i = (size_t)(hash(key) & (t->size - 1));
	while (t->keys[i] && strcmp(t->keys[i], key) != 0)
		i = (i + 1) & (t->size - 1);
	return i;
}

/* keep the load under one half */
static void grow(strtab *t)
{
	strtab bigger;
	strtab_init(&bigger, t->size);
	for (size_t i = 0; i < t->size; i++)
		if (t->keys[i]) {
			size_t j = find(&bigger, t->keys[i]);
			bigger.keys[j] = t->keys[i];
			bigger.vals[j] = t->vals[i];
		}
	bigger.n = t->n;
	strtab_release(t);
	*t = bigger;
}

bool strtab_put(strtab *t, const char *key, size_t val, size_t *old)
{
	if ((t->n + 1) * 2 > t->size)
		grow(t);
	size_t i = find(t, key);
	if (t->keys[i]) {
		if (old)
			*old = t->vals[i];
		return false;
	}
	t->keys[i] = key;
	t->vals[i] = val;
	t->n++;
	return true;
}

bool strtab_get(const strtab *t, const char *key, size_t *val)
{
	size_t i = find(t, key);
	if (!t->keys[i])
		return false;
	if (val)
		*val = t->vals[i];
	return true;
}
