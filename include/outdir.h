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
#include "diff.h"
#include "diag.h"
#include "emit.h"

typedef struct {
	size_t written, unchanged, removed;
} outdir_stats;

/* Write os under dir. Errors (I/O) are reported to d; returns false. */
bool outdir_write(const char *dir, const outset *os, diag *d,
		  outdir_stats *st);

/* Compare os with dir. Appends a unified diff to diff, capped by budget
 * (diff.h), which counts the lines it left out. Returns 0 up to date,
 * 1 stale, -1 on I/O error (reported). */
int outdir_check(const char *dir, const outset *os, diag *d, buf *diff,
		 diff_budget *budget);

/* Read a whole regular file (no symlink) into out, up to max bytes.
 * Returns 0, -1 with errno set, or -2 when over max. */
int file_read(const char *path, buf *out, size_t max);
/* Atomically replace path with data (temp, fsync, rename, fsync dir). */
bool file_write_atomic(const char *path, const char *data, size_t len,
		       diag *d);

#endif
