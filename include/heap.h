/* heap.h - the memory of one Lua state: size classes in slabs, capped,
 * released all at once.
 *
 * Lua allocates and frees many small objects (strings, tables, closures,
 * call frames); malloc spends more on each than the object costs to use.
 * A heap hands out blocks of up to HEAP_SMALL bytes from 64 KiB slabs, in
 * 16-byte size classes, and keeps freed blocks on a list per class for the
 * next allocation of that class; larger blocks come from malloc, linked so
 * that heap_release finds them. heap_release frees every slab and large
 * block, so a Lua state whose heap is released needs no lua_close (hooks.c
 * allows no finalizers, which lua_close would run).
 *
 * The cap bounds the live bytes (each small block counted at its class
 * size) plus what the owner charges to the heap (used), as a cap on
 * malloc'd bytes would. Freed small blocks stay in their class, so what
 * the heap takes from malloc (taken) may pass what is live: no slab is
 * added once it reaches twice the cap, which a hook reaches only by
 * filling one class, then another. Lua needs a shrink to succeed, so a shrink is never refused.
 */
#ifndef MATRIXC_HEAP_H
#define MATRIXC_HEAP_H

#include <stdbool.h>
#include <stddef.h>

#define HEAP_SMALL 512      /* larger blocks come from malloc */
#define HEAP_GRAIN 16       /* size classes; the alignment of every block */
#define HEAP_CLASSES (HEAP_SMALL / HEAP_GRAIN)

typedef struct heap_block heap_block;
typedef struct heap_slab heap_slab;
typedef struct heap_big heap_big;

typedef struct {
	size_t used;    /* live bytes, and bytes charged by the owner */
	size_t cap;     /* used never grows past it but by a shrink */
	size_t taken;   /* bytes from malloc, headers included */
	bool refused;   /* the last request was refused by a limit */
	heap_block *free[HEAP_CLASSES];
	char *next, *end; /* the unused part of the newest slab */
	heap_slab *slabs;
	heap_big *bigs;
} heap;

/* An empty heap that takes at most cap bytes. */
void heap_init(heap *h, size_t cap);
/* lua_Alloc: nsize 0 frees ptr (of osize bytes); otherwise a block of
 * nsize bytes with the first min(osize, nsize) of ptr (or a new one when
 * ptr is NULL, osize then being a type tag), or NULL when a limit or
 * malloc refuses a growth, ptr then left as it was. */
void *heap_realloc(heap *h, void *ptr, size_t osize, size_t nsize);
/* Count bytes the owner took elsewhere against the cap; false (and
 * refused set) when they do not fit. Each call of either sets or clears
 * refused. */
bool heap_charge(heap *h, size_t bytes);
/* Free everything the heap has handed out. */
void heap_release(heap *h);

#endif
