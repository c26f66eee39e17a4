/* outswap.h - generate's whole tree at once: build the new tree beside
 * the output and swap the two directories in one step.
 *
 * Contract: the new tree is built in the sibling PARENT/.NAME.matrixc-swap
 * (same file system) from hard links (unchanged files, files matrixc does
 * not own) and new files; one syncfs puts it on disk; renameat2's
 * RENAME_EXCHANGE swaps it in; an fsync of the parent makes that durable;
 * the old tree, now at the sibling's name, is pruned of what is matrixc's
 * only. A kill at any moment leaves the old tree or the new one, and at
 * most the sibling, which outswap_clear_spare removes on the next run.
 * The caller holds the parent's lock (outpath_lock) throughout.
 */
#ifndef MATRIXC_OUTSWAP_H
#define MATRIXC_OUTSWAP_H

#include <stdbool.h>

#include "diag.h"
#include "emit.h"
#include "outdir.h"

/* The output directory as a name in its parent, and the sibling that
 * holds the new tree while it is built (and the old one after the swap). */
typedef struct {
	char *root;   /* the output directory (a symlink given with -o resolved) */
	char *parent; /* its parent directory */
	char *name;   /* its name there; "" for "/" */
	char *spare;  /* parent/.NAME.matrixc-swap */
	char *spare_name;
	int pfd;      /* the parent, open and locked */
} outpath;

/* Split root into parent and name (a symlink, or a name ending in "."
 * or "..", resolved first); false, reported, when it cannot be resolved.
 * Release with outpath_release, also after a failure. */
bool outpath_init(outpath *o, const char *root, diag *d);
void outpath_release(outpath *o);
/* Create the parent directories and lock the parent (flock): two runs at
 * once are serialised, and the lock outlives the swap. */
bool outpath_lock(outpath *o, diag *d);
/* Why the tree cannot be swapped whole (a mount point, the root of a
 * repository or of the file system), or NULL when it can. */
const char *outpath_why_in_place(const outpath *o);

/* Remove the sibling: this run's, or one a killed run left. What is not
 * matrixc's stays, and is reported; false then. */
bool outswap_clear_spare(const outpath *o, const outset *os, diag *d);
/* Write os as the new tree and swap it in. 1 done (or nothing to
 * change), 0 failed (reported), -1 this file system cannot: the output
 * is untouched and nothing is left, so write file by file instead. */
int outswap_tree(const outpath *o, const outset *os, diag *d,
		 outdir_stats *st);

#endif
