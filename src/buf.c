/* buf.c - growable byte buffer with a maximum size. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define DEFAULT_MAX ((size_t)64 << 20)

void buf_init(buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : DEFAULT_MAX;
	b->overflow = false;
}

void buf_release(buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void buf_reset(buf *b)
{
	b->len = 0;
	b->overflow = false;
	if (b->data)
		b->data[0] = '\0';
}

bool buf_reserve(buf *b, size_t len)
{
	if (b->overflow || len > b->max - b->len) {
		b->overflow = true;
		return false;
	}
	size_t need = b->len + len + 1;
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap * 2 : 256;
	if (cap < need)
		cap = need;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return true;
}

void buf_add(buf *b, const void *data, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void buf_puts(buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_putc(buf *b, char c)
{
	buf_add(b, &c, 1);
}

/* Nearly every format matrixc uses is text and %s. Those are appended
 * piece by piece: glibc's vsnprintf costs about 800 instructions a call
 * before it writes a byte, and the emitters make thousands of calls.
 * Like the vsnprintf path, an output that does not fit adds nothing. */
static bool only_strings(const char *fmt)
{
	for (const char *p = fmt; (p = strchr(p, '%')); p += 2)
		if (p[1] != 's')
			return false;
	return true;
}

static void add_strings(buf *b, const char *fmt, va_list ap)
{
	size_t start = b->len;
	for (const char *p = fmt;;) {
		const char *pc = strchr(p, '%');
		if (!pc) {
			buf_puts(b, p);
			break;
		}
		buf_add(b, p, (size_t)(pc - p));
		const char *s = va_arg(ap, const char *);
		buf_puts(b, s ? s : "(null)"); /* as glibc prints it */
		p = pc + 2;
	}
	if (b->overflow && b->data) {
		b->len = start;
		b->data[start] = '\0';
	}
}

/* Any other format is formatted once: into the room the buffer already
 * has (made at least PRINTF_ROOM bytes when the cap allows), and a
 * second time only when the output did not fit. */
#define PRINTF_ROOM 256

void buf_vprintf(buf *b, const char *fmt, va_list ap)
{
	if (b->overflow)
		return;
	if (only_strings(fmt)) {
		add_strings(b, fmt, ap);
		return;
	}
	if (b->cap - b->len < PRINTF_ROOM && b->max - b->len >= PRINTF_ROOM)
		buf_reserve(b, PRINTF_ROOM);
	size_t room = b->cap - b->len; /* with the NUL; 0 before any data */
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, copy);
	va_end(copy);
	if (n < 0) {
		if (room)
			b->data[b->len] = '\0';
		return;
	}
	if ((size_t)n >= room) {
		if (!buf_reserve(b, (size_t)n)) {
			if (room)
				b->data[b->len] = '\0'; /* drop the partial output */
			return;
		}
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	} else if ((size_t)n > b->max - b->len) {
		b->overflow = true;
		b->data[b->len] = '\0';
		return;
	}
	b->len += (size_t)n;
}

void buf_printf(buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_trim(buf *b)
{
	if (!b->data || b->cap == b->len + 1)
		return;
	b->data = xrealloc(b->data, b->len + 1);
	b->cap = b->len + 1;
}

bool buf_ok(const buf *b)
{
	return !b->overflow;
}

const char *buf_str(const buf *b)
{
	return b->len ? b->data : "";
}
