/* The Lua heap: size classes, large blocks, the cap, release. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

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
	ok(back && holds(back, 16, 'b') && h.used == 32 + 16,
	   "large to small gives the large block back: c and back are live");
	ok(heap_realloc(&h, NULL, 0, 0) == NULL, "freeing NULL");
	heap_release(&h);
	ok(h.used == 0 && !h.slabs && !h.bigs, "released");
}

#define MAX_BLOCKS 20000

static void cap(void)
{
	static void *v[MAX_BLOCKS];
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

	size_t n = 0;
	while (n < MAX_BLOCKS && (v[n] = heap_realloc(&h, NULL, 0, 32)) != NULL)
		n++;
	ok(h.refused && h.used <= h.cap && n * 32 > h.cap - 32,
	   "small blocks stop at the cap (%zu)", n);
	h.refused = false;
	v[0] = heap_realloc(&h, v[0], 32, 16);
	ok(v[0] && !h.refused, "a shrink at the cap succeeds");
	heap_realloc(&h, v[0], 16, 0);
	for (size_t i = 1; i < n; i++)
		heap_realloc(&h, v[i], 32, 0);
	ok(h.used == 0, "all freed: nothing live");
	/* another class may fill what the first freed, up to twice the cap
	 * taken from malloc in all */
	size_t m = 0;
	while (m < MAX_BLOCKS && (v[m] = heap_realloc(&h, NULL, 0, 64)) != NULL)
		m++;
	ok(m * 64 >= h.cap / 2 && h.taken <= 2 * h.cap,
	   "another class then fills at least half the cap (%zu blocks), and "
	   "the heap takes at most twice the cap (%zu bytes)", m, h.taken);
	h.refused = false;
	ok(heap_realloc(&h, NULL, 0, 1000) == NULL && h.refused,
	   "and then a block of another size is refused too");
	h.refused = false;
	ok(!heap_charge(&h, h.cap - h.used + 1) && h.refused,
	   "a charge past the cap is refused");
	h.refused = false;
	heap_release(&h);
	ok(h.used == 0 && h.taken == 0, "released");

	/* a shrink from a large block to a small one at the cap */
	heap_init(&h, (size_t)64 << 10);
	void *l = heap_realloc(&h, NULL, 0, (size_t)60 << 10);
	while (heap_realloc(&h, NULL, 0, 400) != NULL)
		;
	h.refused = false;
	void *s8 = heap_realloc(&h, l, (size_t)60 << 10, 8);
	ok(s8 && !h.refused && h.used <= h.cap,
	   "a large block shrinks to a small one at the cap");
	ok(heap_charge(&h, 16) && h.used <= h.cap, "a charge that fits");
	heap_release(&h);
}

/* Under AddressSanitizer, a freed block in a slab is poisoned: a write to
 * it is reported (in a child, whose report goes nowhere). */
static void poisoned(void)
{
#if defined(__SANITIZE_ADDRESS__)
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr))
			_exit(0);
		heap h;
		heap_init(&h, (size_t)1 << 20);
		volatile char *p = heap_realloc(&h, NULL, 0, 32);
		heap_realloc(&h, (void *)p, 32, 0);
		p[8] = 'x';
		_exit(0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) != 0,
	   "ASan reports a write to a freed block");
#endif
}

int main(void)
{
	classes();
	cap();
	poisoned();
	return tap_done();
}
