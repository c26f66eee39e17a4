/* outdir.c - writing and checking the output directory.
 *
 * Writes are atomic per file: a temporary file in the same directory,
 * then a rename over the target. generate batches the durability: it
 * writes every changed file to its temporary name, makes them all durable
 * with one syncfs of the output file system, renames them all, then one
 * more syncfs makes the renames durable, instead of an fsync per file and
 * per directory (which made a fresh 10,000-cell tree cost minutes). Since
 * no rename happens before every new content is on disk, a crash still
 * leaves every file with its old or its new content. Where syncfs is
 * missing (not Linux), or a file lands on another file system, each file
 * gets its own fsync and each directory its own as before.
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
#define _GNU_SOURCE     /* syncfs */
#include "outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diff.h"
#include "fileio.h"
#include "names.h"
#include "bounds.h"

#define MANIFEST_MAX ((size_t)64 << 20)

/* --- paths inside the output directory ---------------------------------- */

/* A manifest or outset path stays inside the output directory. */
static bool inside(const char *rel)
{
	return !name_check_path(rel);
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
static bool unsafe_parents(const char *root, const char *rel, char *safe,
			   size_t size)
{
	char *path = join(root, rel);
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
	buf text;  /* the entries, each ended with a NUL in place of its \n */
	buf bytes; /* the file as read; empty when it could not be */
} pathlist;

static void read_manifest(const char *root, pathlist *pl)
{
	char *path = join(root, EMIT_MANIFEST);
	memset(pl, 0, sizeof *pl);
	buf_init(&pl->bytes, MANIFEST_MAX);
	buf_init(&pl->text, MANIFEST_MAX);
	if (file_read(path, &pl->bytes, MANIFEST_MAX) == 0)
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
		if (*p != '#' && inside(p) && strcmp(p, EMIT_MANIFEST) != 0)
			pl->v[pl->n++] = p;
	}
}

static void pathlist_release(pathlist *pl)
{
	free(pl->v);
	buf_release(&pl->text);
	buf_release(&pl->bytes);
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

/* Does the file at path hold exactly the len bytes at data? Compared a
 * chunk at a time as it is read, after a size check: one open, one fstat
 * and the reads, with no copy of the file kept. */
static bool same_bytes(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (size_t)st.st_size == len;
	char chunk[65536];
	for (size_t at = 0; same && at < len;) {
		size_t want = len - at < sizeof chunk ? len - at : sizeof chunk;
		ssize_t n = read(fd, chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		same = n > 0 && memcmp(chunk, data + at, (size_t)n) == 0;
		at += n > 0 ? (size_t)n : 0;
	}
	close(fd);
	return same;
}

static bool same_content(const char *path, const buf *b)
{
	return same_bytes(path, b->data, b->len);
}

/* --- batched durable writes ----------------------------------------------- */

/* Files written under their temporary names, waiting for their renames. */
typedef struct {
	struct pending {
		char *tmp, *path;
	} *v;
	size_t n, cap;
	int root_fd; /* the output directory, for syncfs */
	dev_t dev;   /* its file system */
	bool per_file; /* some file needed its own fsync: sync directories too */
} batch;

static void batch_add(batch *b, char *tmp, char *path)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->v = realloc(b->v, b->cap * sizeof *b->v);
		if (!b->v)
			abort();
	}
	b->v[b->n++] = (struct pending){tmp, path};
}

/* Remove the temporary files not renamed yet, and free the batch. */
static void batch_release(batch *b, size_t renamed)
{
	for (size_t i = 0; i < b->n; i++) {
		if (i >= renamed)
			unlink(b->v[i].tmp);
		free(b->v[i].tmp);
		free(b->v[i].path);
	}
	free(b->v);
}

/* Flush everything written to the output file system. */
static bool sync_fs(const batch *b, const char *root, diag *d)
{
#ifdef __linux__
	if (!file_fault("fsync") && syncfs(b->root_fd) == 0)
		return true;
	diag_error(d, srcpos_file(root), "cannot sync the file system: %s",
		   strerror(errno));
	return false;
#else
	(void)b, (void)root, (void)d;
	return true; /* each file had its own fsync */
#endif
}

/* Write path's new content to a temporary file and queue its rename.
 * Without syncfs, or on another file system than the output directory
 * (a mount inside it), the file gets its own fsync now. */
