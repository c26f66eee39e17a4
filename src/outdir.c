/* outdir.c - writing and checking the output directory.
 *
 * Writes are atomic per file: a temporary file in the same directory,
 * write, fsync, rename over the target, then fsync of each directory that
 * changed. A crash leaves every file with its old or its new content.
 *
 * Ownership: the manifest (emit.h's EMIT_MANIFEST) lists what matrixc
 * generated. Before a run adds files, the manifest is first rewritten as
 * the union of old and new, so that a crash mid-run never leaves a file
 * matrixc made but does not know it owns. Only manifest entries are ever
 * deleted, and only when they are regular files.
 *
 * Two runs at once are serialised by flock on the directory itself, which
 * leaves no lock file behind for anyone to commit.
 */
#define _DEFAULT_SOURCE /* flock */
#include "outdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diff.h"
#include "bounds.h"

#define MANIFEST_MAX ((size_t)64 << 20)

int file_read(const char *path, buf *out, size_t max)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		return -2;
	}
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = errno;
			close(fd);
			errno = err;
			return n < 0 ? -1 : 0;
		}
		if (out->len + (size_t)n > max) {
			close(fd);
			return -2;
		}
		buf_add(out, chunk, (size_t)n);
	}
}

static bool write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		data += n;
		len -= (size_t)n;
	}
	return true;
}

static bool fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = fsync(fd) == 0 || errno == EINVAL;
	close(fd);
	return ok;
}

/* The directory part of path ("." for none), in out (PATH_MAX bytes). */
static void dir_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, size, ".");
	else if (slash == path)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* Write data to a new temporary file beside path, then rename it over
 * path. Does not fsync the directory (the caller batches that). */
static bool replace_file(const char *path, const char *data, size_t len,
			 diag *d)
{
	char tmp[4096];
	const char *slash = strrchr(path, '/');
	int n = slash ? snprintf(tmp, sizeof tmp, "%.*s/.%s.tmp.XXXXXX",
				 (int)(slash - path), path, slash + 1)
		      : snprintf(tmp, sizeof tmp, ".%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		diag_error(d, srcpos_file(path), "path too long");
		return false;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		diag_error(d, srcpos_file(path), "cannot create a temporary file: %s",
			   strerror(errno));
		return false;
	}
	bool ok = write_all(fd, data, len) && fsync(fd) == 0;
	int err = errno;
	ok = close(fd) == 0 && ok;
	if (ok && rename(tmp, path) == 0)
		return true;
	err = err ? err : errno;
	unlink(tmp);
	diag_error(d, srcpos_file(path), "cannot write: %s", strerror(err));
	return false;
}

bool file_write_atomic(const char *path, const char *data, size_t len,
		       diag *d)
{
	char dir[4096];
	if (!replace_file(path, data, len, d))
		return false;
	dir_of(path, dir, sizeof dir);
	if (!fsync_dir(dir)) {
		diag_error(d, srcpos_file(dir), "cannot sync directory: %s",
			   strerror(errno));
		return false;
	}
	return true;
}

/* --- paths inside the output directory ---------------------------------- */

/* A manifest or outset path: components of printable characters, none
 * empty, "." or "..", not absolute. */
static bool inside(const char *rel)
{
	if (!*rel || rel[0] == '/')
		return false;
	for (const char *p = rel;;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
				return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

static char *join(const char *root, const char *rel)
{
	size_t n = strlen(root) + strlen(rel) + 2;
	char *p = malloc(n);
	if (!p)
		abort();
	snprintf(p, n, "%s/%s", root, rel);
	return p;
}

/* Create the directories of rel under root, refusing to pass through a
 * symlink or a non-directory. */
static bool make_parents(const char *root, const char *rel, diag *d)
{
	char *path = join(root, rel);
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
		} else if (mkdir(path, 0777) != 0) {
			diag_error(d, srcpos_file(path),
				   "cannot create directory: %s", strerror(errno));
			ok = false;
		}
		*p = '/';
	}
	free(path);
	return ok;
}

/* true when any directory between root and rel is a symlink or missing */
static bool unsafe_parents(const char *root, const char *rel)
{
	char *path = join(root, rel);
	bool bad = false;
	for (char *p = path + strlen(root) + 1; !bad && (p = strchr(p, '/')); p++) {
		*p = '\0';
		struct stat st;
		bad = lstat(path, &st) != 0 || !S_ISDIR(st.st_mode);
		*p = '/';
	}
	free(path);
	return bad;
}

static bool make_root(const char *root, diag *d)
{
	char *copy = join(root, "x");
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

typedef struct {
	char **v;
	size_t n;
	buf text;
} pathlist;

static void read_manifest(const char *root, pathlist *pl)
{
	char *path = join(root, EMIT_MANIFEST);
	memset(pl, 0, sizeof *pl);
	buf_init(&pl->text, MANIFEST_MAX);
	if (file_read(path, &pl->text, MANIFEST_MAX) != 0)
		buf_reset(&pl->text);
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
		if (*p != '#' && inside(p) && strcmp(p, EMIT_MANIFEST) != 0)
			pl->v[pl->n++] = p;
	}
}

static void pathlist_release(pathlist *pl)
{
	free(pl->v);
	buf_release(&pl->text);
}

static bool manifest_has(const outset *os, const char *rel)
{
	return outset_find(os, rel) != NULL;
}

/* The manifest text for os plus the old entries not in os. */
static void union_manifest(const outset *os, const pathlist *old, buf *out)
{
	const outfile *m = outset_find(os, EMIT_MANIFEST);
	if (m)
		buf_add(out, m->content.data, m->content.len);
	for (size_t i = 0; i < old->n; i++)
		if (!manifest_has(os, old->v[i]))
			buf_printf(out, "%s\n", old->v[i]);
}

