/* outdir.h - the output directory: atomic writes, ownership, staleness.
 *
 * generate writes only the files whose bytes changed: every changed file
 * to a temporary name, one syncfs of the file system, the renames, one more
 * syncfs (fsync per file where syncfs is missing or a file is elsewhere).
 * It removes files listed in the old manifest that are no longer
 * generated, and never touches anything else.
 * check compares the in-memory outset with the directory and produces a
 * unified diff. Neither follows a symlink out of the output directory.
 */
#ifndef MATRIXC_OUTDIR_H
#define MATRIXC_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "emit.h"
/* TEMPORARY: only for src/hooks.c, which still takes file_read from here
 * while it is being split; the lead removes this line at the merge, when
 * hooks includes fileio.h itself. Nothing else may rely on it. */
#include "fileio.h"

typedef struct {
	size_t written, unchanged, removed;
} outdir_stats;

/* Write os under dir. Errors (I/O) are reported to d; returns false. */
bool outdir_write(const char *dir, const outset *os, diag *d,
		  outdir_stats *st);

/* Compare os with dir. Appends a unified diff (capped at max_lines) to
 * diff. Returns 0 up to date, 1 stale, -1 on I/O error (reported). */
int outdir_check(const char *dir, const outset *os, diag *d, buf *diff,
		 size_t max_lines);

#endif
