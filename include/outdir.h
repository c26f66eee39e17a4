/* outdir.h - the output directory: atomic writes, ownership, staleness.
 *
 * generate is atomic for the whole tree: after a failure or a kill at any
 * moment the directory is entirely the old tree or entirely the new one
 * (the new tree is built in the sibling .NAME.matrixc-swap and swapped in
 * with renameat2's RENAME_EXCHANGE). Unchanged files keep their inode and
 * mtime; files matrixc does not own are kept as they are; the files of
 * the old manifest no longer generated are removed, and nothing else.
 * Where a swap cannot be done (a mount point, a repository's root, a file
 * system without the exchange), files are replaced one by one, each old
 * or new, and a warning says so. Nothing outside the directory is written
 * but that sibling, which a killed run may leave and the next run removes.
 * check compares the in-memory outset with the directory and produces a
 * unified diff; it never reads the sibling. Neither follows a symlink out
 * of the output directory.
 */
#ifndef MATRIXC_OUTDIR_H
#define MATRIXC_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "diff.h"
#include "diag.h"
#include "emit.h"
#include "strtab.h"

typedef struct {
	size_t written, unchanged, removed;
} outdir_stats;

/* Write os under dir. Errors (I/O) are reported to d; returns false. */
bool outdir_write(const char *dir, const outset *os, diag *d,
		  outdir_stats *st);

/* check's first pass, set up before emit_all: each file, once whole, is
 * compared with the one under dir, and the content of a file that is up
 * to date is freed at once (outfile.up_to_date), so that the tree is
 * never held whole in memory; outdir_check looks again at the others
 * only. A file whose directory is not a plain one under dir is left to
 * outdir_check, and nothing is reported here. */
typedef struct {
	const char *root;
	arena *a;
	strtab dirs;	 /* the directories found plain so far */
	char last[4096]; /* outtree_unsafe_parents' */
} outdir_early;
void outdir_check_early(outdir_early *e, const char *dir, outset *os);
void outdir_early_release(outdir_early *e);

/* Compare os with dir. Appends a unified diff to diff, capped by budget
 * (diff.h), which counts the lines it left out. Returns 0 up to date,
 * 1 stale, -1 on I/O error (reported). */
int outdir_check(const char *dir, const outset *os, diag *d, buf *diff,
		 diff_budget *budget);

#endif
