/* The Lua heap: size classes, large blocks, the cap, release. */
#include <stdint.h>
#include <stdlib.h>

#include "heap.h"
#include "tap.h"

static int aligned(const void *p)
{
	return (uintptr_t)p % HEAP_GRAIN == 0;
}

static void fill(void *p, size_t n, int c)
{
	memset(p, c, n);
}

static int holds(const void *p, size_t n, int c)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		if (s[i] != (unsigned char)c)
			return 0;
	return 1;
}

static void classes(void)
{
	heap h;
	heap_init(&h, (size_t)1 << 20);
	void *a = heap_realloc(&h, NULL, 5 /* a type tag */, 24);
	ok(a && aligned(a), "a small block, aligned");
	fill(a, 24, 'a');
	ok(heap_realloc(&h, a, 24, 30) == a, "growing within its class keeps it");
	void *b = heap_realloc(&h, a, 24, 100);
	ok(b && b != a && holds(b, 24, 'a'), "growing past its class copies");
	void *c = heap_realloc(&h, NULL, 0, 20);
	ok(c == a, "a freed block is reused by its class");
	size_t used = h.used;
	for (int i = 0; i < 1000; i++) {
		void *p = heap_realloc(&h, NULL, 0, 48);
		heap_realloc(&h, p, 48, 0);
	}
	ok(h.used == used, "alloc and free in a loop takes no memory");
	void *big = heap_realloc(&h, b, 100, 100000);
	ok(big && aligned(big) && holds(big, 24, 'a'),
	   "small to large copies, aligned");
	fill(big, 100000, 'b');
	void *bigger = heap_realloc(&h, big, 100000, 300000);
	ok(bigger && holds(bigger, 100000, 'b'), "a large block grows, keeping its contents");
	void *back = heap_realloc(&h, bigger, 300000, 16);
	ok(back && holds(back, 16, 'b') && h.used == used,
	   "large to small gives the large block back");
	ok(heap_realloc(&h, NULL, 0, 0) == NULL, "freeing NULL");
	heap_release(&h);
	ok(h.used == 0 && !h.slabs && !h.bigs, "released");
}

static void cap(void)
{
	heap h;
	heap_init(&h, (size_t)256 << 10);
	void *a = heap_realloc(&h, NULL, 0, 200000);
	ok(a && !h.refused, "a large block within the cap");
	fill(a, 200000, 'c');
	ok(heap_realloc(&h, NULL, 0, 100000) == NULL && h.refused,
	   "one past the cap is refused");
	h.refused = false;
	void *b = heap_realloc(&h, a, 200000, 300000);
	ok(b == NULL && h.refused, "a growth past the cap is refused");
	h.refused = false;
	ok(holds(a, 200000, 'c'), "and the block stays as it was");
	heap_realloc(&h, a, 200000, 0);
	ok(h.used == 0, "freed large blocks give their memory back");
	/* small blocks stay in their class: filling one class and then
	 * another cannot hold more than the cap */
	size_t n = 0;
	void *p, *first = NULL;
	while ((p = heap_realloc(&h, NULL, 0, 32)) != NULL) {
		*(void **)p = first;
		first = p;
		n++;
	}
	ok(h.refused && h.used <= h.cap, "small blocks stop at the cap (%zu)", n);
	h.refused = false;
	while (first) {
		void *next = *(void **)first;
		heap_realloc(&h, first, 32, 0);
		first = next;
	}
	ok(heap_realloc(&h, NULL, 0, 64) == NULL && h.refused,
	   "freed blocks of one class do not serve another past the cap");
	heap_release(&h);
}

int main(void)
{
	classes();
	cap();
	return tap_done();
}
