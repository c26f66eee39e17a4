/* contentid.c - the content identity of a generated Dockerfile (see
 * contentid.h). */
#include "contentid.h"

#include "sha256.h"

void contentid_write(buf *b, const cell *c)
{
	buf_puts(b, CONTENTID_PLATFORMS);
	for (size_t i = 0; i < c->platforms.n; i++)
		buf_printf(b, " %s", c->platforms.v[i].s);
	buf_puts(b, "\n# " CONTENTID_LABEL ": sha256 of this file without "
		    "the LABEL line below\n");
	char hex[65];
	sha256_hex_of(b->data, b->len, hex);
	buf_puts(b, CONTENTID_LINE);
	buf_puts(b, hex);
	buf_putc(b, '\n');
}
