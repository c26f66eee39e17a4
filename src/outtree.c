/* outtree.c - paths inside the output directory, its manifest, and
 * comparing a file with bytes in memory: what generate (outswap.c,
 * outinplace.c) and check (outdir.c) share. See outtree.h.
 *
 * Ownership: the manifest (emit.h's EMIT_MANIFEST) lists what matrixc
 * generated. Only its entries are ever deleted, and only when they are
 * regular files reached through no symlink.
 */
#include "outtree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "names.h"

/* --- paths inside the output directory ---------------------------------- */

/* A manifest or outset path stays inside the output directory. */
bool outtree_inside(const char *rel)
{
	return !name_check_path(rel);
}

char *outtree_join(const char *root, const char *rel)
{
	size_t n = strlen(root) + strlen(rel) + 2;
	char *p = malloc(n);
	if (!p)
		abort();
	snprintf(p, n, "%s/%s", root, rel);
	return p;
}

char *outtree_dup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (!p)
		abort();
	return memcpy(p, s, n);
}

/* mkdir, counted as a file operation for the fault tests. */
int outtree_mkdir(const char *path, mode_t mode)
{
	return file_fault("mkdir") ? -1 : mkdir(path, mode);
}

/* Create the directories of rel under root, refusing to pass through a
 * symlink or a non-directory. */
bool outtree_make_parents(const char *root, const char *rel, diag *d)
{
	char *path = outtree_join(root, rel);
	size_t skip = strlen(root) + 1;
	bool ok = true;
	for (char *p = path + skip; ok && (p = strchr(p, '/')); p++) {
		*p = '\0';
		struct stat st;
		if (lstat(path, &st) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				diag_error(d, srcpos_file(path),
					   "refusing to write through %s",
					   S_ISLNK(st.st_mode) ? "a symlink"
							       : "a non-directory");
				ok = false;
			}
		} else if (outtree_mkdir(path, 0777) != 0) {
			diag_error(d, srcpos_file(path),
				   "cannot create directory: %s", strerror(errno));
			ok = false;
		}
		*p = '/';
	}
	free(path);
	return ok;
}

/* The length of the directories rel shares with safe: a prefix of both
 * that ends where a directory name of each ends. */
static size_t shared_dirs(const char *rel, const char *safe)
{
	size_t best = 0;
	for (size_t i = 0;; i++) {
		if ((safe[i] == '/' || safe[i] == '\0') && rel[i] == '/')
			best = i;
		if (!safe[i] || safe[i] != rel[i])
			return best;
	}
}

/* true when any directory between root and rel is a symlink or missing.
 * safe (or NULL) holds a directory already found safe, which is skipped,
 * and gets rel's directory when that is safe: a walk over sorted paths
 * looks at each directory once. */
bool outtree_unsafe_parents(const char *root, const char *rel, char *safe,
			    size_t size)
{
	char *path = outtree_join(root, rel);
	char *start = path + strlen(root) + 1, *last = NULL;
	size_t known = safe ? shared_dirs(rel, safe) : 0;
	bool bad = false;
	for (char *p = start; !bad && (p = strchr(p, '/')); p++) {
		last = p;
		if ((size_t)(p - start) <= known)
			continue;
		*p = '\0';
		struct stat st;
		bad = lstat(path, &st) != 0 || !S_ISDIR(st.st_mode);
		*p = '/';
	}
	if (safe && !bad && last)
		/* a directory cut short would pass for another: keep none */
		if ((size_t)snprintf(safe, size, "%.*s", (int)(last - start),
				     start) >= size)
			safe[0] = '\0';
	free(path);
	return bad;
}

bool outtree_make_root(const char *root, diag *d)
{
	char *copy = outtree_join(root, "x");
	copy[strlen(root)] = '\0';
	for (char *p = copy + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(copy, 0777);
		*p = '/';
	}
	bool ok = mkdir(copy, 0777) == 0 || errno == EEXIST;
	struct stat st;
	if (ok && (stat(copy, &st) != 0 || !S_ISDIR(st.st_mode)))
		ok = false, errno = ENOTDIR;
	if (!ok)
		diag_error(d, srcpos_file(root), "cannot create directory: %s",
			   strerror(errno));
	free(copy);
	return ok;
}

