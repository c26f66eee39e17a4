/* outtree.h - what writing and checking the output directory share:
 * paths inside it, its manifest, and comparing a file with bytes in
 * memory.
 *
 * Contract: a path relative to the output (rel) is one that
 * outtree_inside accepts; these helpers never follow a symlink out of
 * the output (outtree_unsafe_parents and outtree_make_parents refuse
 * one, outtree_same_bytes opens with O_NOFOLLOW). Strings they return
 * are malloc'd, and the caller frees them; out of memory aborts. Nothing
 * here writes a file; outtree_mkdir, outtree_make_parents and
 * outtree_make_root make directories. Used by outdir.c (the public
 * face, and check), outswap.c (the tree swap) and outinplace.c (file by
 * file).
 */
#ifndef MATRIXC_OUTTREE_H
#define MATRIXC_OUTTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "diag.h"
#include "emit.h"

/* The largest manifest read or written. */
#define OUTTREE_MANIFEST_MAX ((size_t)64 << 20)

/* rel (a manifest or outset path) stays inside the output directory. */
bool outtree_inside(const char *rel);
/* "root/rel", malloc'd. */
char *outtree_join(const char *root, const char *rel);
/* A malloc'd copy of s. */
char *outtree_dup(const char *s);
/* mkdir, counted as a file operation for the fault tests (fileio.h). */
int outtree_mkdir(const char *path, mode_t mode);
/* Create the directories of rel under root, refusing to pass through a
 * symlink or a non-directory (reported to d). */
bool outtree_make_parents(const char *root, const char *rel, diag *d);
/* true when a directory between root and rel is a symlink, not a
 * directory, or missing. safe (size bytes, or NULL) caches a directory
 * found safe: a walk over sorted paths looks at each directory once. */
bool outtree_unsafe_parents(const char *root, const char *rel, char *safe,
			    size_t size);
/* Create root and its parents; false (reported) when root is not then a
 * directory. */
bool outtree_make_root(const char *root, diag *d);

/* A manifest as read: its entries that are inside the output, in the
 * file's order and sorted. */
typedef struct {
	char **v;
	char **sorted; /* v in byte order, for pathlist_has */
	size_t n;
	buf text;  /* the entries, each ended with a NUL in place of its \n */
	buf bytes; /* the file as read; empty when it could not be */
} pathlist;

/* root's manifest into pl (empty when it cannot be read); release it
 * with pathlist_release. */
void pathlist_read(const char *root, pathlist *pl);
bool pathlist_has(const pathlist *pl, const char *rel);
void pathlist_release(pathlist *pl);

/* os generates rel. */
bool outtree_generates(const outset *os, const char *rel);
/* rel is matrixc's: generated now or listed in the old manifest. */
bool outtree_owned(const outset *os, const pathlist *old, const char *rel);
/* The file a leftover temporary ".NAME.tmp.XXXXXX" named name in dir
 * (relative to the root, "" for the root) was for, into out; false when
 * name is no such temporary. */
bool outtree_temp_target(const char *dir, const char *name, char *out,
			 size_t size);

/* The file at path (not a symlink, not a directory) holds exactly the
 * len bytes at data: compared a chunk at a time, with no copy of the
 * file kept, and without an fstat. */
bool outtree_same_bytes(const char *path, const char *data, size_t len);
bool outtree_same_content(const char *path, const buf *b);
bool outtree_same_buf(const buf *a, const buf *b);

#endif
