/* quote.h - escaping for each destination.
 *
 * Values that names.h accepts need none of this; everything else that
 * reaches an output goes through one of these, chosen by where it lands.
 */
#ifndef MATRIXC_QUOTE_H
#define MATRIXC_QUOTE_H

#include "buf.h"

/* POSIX shell single quotes: it's -> 'it'\''s'. Safe inside a Dockerfile
 * RUN line, and (after quote_make) inside a Makefile recipe. */
void quote_sh(buf *b, const char *s);
/* Shell word, quoted only when needed (names that match [A-Za-z0-9_./:=@%+,-]+
 * are left as they are, so generated files stay readable). */
void quote_sh_word(buf *b, const char *s);
/* Make: $ -> $$ for recipe text (applied after shell quoting). */
void quote_make(buf *b, const char *s);
/* Dockerfile ENV/ARG value in double quotes: \ " $ escaped. */
void quote_docker(buf *b, const char *s);

#endif