static bool stage_file(batch *b, char *path, const buf *content, diag *d)
{
	char tmp[4096];
	int fd = file_write_temp(path, content->data, content->len, tmp, d);
	if (fd < 0)
		return false;
	struct stat st;
	bool own = true;
#ifdef __linux__
	own = fstat(fd, &st) != 0 || st.st_dev != b->dev;
#else
	(void)st;
#endif
	bool ok = !own || (!file_fault("fsync") && fsync(fd) == 0);
	int err = ok ? 0 : errno;
	ok = close(fd) == 0 && ok;
	if (!ok) {
		err = err ? err : errno;
		unlink(tmp);
		diag_error(d, srcpos_file(path), "cannot write: %s", strerror(err));
		return false;
	}
	b->per_file |= own;
	size_t n = strlen(tmp) + 1;
	char *copy = malloc(n);
	if (!copy)
		abort();
	batch_add(b, memcpy(copy, tmp, n), path);
	return true;
}

static bool sync_dirs(const char *root, const outset *os, diag *d);

/* Make the staged files durable, rename them, make the renames durable. */
static bool commit(batch *b, const char *root, const outset *os, diag *d)
{
	size_t renamed = 0;
	bool ok = sync_fs(b, root, d);
	for (; ok && renamed < b->n; renamed++) {
		const struct pending *f = &b->v[renamed];
		if (file_fault("rename") || rename(f->tmp, f->path) != 0) {
			diag_error(d, srcpos_file(f->path), "cannot write: %s",
				   strerror(errno));
			ok = false;
			break;
		}
	}
	if (ok)
		ok = sync_fs(b, root, d) && (!b->per_file || sync_dirs(root, os, d));
	batch_release(b, renamed);
	return ok;
}

static bool write_changed(const char *root, int root_fd, const outset *os,
			  diag *d, outdir_stats *st)
{
	batch b = {.root_fd = root_fd};
	struct stat rs;
	if (fstat(root_fd, &rs) == 0)
		b.dev = rs.st_dev;
	bool ok = true;
	for (size_t i = 0; ok && i < os->n; i++) {
		const outfile *f = &os->v[i];
		if (strcmp(f->path, EMIT_MANIFEST) == 0)
			continue;
		if (!inside(f->path) || !make_parents(root, f->path, d)) {
			ok = false;
			break;
		}
		char *path = join(root, f->path);
		if (same_content(path, &f->content)) {
			st->unchanged++;
			free(path);
		} else if (stage_file(&b, path, &f->content, d)) {
			st->written++;
		} else {
			free(path);
			ok = false;
		}
	}
	if (!ok) {
		batch_release(&b, 0);
		return false;
	}
	if (!b.n) {
		batch_release(&b, 0);
		return true;
	}
	return commit(&b, root, os, d);
}

static void remove_stale(const char *root, const outset *os,
			 const pathlist *old, outdir_stats *st)
{
	for (size_t i = 0; i < old->n; i++) {
		if (manifest_has(os, old->v[i]) ||
		    unsafe_parents(root, old->v[i], NULL, 0))
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
		file_dir_of(path, dir, sizeof dir);
		free(path);
		if (strcmp(dir, prev) == 0)
			continue;
		if (!file_sync_dir(dir)) {
			diag_error(d, srcpos_file(dir), "cannot sync directory: %s",
				   strerror(errno));
			return false;
		}
		snprintf(prev, sizeof prev, "%s", dir);
	}
	return true;
}

