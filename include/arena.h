/* arena.h - one allocation region per run.
 *
 * Everything that lives as long as a compilation (the YAML tree, the typed
 * matrix, the cells and the plan) is allocated from one arena and released
 * at once with arena_free. Allocation failure aborts: matrixc's inputs are
 * capped (see limits_input.h), so running out of memory is an environment
 * fault, not an input error.
 */
#ifndef MATRIXC_ARENA_H
#define MATRIXC_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena arena;

arena *arena_new(void);
void arena_free(arena *a);

/* Zeroed memory, aligned for any type; owned by the arena. */
void *arena_alloc(arena *a, size_t size);
/* Grow an array allocated from the arena; old contents are copied. */
void *arena_grow(arena *a, void *old, size_t old_size, size_t new_size);
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *arena_vprintf(arena *a, const char *fmt, va_list ap);
/* realloc that aborts with a message when memory runs out, for the few
 * objects that outlive or are resized outside an arena. */
void *xrealloc(void *p, size_t size);


#endif
