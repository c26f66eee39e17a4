/* arena.c - bump allocator in chained blocks.
 *
 * Blocks grow geometrically up to 1 MiB; a request larger than a block gets
 * a block of its own. Nothing is freed individually, which is what makes the
 * compiler's ownership simple: the run owns everything.
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16
#define MIN_BLOCK 4096
#define MAX_BLOCK (1u << 20)

struct block {
	struct block *next;
	size_t size, used;
	_Alignas(ALIGN) unsigned char data[];
};

struct arena {
	struct block *head;
	size_t next_size, total;
};

static void out_of_memory(void)
{
	fputs("matrixc: fatal: out of memory\n", stderr);
	abort();
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

arena *arena_new(void)
{
	arena *a = calloc(1, sizeof *a);
	if (!a)
		out_of_memory();
	a->next_size = MIN_BLOCK;
	return a;
}

void arena_free(arena *a)
{
	if (!a)
		return;
	struct block *b = a->head;
	while (b) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
	free(a);
}

static struct block *new_block(arena *a, size_t need)
{
	size_t size = a->next_size;
	if (size < need)
		size = need;
	struct block *b = malloc(sizeof *b + size);
	if (!b)
		out_of_memory();
	b->size = size;
	b->used = 0;
	b->next = a->head;
	a->head = b;
	if (a->next_size < MAX_BLOCK)
		a->next_size *= 2;
	return b;
}

/* size bytes, not zeroed: for callers that write every byte */
static void *alloc_raw(arena *a, size_t size)
{
	size_t rounded = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (rounded < size)
		out_of_memory();
	struct block *b = a->head;
	if (!b || b->size - b->used < rounded)
		b = new_block(a, rounded);
	void *p = b->data + b->used;
	b->used += rounded;
	a->total += rounded;
	return p;
}

void *arena_alloc(arena *a, size_t size)
{
	return memset(alloc_raw(a, size), 0, size);
}

void *arena_grow(arena *a, void *old, size_t old_size, size_t new_size)
{
	unsigned char *p = alloc_raw(a, new_size);
	size_t keep = old ? (old_size < new_size ? old_size : new_size) : 0;
	if (keep)
		memcpy(p, old, keep);
	memset(p + keep, 0, new_size - keep);
	return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = alloc_raw(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(arena *a, const char *fmt, va_list ap)
{
	char small[256];
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(small, sizeof small, fmt, copy);
	va_end(copy);
	if (n < 0)
		out_of_memory();
	char *p = alloc_raw(a, (size_t)n + 1);
	if ((size_t)n < sizeof small)
		return memcpy(p, small, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}
