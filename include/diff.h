/* diff.h - unified diffs of two texts, for `matrixc check`. */
#ifndef MATRIXC_DIFF_H
#define MATRIXC_DIFF_H

#include <stddef.h>

#include "buf.h"

/* A cap on the lines of diff written, shared by every file of one check. */
typedef struct {
	size_t left;    /* lines that may still be written */
	size_t omitted; /* lines of diff that did not fit, counted */
} diff_budget;

/* Append a unified diff (3 lines of context) of old -> new to out, with
 * "--- old_name" / "+++ new_name" headers. Each line, headers included,
 * takes one from b->left; once it is 0, lines are counted in b->omitted
 * instead of written (a hunk may be cut in its middle). Nothing is
 * written when the texts are equal. A missing side is given as NULL. */
void diff_unified(buf *out, const char *old_name, const char *old, size_t olen,
		  const char *new_name, const char *new, size_t nlen,
		  diff_budget *b);

/* One line of diff output (printf-style, without the newline) under the
 * same budget. */
void diff_note(buf *out, diff_budget *b, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
