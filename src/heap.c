/* heap.c - the memory of one Lua state (see heap.h). */
#include "heap.h"

#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Under AddressSanitizer a block is addressable only while it is handed
 * out, so that a use after free or an overflow into a neighbour within a
 * slab is reported as it would be with malloc. */
#if defined(__SANITIZE_ADDRESS__)
#define HEAP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEAP_ASAN 1
#endif
#endif
#ifdef HEAP_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Is a block of size bytes from a slab? Under HEAP_DIRECT (the valgrind
 * build) none is: every block comes from malloc, so that memcheck sees
 * each one. */
static bool from_slab(size_t size)
{
#ifdef HEAP_DIRECT
	(void)size;
	return false;
#else
	return size <= HEAP_SMALL;
#endif
}

#define SLAB_BYTES ((size_t)64 << 10)
#define SLACK 2 /* what the heap may take from malloc, in caps */

struct heap_block {
	heap_block *next;
};

/* The headers are a multiple of max_align_t, which keeps the blocks
 * after them aligned for any type. */
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
			size_t size; /* bytes after the header */
		} link;
		max_align_t align[2];
	} u;
};

_Static_assert(sizeof(heap_slab) % HEAP_GRAIN == 0 &&
		       sizeof(heap_big) % HEAP_GRAIN == 0,
	       "block headers keep blocks aligned to HEAP_GRAIN");

void heap_init(heap *h, size_t cap)
{
	*h = (heap){.cap = cap};
}

/* Room for more live bytes under the cap? */
static bool fits(heap *h, size_t more)
{
	if (h->used > h->cap || more > h->cap - h->used) {
		h->refused = true;
		return false;
	}
	return true;
}

/* Room for a slab more? Large blocks are bounded by the cap on live
 * bytes; slabs, which keep freed blocks, by twice the cap on what the
 * heap takes from malloc. */
static bool take(heap *h, size_t bytes)
{
	if (h->taken > SLACK * h->cap || bytes > SLACK * h->cap - h->taken) {
		h->refused = true;
		return false;
	}
	h->taken += bytes;
	return true;
}

bool heap_charge(heap *h, size_t bytes)
{
	h->refused = false;
	if (!fits(h, bytes))
		return false;
	h->used += bytes;
	return true;
}

static size_t class_of(size_t n)
{
	return (n + HEAP_GRAIN - 1) / HEAP_GRAIN - 1;
}

/* A block of class cls. shrink: it replaces a larger one, which Lua
 * needs to succeed, so the limits do not apply (the larger block goes at
 * once) and running out of memory aborts, as the arena does. */
static void *small_alloc(heap *h, size_t cls, bool shrink)
{
	size_t size = (cls + 1) * HEAP_GRAIN;
	if (!shrink && !fits(h, size))
		return NULL;
	heap_block *b = h->free[cls];
	if (b) {
		UNPOISON(b, size);
		h->free[cls] = b->next;
	} else {
		if ((size_t)(h->end - h->next) < size) {
			if (shrink)
				h->taken += SLAB_BYTES;
			else if (!take(h, SLAB_BYTES))
				return NULL;
			heap_slab *s = shrink ? xrealloc(NULL, SLAB_BYTES)
					      : malloc(SLAB_BYTES);
			if (!s) {
				h->taken -= SLAB_BYTES;
				return NULL;
			}
			s->u.next = h->slabs;
			h->slabs = s;
			h->next = (char *)(s + 1);
			h->end = (char *)s + SLAB_BYTES;
			POISON(h->next, (size_t)(h->end - h->next));
		}
		b = (heap_block *)h->next;
		h->next += size;
		UNPOISON(b, size);
	}
	h->used += size;
	return b;
}

static void small_free(heap *h, void *p, size_t cls)
{
	size_t size = (cls + 1) * HEAP_GRAIN;
	heap_block *b = p;
	b->next = h->free[cls];
	h->free[cls] = b;
	h->used -= size;
	POISON(b, size);
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

static void link_big(heap *h, heap_big *b, size_t size)
{
	b->u.link.prev = NULL;
	b->u.link.next = h->bigs;
	b->u.link.size = size;
	if (h->bigs)
		h->bigs->u.link.prev = b;
	h->bigs = b;
}

/* A large block of nsize bytes: a new one (old NULL) or old resized. */
static void *big_realloc(heap *h, void *old, size_t nsize)
{
	heap_big *b = old ? (heap_big *)old - 1 : NULL;
	size_t had = b ? b->u.link.size : 0;
	if (nsize > SIZE_MAX - sizeof(heap_big))
		return NULL;
	if (nsize > had && !fits(h, nsize - had))
		return NULL;
	if (b)
		unlink_big(h, b);
	heap_big *nb = realloc(b, sizeof(heap_big) + nsize);
	if (!nb) {
		if (b)
			link_big(h, b, had);
		/* a shrink must not fail: keep the block */
		return nsize < had ? old : NULL;
	}
	link_big(h, nb, nsize);
	h->used = h->used - had + nsize;
	h->taken = h->taken - had + nsize + (b ? 0 : sizeof(heap_big));
	return nb + 1;
}

static void big_free(heap *h, void *p)
{
	heap_big *b = (heap_big *)p - 1;
	unlink_big(h, b);
	h->used -= b->u.link.size;
	h->taken -= sizeof(heap_big) + b->u.link.size;
	free(b);
}

/* Free ptr, a block of size bytes. */
static void free_block(heap *h, void *ptr, size_t size)
{
	if (from_slab(size))
		small_free(h, ptr, class_of(size));
	else
		big_free(h, ptr);
}

/* heap_realloc for what is not a new small block or a small block freed.
 * Not inlined: the fast paths would then save every register it uses. */
__attribute__((noinline)) static void *realloc_other(heap *h, void *ptr,
						     size_t osize, size_t nsize)
{
	size_t old = ptr ? osize : 0;
	bool was_small = from_slab(old);
	if (nsize == 0) {
		if (ptr)
			free_block(h, ptr, old);
		return NULL;
	}
	if (ptr && !was_small && !from_slab(nsize))
		return big_realloc(h, ptr, nsize);
	if (ptr && was_small && from_slab(nsize) &&
	    class_of(old) == class_of(nsize))
		return ptr;
	/* a new block, then the contents moved over */
	void *p = from_slab(nsize)
			  ? small_alloc(h, class_of(nsize), ptr && nsize < old)
			  : big_realloc(h, NULL, nsize);
	if (p && ptr) {
		memcpy(p, ptr, old < nsize ? old : nsize);
		free_block(h, ptr, old);
	}
	return p;
}

/* The two requests Lua makes most, a new small block and a small block
 * freed, come first. */
void *heap_realloc(heap *h, void *ptr, size_t osize, size_t nsize)
{
	h->refused = false;
	if (!ptr && nsize != 0 && from_slab(nsize))
		return small_alloc(h, class_of(nsize), false);
	if (ptr && nsize == 0 && from_slab(osize)) {
		small_free(h, ptr, class_of(osize));
		return NULL;
	}
	return realloc_other(h, ptr, osize, nsize);
}

void heap_release(heap *h)
{
	for (heap_slab *s = h->slabs, *next; s; s = next) {
		next = s->u.next;
		UNPOISON(s, SLAB_BYTES);
		free(s);
	}
	for (heap_big *b = h->bigs, *next; b; b = next) {
		next = b->u.link.next;
		free(b);
	}
	heap_init(h, h->cap);
}
