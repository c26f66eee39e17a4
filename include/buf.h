/* buf.h - growable byte buffer with a maximum size (after curl's dynbuf).
 *
 * Generated files are built in buffers before anything touches the disk, so
 * that `check` can compare and `generate` can write atomically. A buffer
 * that would pass its maximum stops growing and remembers the overflow;
 * buf_ok tells whether every append landed.
 */
#ifndef MATRIXC_BUF_H
#define MATRIXC_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
	char *data; /* NUL-terminated when len > 0 */
	size_t len, cap, max;
	bool overflow;
} buf;

/* max 0 means the default cap (64 MiB). */
void buf_init(buf *b, size_t max);
void buf_release(buf *b);
void buf_reset(buf *b);
/* Make room for len more bytes and the NUL, so that a known size takes
 * one allocation; false (and the overflow) when that would pass the
 * maximum. The capacity doubles, or becomes exactly what is asked for
 * when that is more. */
bool buf_reserve(buf *b, size_t len);
void buf_add(buf *b, const void *data, size_t len);
void buf_puts(buf *b, const char *s);
void buf_putc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf *b, const char *fmt, va_list ap);
bool buf_ok(const buf *b);
/* Give back the room past the contents and their NUL, once nothing more
 * will be appended (more still may be: the buffer grows again). A
 * generated file waits in memory until every file is made, and growth
 * by doubling leaves a quarter of a buffer empty on average. */
void buf_trim(buf *b);
/* The contents as a string ("" for an empty buffer); owned by the buffer. */
const char *buf_str(const buf *b);

#endif