/* --- the manifest ------------------------------------------------------- */

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void pathlist_read(const char *root, pathlist *pl)
{
	char *path = outtree_join(root, EMIT_MANIFEST);
	memset(pl, 0, sizeof *pl);
	buf_init(&pl->bytes, OUTTREE_MANIFEST_MAX);
	buf_init(&pl->text, OUTTREE_MANIFEST_MAX);
	if (file_read(path, &pl->bytes, OUTTREE_MANIFEST_MAX) == 0)
		buf_add(&pl->text, pl->bytes.data, pl->bytes.len);
	else
		buf_reset(&pl->bytes);
	free(path);
	size_t lines = 1;
	for (size_t i = 0; i < pl->text.len; i++)
		lines += pl->text.data[i] == '\n';
	pl->v = calloc(lines, sizeof *pl->v);
	if (!pl->v)
		abort();
	for (char *p = pl->text.data, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (*p != '#' && outtree_inside(p) && strcmp(p, EMIT_MANIFEST) != 0)
			pl->v[pl->n++] = p;
	}
	pl->sorted = calloc(lines, sizeof *pl->sorted);
	if (!pl->sorted)
		abort();
	memcpy(pl->sorted, pl->v, pl->n * sizeof *pl->v);
	qsort(pl->sorted, pl->n, sizeof *pl->sorted, by_string);
}

bool pathlist_has(const pathlist *pl, const char *rel)
{
	return pl->n && bsearch(&rel, pl->sorted, pl->n, sizeof *pl->sorted,
				by_string);
}

void pathlist_release(pathlist *pl)
{
	free(pl->v);
	free(pl->sorted);
	buf_release(&pl->text);
	buf_release(&pl->bytes);
}

bool outtree_generates(const outset *os, const char *rel)
{
	return outset_find(os, rel) != NULL;
}

/* --- comparing -------------------------------------------------------- */

/* Does the file at path hold exactly the len bytes at data? Compared a
 * chunk at a time as it is read, with no copy of the file kept. The last
 * read asks for one byte more than is left, so that a longer file shows
 * without an fstat: a regular file's read returns less than it was asked
 * for only at the file's end. A directory fails its read, and O_NOFOLLOW
 * refuses a symlink. One open, the reads (one for most files) and a
 * close: check does this for every generated file. */
bool outtree_same_bytes(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	char chunk[16384]; /* four pages of stack: each new one costs a fault */
	size_t at = 0;
	bool same = true;
	for (;;) {
		size_t left = len - at;
		size_t want = left < sizeof chunk ? left + 1 : sizeof chunk;
		ssize_t n = read(fd, chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (size_t)n > left ||
		    (n > 0 && memcmp(chunk, data + at, (size_t)n) != 0)) {
			same = false;
			break;
		}
		at += (size_t)n;
		if ((size_t)n < want) /* the end of the file */
			break;
	}
	close(fd);
	return same && at == len;
}

bool outtree_same_content(const char *path, const buf *b)
{
	return outtree_same_bytes(path, b->data, b->len);
}

bool outtree_same_buf(const buf *a, const buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

bool outtree_owned(const outset *os, const pathlist *old, const char *rel)
{
	return outtree_generates(os, rel) || pathlist_has(old, rel);
}

/* The file a leftover temporary ".NAME.tmp.XXXXXX" in dir (relative to the
 * root, "" for the root) was for, written into out; false if name is not
 * such a temporary. */
bool outtree_temp_target(const char *dir, const char *name, char *out,
			 size_t size)
{
	size_t n = strlen(name);
	if (n < 13 || name[0] != '.' || memcmp(name + n - 11, ".tmp.", 5) != 0)
		return false;
	int w = snprintf(out, size, "%s%s%.*s", dir, *dir ? "/" : "",
			 (int)(n - 12), name + 1);
	return w > 0 && (size_t)w < size;
}
