/* heap.c - the memory of one Lua state (see heap.h). */
#include "heap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SLAB_BYTES ((size_t)64 << 10)

struct heap_block {
	heap_block *next;
};

/* Headers are HEAP_GRAIN bytes (a union with max_align_t keeps the
 * blocks after them aligned for any type). */
struct heap_slab {
	union {
		heap_slab *next;
		max_align_t align;
	} u;
};

struct heap_big {
	union {
		struct {
			heap_big *prev, *next;
		} link;
		max_align_t align[2];
	} u;
};

void heap_init(heap *h, size_t cap)
{
	*h = (heap){.cap = cap};
}

static bool take(heap *h, size_t bytes)
{
	if (bytes > h->cap - h->used) {
		h->refused = true;
		return false;
	}
	h->used += bytes;
	return true;
}

static size_t class_of(size_t n)
{
	return (n + HEAP_GRAIN - 1) / HEAP_GRAIN - 1;
}

static void *small_alloc(heap *h, size_t cls)
{
	heap_block *b = h->free[cls];
	if (b) {
		h->free[cls] = b->next;
		return b;
	}
	size_t size = (cls + 1) * HEAP_GRAIN;
	if ((size_t)(h->end - h->next) < size) {
		if (!take(h, SLAB_BYTES))
			return NULL;
		heap_slab *s = malloc(SLAB_BYTES);
		if (!s) {
			h->used -= SLAB_BYTES;
			return NULL;
		}
		s->u.next = h->slabs;
		h->slabs = s;
		h->next = (char *)(s + 1);
		h->end = (char *)s + SLAB_BYTES;
	}
	void *p = h->next;
	h->next += size;
	return p;
}

static void small_free(heap *h, void *p, size_t cls)
{
	heap_block *b = p;
	b->next = h->free[cls];
	h->free[cls] = b;
}

static void unlink_big(heap *h, heap_big *b)
{
	if (b->u.link.prev)
		b->u.link.prev->u.link.next = b->u.link.next;
	else
		h->bigs = b->u.link.next;
	if (b->u.link.next)
		b->u.link.next->u.link.prev = b->u.link.prev;
}

static void link_big(heap *h, heap_big *b)
{
	b->u.link.prev = NULL;
	b->u.link.next = h->bigs;
	if (h->bigs)
		h->bigs->u.link.prev = b;
	h->bigs = b;
}

/* A large block of nsize bytes: a new one (old NULL) or old resized. */
static void *big_realloc(heap *h, void *old, size_t osize, size_t nsize)
{
	size_t had = old ? sizeof(heap_big) + osize : 0;
	if (nsize > SIZE_MAX - sizeof(heap_big))
		return NULL;
	size_t want = sizeof(heap_big) + nsize;
	if (want > had && !take(h, want - had))
		return NULL;
	heap_big *b = old ? (heap_big *)old - 1 : NULL;
	if (b)
		unlink_big(h, b);
	heap_big *nb = realloc(b, want);
	if (!nb) {
		if (b)
			link_big(h, b);
		if (want > had)
			h->used -= want - had;
		return NULL;
	}
	link_big(h, nb);
	if (want < had)
		h->used -= had - want;
	return nb + 1;
}

static void big_free(heap *h, void *p, size_t size)
{
	heap_big *b = (heap_big *)p - 1;
	unlink_big(h, b);
	h->used -= sizeof(heap_big) + size;
	free(b);
}

void *heap_realloc(heap *h, void *ptr, size_t osize, size_t nsize)
{
	size_t old = ptr ? osize : 0;
	bool was_small = old <= HEAP_SMALL;
	if (nsize == 0) {
		if (!ptr)
			return NULL;
		if (was_small)
			small_free(h, ptr, class_of(old));
		else
			big_free(h, ptr, old);
		return NULL;
	}
	if (nsize <= HEAP_SMALL) {
		if (ptr && was_small && class_of(old) == class_of(nsize))
			return ptr;
		void *p = small_alloc(h, class_of(nsize));
		if (!p || !ptr)
			return p;
		memcpy(p, ptr, old < nsize ? old : nsize);
		heap_realloc(h, ptr, old, 0);
		return p;
	}
	if (ptr && !was_small)
		return big_realloc(h, ptr, old, nsize);
	void *p = big_realloc(h, NULL, 0, nsize);
	if (p && ptr) {
		memcpy(p, ptr, old);
		small_free(h, ptr, class_of(old));
	}
	return p;
}

void heap_release(heap *h)
{
	for (heap_slab *s = h->slabs, *next; s; s = next) {
		next = s->u.next;
		free(s);
	}
	for (heap_big *b = h->bigs, *next; b; b = next) {
		next = b->u.link.next;
		free(b);
	}
	heap_init(h, h->cap);
}