static bool same_buf(const buf *a, const buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

/* Write text as the manifest unless it is on_disk, what this run read
 * from the file or last wrote to it (under the directory lock, nothing
 * else writes it). A manifest that could not be read reads as empty,
 * which no manifest is (it has a header), so it is written. */
static bool write_manifest(const char *root, const buf *text,
			   const buf *on_disk, diag *d)
{
	if (same_buf(on_disk, text))
		return true;
	char *path = join(root, EMIT_MANIFEST);
	bool ok = file_write_atomic(path, text->data, text->len, d);
	free(path);
	return ok;
}

static bool owned(const outset *os, const pathlist *old, const char *rel)
{
	if (manifest_has(os, rel))
		return true;
	for (size_t i = 0; i < old->n; i++)
		if (strcmp(old->v[i], rel) == 0)
			return true;
	return false;
}

/* The file a leftover temporary ".NAME.tmp.XXXXXX" in dir (relative to the
 * root, "" for the root) was for, written into out; false if name is not
 * such a temporary. */
static bool temp_target(const char *dir, const char *name, char *out,
			size_t size)
{
	size_t n = strlen(name);
	if (n < 13 || name[0] != '.' || memcmp(name + n - 11, ".tmp.", 5) != 0)
		return false;
	int w = snprintf(out, size, "%s%s%.*s", dir, *dir ? "/" : "",
			 (int)(n - 12), name + 1);
	return w > 0 && (size_t)w < size;
}

/* Remove the temporary files a killed run left beside files matrixc owns.
 * Runs under the directory lock, so no live run is writing them. */
static void remove_leftovers(const char *root, const outset *os,
			     const pathlist *old)
{
	char prev[4096] = "\001";
	for (size_t i = 0; i < os->n; i++) {
		char dir[4096], target[4096];
		const char *slash = strrchr(os->v[i].path, '/');
		snprintf(dir, sizeof dir, "%.*s",
			 slash ? (int)(slash - os->v[i].path) : 0, os->v[i].path);
		if (!strcmp(dir, prev) ||
		    unsafe_parents(root, os->v[i].path, NULL, 0))
			continue;
		snprintf(prev, sizeof prev, "%s", dir);
		char *full = join(root, dir);
		DIR *dp = opendir(full);
		for (struct dirent *e; dp && (e = readdir(dp));) {
			if (!temp_target(dir, e->d_name, target, sizeof target) ||
			    !owned(os, old, target))
				continue;
			char *tmp = join(full, e->d_name);
			unlink(tmp);
			free(tmp);
		}
		if (dp)
			closedir(dp);
		free(full);
	}
}

static bool write_locked(const char *root, int root_fd, const outset *os,
			 diag *d, outdir_stats *st)
{
	pathlist old;
	buf pre;
	bool ok;
	read_manifest(root, &old);
	remove_leftovers(root, os, &old);
	buf_init(&pre, MANIFEST_MAX);
	union_manifest(os, &old, &pre);
	ok = write_manifest(root, &pre, &old.bytes, d) &&
	     write_changed(root, root_fd, os, d, st);
	if (ok) {
		remove_stale(root, os, &old, st);
		const outfile *m = outset_find(os, EMIT_MANIFEST);
		ok = !m || write_manifest(root, &m->content, &pre, d);
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
	bool ok = write_locked(root, lock, os, d, st);
	close(lock);
	return ok;
}

/* --- check -------------------------------------------------------------- */

/* 0 when the file at root/f->path holds f's content, else 1 (with a diff
 * while the budget lasts). The comparison reads the file a chunk at a
 * time; only a stale file is read whole, for its diff. */
static int check_file(const char *root, const outfile *f, buf *diff,
		      size_t *budget, char *safe, size_t size)
{
	if (unsafe_parents(root, f->path, safe, size)) {
		if (*budget) {
			char *path = join(root, f->path);
			diff_unified(diff, path, NULL, 0, path,
				     buf_str(&f->content), f->content.len, budget);
			free(path);
		}
		return 1;
	}
	char *path = join(root, f->path);
	bool same = same_bytes(path, f->content.data, f->content.len);
	if (!same && *budget) {
		buf cur;
		buf_init(&cur, LIMIT_FILE_BYTES * 16);
		bool missing = file_read(path, &cur, LIMIT_FILE_BYTES * 16) != 0;
		diff_unified(diff, path, missing ? NULL : buf_str(&cur), cur.len,
			     path, buf_str(&f->content), f->content.len, budget);
		buf_release(&cur);
	}
	free(path);
	return same ? 0 : 1;
}

int outdir_check(const char *root, const outset *os, diag *d, buf *diff,
		 size_t max_lines)
{
	(void)d;
	size_t budget = max_lines;
	int stale = 0, manifest_stale = 1;
	char safe[4096] = "";
	for (size_t i = 0; i < os->n; i++) {
		int st = check_file(root, &os->v[i], diff, &budget, safe,
				    sizeof safe);
		if (!strcmp(os->v[i].path, EMIT_MANIFEST))
			manifest_stale = st;
		stale |= st;
	}
	/* an up-to-date manifest lists exactly what is generated: no file
	 * can be left over */
	if (!manifest_stale)
		return stale;
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
