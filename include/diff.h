/* diff.h - unified diffs of two texts, for `matrixc check`. */
#ifndef MATRIXC_DIFF_H
#define MATRIXC_DIFF_H

#include <stddef.h>

#include "buf.h"

/* Append a unified diff (3 lines of context) of old -> new to out, with
 * "--- old_name" / "+++ new_name" headers. At most *budget lines are
 * written; *budget is decreased by the lines written, and a marker line
 * says when the diff was cut. Nothing is written when the texts are equal.
 * A missing side is given as NULL text. */
void diff_unified(buf *out, const char *old_name, const char *old, size_t olen,
		  const char *new_name, const char *new, size_t nlen,
		  size_t *budget);

#endif
