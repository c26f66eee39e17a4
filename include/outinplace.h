/* outinplace.h - generate file by file, where the tree cannot be
 * swapped whole (outswap.h).
 *
 * Contract: each changed file is written to a temporary name beside it,
 * one syncfs makes them durable, then each is renamed over the old one,
 * and one more syncfs (or an fsync per file and directory on a file
 * system of its own). Every file then holds its old or its new content,
 * but the tree may mix them: the manifest is first rewritten as the union
 * of the old and new entries, so that a crash never leaves a file matrixc
 * made but does not know it owns, and the new manifest is written last.
 * Files of the old manifest no longer generated are removed, with the
 * directories that leaves empty; temporary files a killed run left
 * beside matrixc's files too. The caller holds the parent's lock.
 */
#ifndef MATRIXC_OUTINPLACE_H
#define MATRIXC_OUTINPLACE_H

#include <stdbool.h>

#include "diag.h"
#include "emit.h"
#include "outdir.h"

/* Write os under root file by file; false on an error (reported). */
bool outinplace_write(const char *root, const outset *os, diag *d,
		      outdir_stats *st);

#endif