/* --- generate ----------------------------------------------------------- */

static int lock_dir(const char *root, diag *d)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		diag_error(d, srcpos_file(root), "cannot lock: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Does the file at path hold exactly b? */
static bool same_content(const char *path, const buf *b)
{
	buf cur;
	buf_init(&cur, b->len + 1);
	bool same = file_read(path, &cur, b->len) == 0 && cur.len == b->len &&
		    (b->len == 0 || !memcmp(cur.data, b->data, b->len));
	buf_release(&cur);
	return same;
}

static bool write_changed(const char *root, const outset *os, diag *d,
			  outdir_stats *st, bool *any_written)
{
	for (size_t i = 0; i < os->n; i++) {
		const outfile *f = &os->v[i];
		if (strcmp(f->path, EMIT_MANIFEST) == 0)
			continue;
		if (!inside(f->path) || !make_parents(root, f->path, d))
			return false;
		char *path = join(root, f->path);
		bool same = same_content(path, &f->content);
		bool ok = same || replace_file(path, f->content.data,
					       f->content.len, d);
		free(path);
		if (!ok)
			return false;
		if (same)
			st->unchanged++;
		else
			st->written++, *any_written = true;
	}
	return true;
}

static void remove_stale(const char *root, const outset *os,
			 const pathlist *old, outdir_stats *st)
{
	for (size_t i = 0; i < old->n; i++) {
		if (manifest_has(os, old->v[i]) || unsafe_parents(root, old->v[i]))
			continue;
		char *path = join(root, old->v[i]);
		struct stat sb;
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    unlink(path) == 0) {
			st->removed++;
			/* drop directories this leaves empty; rmdir refuses
			 * a non-empty one, which is what we want */
			for (char *s = strrchr(path, '/');
			     s && s > path + strlen(root); s = strrchr(path, '/')) {
				*s = '\0';
				if (rmdir(path) != 0)
					break;
			}
		}
		free(path);
	}
}

static bool sync_dirs(const char *root, const outset *os, diag *d)
{
	char dir[4096], prev[4096] = "";
	for (size_t i = 0; i < os->n; i++) {
		char *path = join(root, os->v[i].path);
		dir_of(path, dir, sizeof dir);
		free(path);
		if (strcmp(dir, prev) == 0)
			continue;
		if (!fsync_dir(dir)) {
			diag_error(d, srcpos_file(dir), "cannot sync directory: %s",
				   strerror(errno));
			return false;
		}
		snprintf(prev, sizeof prev, "%s", dir);
	}
	return true;
}

static bool write_manifest(const char *root, const buf *text, diag *d)
{
	char *path = join(root, EMIT_MANIFEST);
	bool ok = same_content(path, text) ||
		  file_write_atomic(path, text->data, text->len, d);
	free(path);
	return ok;
}

static bool write_locked(const char *root, const outset *os, diag *d,
			 outdir_stats *st)
{
	pathlist old;
	buf pre;
	bool written = false, ok;
	read_manifest(root, &old);
	buf_init(&pre, MANIFEST_MAX);
	union_manifest(os, &old, &pre);
	ok = write_manifest(root, &pre, d) &&
	     write_changed(root, os, d, st, &written) &&
	     (!written || sync_dirs(root, os, d));
	if (ok) {
		remove_stale(root, os, &old, st);
		const outfile *m = outset_find(os, EMIT_MANIFEST);
		ok = !m || write_manifest(root, &m->content, d);
	}
	buf_release(&pre);
	pathlist_release(&old);
	return ok;
}

bool outdir_write(const char *root, const outset *os, diag *d,
		  outdir_stats *st)
{
	memset(st, 0, sizeof *st);
	if (!make_root(root, d))
		return false;
	int lock = lock_dir(root, d);
	if (lock < 0)
		return false;
	bool ok = write_locked(root, os, d, st);
	close(lock);
	return ok;
}

/* --- check -------------------------------------------------------------- */

static int check_file(const char *root, const outfile *f, buf *diff,
		      size_t *budget)
{
	char *path = join(root, f->path);
	buf cur;
	buf_init(&cur, LIMIT_FILE_BYTES * 16);
	int r = unsafe_parents(root, f->path) ? -1
		: file_read(path, &cur, LIMIT_FILE_BYTES * 16);
	bool missing = r != 0;
	bool same = !missing && cur.len == f->content.len &&
		    (!cur.len || !memcmp(cur.data, f->content.data, cur.len));
	if (!same && *budget)
		diff_unified(diff, path, missing ? NULL : buf_str(&cur), cur.len,
			     path, buf_str(&f->content), f->content.len, budget);
	buf_release(&cur);
	free(path);
	return same ? 0 : 1;
}

int outdir_check(const char *root, const outset *os, diag *d, buf *diff,
		 size_t max_lines)
{
	(void)d;
	size_t budget = max_lines;
	int stale = 0;
	for (size_t i = 0; i < os->n; i++)
		stale |= check_file(root, &os->v[i], diff, &budget);
	pathlist old;
	read_manifest(root, &old);
	for (size_t i = 0; i < old.n; i++) {
		if (manifest_has(os, old.v[i]))
			continue;
		char *path = join(root, old.v[i]);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			stale = 1;
			if (budget) {
				buf_printf(diff, "Only in %s: %s (no longer generated)\n",
					   root, old.v[i]);
				budget--;
			}
		}
		free(path);
	}
	pathlist_release(&old);
	return stale;
}
