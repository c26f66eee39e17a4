/* quote.c - escaping for shell, make and Dockerfile destinations. */
#include "quote.h"

#include <string.h>

void quote_sh(buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *p);
	}
	buf_putc(b, '\'');
}

static int safe_word(const char *s)
{
	if (!*s)
		return 0;
	for (const char *p = s; *p; p++) {
		char c = *p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || strchr("_./:=@%+,-", c);
		if (!ok)
			return 0;
	}
	return 1;
}

void quote_sh_word(buf *b, const char *s)
{
	if (safe_word(s))
		buf_puts(b, s);
	else
		quote_sh(b, s);
}

void quote_make(buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '$')
			buf_puts(b, "$$");
		else
			buf_putc(b, *p);
	}
}

void quote_docker(buf *b, const char *s)
{
	buf_putc(b, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\' || *p == '$')
			buf_putc(b, '\\');
		buf_putc(b, *p);
	}
	buf_putc(b, '"');
}
