/* outdir.c - writing and checking the output directory.
 *
 * generate is atomic for the whole tree. It builds the new tree beside
 * the old one, in the sibling PARENT/.NAME.matrixc-swap (same file
 * system): a hard link for each file whose bytes did not change (it keeps
 * its inode and mtime) and for each file matrixc does not own, a new file
 * for each changed one, directories made again with their modes, the
 * files it no longer generates left out. One syncfs puts the new tree on
 * disk, renameat2(RENAME_EXCHANGE) swaps the two directories in one step,
 * an fsync of the parent makes that durable, and the old tree, now at the
 * sibling's name, is pruned. A kill at any moment leaves the old tree or
 * the new one, and at most the sibling, which the next run prunes first.
 * A run with nothing to change builds nothing.
 *
 * Pruning a tree that is not the output (prune_tree) removes only what is
 * matrixc's: what the output holds too (the same inode), what the tree's
 * own manifest lists (written first, removed last), what is generated
 * now. Anything else stays and is reported: a file written into the
 * output while generate ran is never lost.
 *
 * Where the swap cannot be done (a mount point, a repository's root, a
 * file system that refuses the links or the exchange, not Linux), files
 * are replaced one by one (write_in_place), with a warning: each changed
 * file to a temporary name, one syncfs, the renames, one more syncfs.
 * Every file then holds its old or its new content, but the tree may mix
 * them; the manifest is first rewritten as the union of old and new, so
 * that a crash never leaves a file matrixc made but does not know it owns.
 *
 * Ownership: the manifest (emit.h's EMIT_MANIFEST) lists what matrixc
 * generated. Only its entries are ever deleted, and only when they are
 * regular files reached through no symlink.
 *
 * Two runs at once are serialised by flock on the output's parent: the
 * swap replaces the output directory itself, so a lock on it would not
 * hold; no lock file is left behind for anyone to commit.
 */
#define _DEFAULT_SOURCE /* flock */
#define _GNU_SOURCE     /* syncfs */
#include "outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "diff.h"
#include "fileio.h"
#include "names.h"
#include "limits_input.h"

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

/* mkdir, counted as a file operation for the fault tests. */
static int make_dir(const char *path, mode_t mode)
{
	return file_fault("mkdir") ? -1 : mkdir(path, mode);
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
		} else if (make_dir(path, 0777) != 0) {
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
	char **sorted; /* v in byte order, for pathlist_has */
	size_t n;
	buf text;  /* the entries, each ended with a NUL in place of its \n */
	buf bytes; /* the file as read; empty when it could not be */
} pathlist;

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

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
	pl->sorted = calloc(lines, sizeof *pl->sorted);
	if (!pl->sorted)
		abort();
	memcpy(pl->sorted, pl->v, pl->n * sizeof *pl->v);
	qsort(pl->sorted, pl->n, sizeof *pl->sorted, by_string);
}

static bool pathlist_has(const pathlist *pl, const char *rel)
{
	return pl->n && bsearch(&rel, pl->sorted, pl->n, sizeof *pl->sorted,
				by_string);
}

static void pathlist_release(pathlist *pl)
{
	free(pl->v);
	free(pl->sorted);
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
	return manifest_has(os, rel) || pathlist_has(old, rel);
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

static bool write_in_place(const char *root, const outset *os, diag *d,
			   outdir_stats *st)
{
	if (!make_root(root, d))
		return false;
	int root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		diag_error(d, srcpos_file(root), "cannot open: %s", strerror(errno));
		return false;
	}
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
	close(root_fd);
	return ok;
}

/* --- the whole tree at once ----------------------------------------------- */

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

static void outpath_release(outpath *o)
{
	free(o->root);
	free(o->parent);
	free(o->name);
	free(o->spare);
	free(o->spare_name);
	if (o->pfd >= 0)
		close(o->pfd);
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (!p)
		abort();
	return memcpy(p, s, n);
}

/* Split root into parent and name. A root that is a symlink (-o is the
 * user's choice), or ends in "." or "..", is first resolved, so that the
 * swap replaces the directory and not a link or an alias of it. */
static bool outpath_init(outpath *o, const char *root, diag *d)
{
	memset(o, 0, sizeof *o);
	o->pfd = -1;
	o->root = dup_str(root);
	size_t n = strlen(o->root);
	while (n > 1 && o->root[n - 1] == '/')
		o->root[--n] = '\0';
	const char *base = strrchr(o->root, '/');
	base = base ? base + 1 : o->root;
	struct stat st;
	if (!strcmp(base, ".") || !strcmp(base, "..") ||
	    (lstat(o->root, &st) == 0 && S_ISLNK(st.st_mode))) {
		char *real = realpath(o->root, NULL);
		if (!real) {
			diag_error(d, srcpos_file(root), "cannot resolve: %s",
				   strerror(errno));
			return false;
		}
		free(o->root);
		o->root = real;
	}
	char dir[4096];
	file_dir_of(o->root, dir, sizeof dir);
	o->parent = dup_str(dir);
	base = strrchr(o->root, '/');
	o->name = dup_str(strcmp(o->root, "/") ? (base ? base + 1 : o->root) : "");
	n = strlen(o->name) + 32;
	o->spare_name = malloc(n);
	if (!o->spare_name)
		abort();
	snprintf(o->spare_name, n, ".%s.matrixc-swap", o->name);
	o->spare = join(o->parent, o->spare_name);
	return true;
}

/* Create the parent directories and lock the parent: the lock must
 * outlive the swap, which replaces the output directory itself. */
static bool lock_parent(outpath *o, diag *d)
{
	char *copy = join(o->parent, "x");
	copy[strlen(o->parent)] = '\0';
	for (char *p = copy + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(copy, 0777);
		*p = '/';
	}
	mkdir(copy, 0777);
	free(copy);
	o->pfd = open(o->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->pfd < 0 || flock(o->pfd, LOCK_EX) != 0) {
		diag_error(d, srcpos_file(o->parent), "cannot lock: %s",
			   strerror(errno));
		return false;
	}
	return true;
}

/* Exchange two names in dir atomically (Linux 3.15+). */
static int exchange(int dir, const char *a, const char *b)
{
	if (file_fault("swap"))
		return -1;
#if defined(__linux__) && defined(RENAME_EXCHANGE)
	return renameat2(dir, a, dir, b, RENAME_EXCHANGE);
#elif defined(__linux__) && defined(SYS_renameat2)
	return (int)syscall(SYS_renameat2, dir, a, dir, b, 1 << 1);
#else
	(void)dir, (void)a, (void)b;
	errno = ENOSYS;
	return -1;
#endif
}

/* Errors that say this file system cannot do the swap (or its links),
 * rather than that something failed. */
static bool unsupported(int err)
{
	return err == EXDEV || err == EINVAL || err == ENOSYS ||
	       err == ENOTSUP || err == EPERM || err == EMLINK || err == EBUSY;
}

/* Why the tree cannot be swapped whole, or NULL when it can. */
static const char *why_in_place(const outpath *o)
{
	struct stat rs, ps, gs;
	if (!*o->name)
		return "it is the root of the file system";
	if (lstat(o->root, &rs) != 0)
		return NULL;
	if (fstat(o->pfd, &ps) == 0 &&
	    (rs.st_dev != ps.st_dev || rs.st_ino == ps.st_ino))
		return "it is a mount point";
	char *git = join(o->root, ".git");
	bool repo = lstat(git, &gs) == 0;
	free(git);
	if (repo)
		return "it is the root of a git repository";
	return NULL;
}

/* What one build of the new tree knows. */
typedef struct {
	const char *root;  /* the output directory (may not exist yet) */
	const char *spare; /* where the new tree is built */
	const outset *os;
	const pathlist *old; /* root's manifest */
	const bool *same;    /* per outset file: root holds it already */
	dev_t dev;           /* root's file system */
	int unsupported;     /* the errno of a link this file system refused */
	diag *d;
	outdir_stats *st;
} build;

/* A new file at path holding data: the new tree is private until the
 * swap, so no temporary name; it is synced with the whole tree. */
static bool write_new(const char *path, const buf *data, diag *d)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		      0644);
	bool ok = fd >= 0 && fchmod(fd, 0644) == 0 &&
		  file_write_all(fd, data->data, data->len);
	int err = errno;
	if (fd >= 0 && close(fd) != 0 && ok)
		ok = false, err = errno;
	if (!ok)
		diag_error(d, srcpos_file(path), "cannot write: %s", strerror(err));
	return ok;
}

/* Hard-link from to to; a file system that refuses is noted, to fall
 * back to writing file by file. */
static bool link_into(build *b, const char *from, const char *to)
{
	if (!file_fault("link") && link(from, to) == 0)
		return true;
	if (unsupported(errno))
		b->unsupported = errno;
	else
		diag_error(b->d, srcpos_file(to), "cannot link: %s", strerror(errno));
	return false;
}

/* The directories of rel in root must be real directories where they
 * exist: a symlink would send the comparison, and the links, outside. */
static bool root_parents_ok(const char *root, const char *rel, diag *d)
{
	char *path = join(root, rel);
	bool ok = true;
	for (char *p = path + strlen(root) + 1; ok && (p = strchr(p, '/')); p++) {
		*p = '\0';
		struct stat st;
		if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
			diag_error(d, srcpos_file(path), "refusing to write through %s",
				   S_ISLNK(st.st_mode) ? "a symlink" : "a non-directory");
			ok = false;
		}
		*p = '/';
	}
	free(path);
	return ok;
}

/* Each generated file into the new tree: a link to root's when that
 * holds the same bytes (so it keeps its inode and mtime), else written.
 * The manifest goes first: a leftover tree is pruned by it. */
static bool place_generated(build *b)
{
	const outfile *m = outset_find(b->os, EMIT_MANIFEST);
	char *mp = join(b->spare, EMIT_MANIFEST);
	char *old = join(b->root, EMIT_MANIFEST);
	bool ok = !m || (b->same[m - b->os->v] ? link_into(b, old, mp)
					       : write_new(mp, &m->content, b->d));
	free(mp);
	free(old);
	for (size_t i = 0; ok && i < b->os->n; i++) {
		const outfile *f = &b->os->v[i];
		if (f == m)
			continue;
		if (!inside(f->path)) {
			diag_error(b->d, srcpos_file(f->path), "not inside the output");
			return false;
		}
		if (!root_parents_ok(b->root, f->path, b->d) ||
		    !make_parents(b->spare, f->path, b->d))
			return false;
		char *from = join(b->root, f->path), *to = join(b->spare, f->path);
		struct stat st;
		if (b->same[i]) {
			ok = link_into(b, from, to);
			b->st->unchanged++;
		} else if (lstat(from, &st) == 0 && S_ISDIR(st.st_mode)) {
			diag_error(b->d, srcpos_file(from), "cannot write: %s",
				   strerror(EISDIR));
			ok = false;
		} else {
			ok = write_new(to, &f->content, b->d);
			b->st->written++;
		}
		free(from);
		free(to);
	}
	return ok;
}

/* Is name in dir (relative to the root) a temporary file of a file
 * matrixc owns, left by a killed run of the file-by-file mode? */
static bool owned_temp(const outset *os, const pathlist *own, const char *dir,
		       const char *name)
{
	char target[4096];
	return temp_target(dir, name, target, sizeof target) &&
	       owned(os, own, target);
}

static bool copy_rest(build *b, const char *rel, bool *dropped);

/* One entry of root's directory rel into the new tree: a generated file
 * is there already; a file matrixc generated and no longer does, or a
 * temporary file of a killed run, is left behind (so removed with the
 * old tree); a directory is made and filled; anything else (files
 * matrixc does not own, symlinks) is hard-linked, and so kept as it is. */
static bool copy_entry(build *b, const char *rel, const char *name,
		       bool *dropped)
{
	char *crel = *rel ? join(rel, name) : dup_str(name);
	char *from = join(b->root, crel), *to = join(b->spare, crel);
	struct stat st;
	bool ok = true;
	if (!strcmp(crel, EMIT_MANIFEST) || manifest_has(b->os, crel)) {
		/* there already */
	} else if (lstat(from, &st) != 0) {
		/* gone since the listing */
	} else if (S_ISDIR(st.st_mode)) {
		bool sub = false;
		if (st.st_dev != b->dev) {
			b->unsupported = EXDEV; /* a mount inside */
			ok = false;
		} else if (make_dir(to, 0700) != 0 && errno != EEXIST) {
			diag_error(b->d, srcpos_file(to), "cannot create directory: %s",
				   strerror(errno));
			ok = false;
		} else if (chmod(to, st.st_mode & 07777) != 0) {
			diag_error(b->d, srcpos_file(to), "cannot set the mode: %s",
				   strerror(errno));
			ok = false;
		} else {
			ok = copy_rest(b, crel, &sub);
		}
		/* drop a directory emptied of files matrixc no longer makes;
		 * rmdir refuses a non-empty one, which is what we want */
		if (ok && sub && rmdir(to) == 0)
			*dropped = true;
	} else if (S_ISREG(st.st_mode) && pathlist_has(b->old, crel)) {
		b->st->removed++;
		*dropped = true;
	} else if (owned_temp(b->os, b->old, rel, name)) {
		*dropped = true;
	} else {
		ok = link_into(b, from, to);
	}
	free(crel);
	free(from);
	free(to);
	return ok;
}

static bool copy_rest(build *b, const char *rel, bool *dropped)
{
	char *dir = *rel ? join(b->root, rel) : dup_str(b->root);
	DIR *dp = opendir(dir);
	bool ok = dp != NULL;
	if (!ok)
		diag_error(b->d, srcpos_file(dir), "cannot read directory: %s",
			   strerror(errno));
	for (struct dirent *e; ok && (e = readdir(dp));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			ok = copy_entry(b, rel, e->d_name, dropped);
	if (dp)
		closedir(dp);
	free(dir);
	return ok;
}

/* Remove, from a tree at top that is not the output (a new tree that
 * was not swapped in, or the old one after the swap, or either left by
 * a killed run), everything that is matrixc's or that the output holds
 * too: a non-directory is removed when the output has the very same
 * file (a hard link), when the output now generates its path (it was
 * replaced), or when it is a regular file the tree's own manifest lists,
 * or a temporary file of one. Anything else stays, and the first such
 * path goes into kept. The manifest goes last, so that a kill part way
 * leaves a tree the next run can still prune. True when the tree is
 * gone. */
typedef struct {
	const char *top, *root;
	const outset *os;
	pathlist own;
	char kept[4096];
} prune;

static bool prune_dir(prune *p, const char *rel);

static bool prune_entry(prune *p, const char *rel, const char *name)
{
	char *crel = *rel ? join(rel, name) : dup_str(name);
	char *path = join(p->top, crel), *twin = join(p->root, crel);
	struct stat st, ts;
	bool gone = true;
	if (!*rel && !strcmp(name, EMIT_MANIFEST)) {
		/* last */
	} else if (lstat(path, &st) != 0) {
		gone = errno == ENOENT;
	} else if (S_ISDIR(st.st_mode)) {
		gone = prune_dir(p, crel) && !file_fault("unlink") &&
		       rmdir(path) == 0;
	} else if ((lstat(twin, &ts) == 0 && ts.st_dev == st.st_dev &&
		    ts.st_ino == st.st_ino) ||
		   manifest_has(p->os, crel) ||
		   (S_ISREG(st.st_mode) && pathlist_has(&p->own, crel)) ||
		   owned_temp(p->os, &p->own, rel, name)) {
		gone = !file_fault("unlink") && unlink(path) == 0;
	} else {
		gone = false;
		if (!p->kept[0])
			snprintf(p->kept, sizeof p->kept, "%s", path);
	}
	free(crel);
	free(path);
	free(twin);
	return gone;
}

static bool prune_dir(prune *p, const char *rel)
{
	char *dir = *rel ? join(p->top, rel) : dup_str(p->top);
	DIR *dp = opendir(dir);
	bool gone = dp != NULL;
	for (struct dirent *e; dp && (e = readdir(dp));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			gone = prune_entry(p, rel, e->d_name) && gone;
	if (dp)
		closedir(dp);
	free(dir);
	return gone;
}

/* Prune the tree at top (see prune); true when it is gone or was never
 * there. kept (4096 bytes) gets the first path that stays because it is
 * not matrixc's, or "" when an error (errno) stopped the removal. */
static bool prune_tree(const char *top, const char *root, const outset *os,
		       char *kept)
{
	struct stat st;
	kept[0] = '\0';
	if (lstat(top, &st) != 0)
		return errno == ENOENT;
	if (!S_ISDIR(st.st_mode)) {
		snprintf(kept, 4096, "%s", top);
		return false;
	}
	prune p = {.top = top, .root = root, .os = os};
	read_manifest(top, &p.own);
	bool gone = prune_dir(&p, "");
	char *m = join(top, EMIT_MANIFEST);
	gone = gone && !file_fault("unlink") &&
	       (unlink(m) == 0 || errno == ENOENT) && !file_fault("unlink") &&
	       rmdir(top) == 0;
	int err = errno;
	free(m);
	snprintf(kept, 4096, "%s", p.kept);
	pathlist_release(&p.own);
	errno = err;
	return gone;
}

/* Remove the tree beside the output: this run's, or one a killed run
 * left. What is not matrixc's stays, and is reported. */
static bool clear_spare(const outpath *o, const outset *os, diag *d)
{
	char kept[4096];
	if (prune_tree(o->spare, o->root, os, kept))
		return true;
	if (kept[0])
		diag_error(d, srcpos_file(o->spare), "holds %s, which matrixc did "
			   "not make (written while generate ran?): move it away",
			   kept);
	else
		diag_error(d, srcpos_file(o->spare), "cannot remove: %s",
			   strerror(errno));
	return false;
}

/* Give the new tree the old one's mode and, where allowed, its owner. */
static void copy_mode(const char *root, const char *spare)
{
	struct stat st;
	if (stat(root, &st) != 0)
		return;
	chmod(spare, st.st_mode & 07777);
	if (chown(spare, st.st_uid, st.st_gid) == 0)
		chmod(spare, st.st_mode & 07777); /* chown clears set-gid */
}

/* Compare the outset with root: which files it holds already (same[i]),
 * and whether anything at all is to change. */
static bool needs_change(const char *root, const outset *os,
			 const pathlist *old, bool *same)
{
	const outfile *m = outset_find(os, EMIT_MANIFEST);
	bool change = !m || !same_buf(&old->bytes, &m->content);
	char safe[4096] = "";
	for (size_t i = 0; i < os->n; i++) {
		const outfile *f = &os->v[i];
		if (f == m) {
			same[i] = !change;
			continue;
		}
		char *path = join(root, f->path);
		same[i] = !unsafe_parents(root, f->path, safe, sizeof safe) &&
			  same_content(path, &f->content);
		free(path);
		change |= !same[i];
	}
	for (size_t i = 0; !change && i < old->n; i++) {
		if (manifest_has(os, old->v[i]) ||
		    unsafe_parents(root, old->v[i], NULL, 0))
			continue;
		char *path = join(root, old->v[i]);
		struct stat sb;
		change = lstat(path, &sb) == 0 && S_ISREG(sb.st_mode);
		free(path);
	}
	return change;
}

/* Build the new tree in o->spare, make it durable, swap it in. Returns
 * 1 done, 0 failed (reported), -1 this file system cannot: the output
 * is untouched and nothing is left, write file by file instead. */
static int swap_tree(const outpath *o, const outset *os, diag *d,
		     outdir_stats *st)
{
	struct stat rs = {0};
	bool exists = lstat(o->root, &rs) == 0;
	if (exists && !S_ISDIR(rs.st_mode)) {
		diag_error(d, srcpos_file(o->root), "cannot create directory: %s",
			   strerror(ENOTDIR));
		return 0;
	}
	pathlist old;
	read_manifest(o->root, &old);
	bool *same = calloc(os->n + 1, sizeof *same);
	if (!same)
		abort();
	build b = {.root = o->root, .spare = o->spare, .os = os, .old = &old,
		   .same = same, .dev = rs.st_dev, .d = d, .st = st};
	int r = 1;
	if (exists && !needs_change(o->root, os, &old, same)) {
		st->unchanged = os->n - (outset_find(os, EMIT_MANIFEST) != NULL);
		goto out;
	}
	if (make_dir(o->spare, exists ? 0700 : 0777) != 0) {
		diag_error(d, srcpos_file(o->spare), "cannot create directory: %s",
			   strerror(errno));
		r = 0;
		goto out;
	}
	bool dropped = false;
	bool ok = place_generated(&b) && (!exists || copy_rest(&b, "", &dropped));
	if (ok && exists)
		copy_mode(o->root, o->spare);
	/* everything in the new tree on disk before it is swapped in */
	if (ok && (file_fault("fsync") || syncfs(o->pfd) != 0)) {
		diag_error(d, srcpos_file(o->parent), "cannot sync the file system: %s",
			   strerror(errno));
		ok = false;
	}
	if (ok && exists && exchange(o->pfd, o->spare_name, o->name) != 0) {
		if (unsupported(errno))
			b.unsupported = errno;
		else
			diag_error(d, srcpos_file(o->root), "cannot swap in the new tree: %s",
				   strerror(errno));
		ok = false;
	}
	if (ok && !exists &&
	    (file_fault("swap") || renameat(o->pfd, o->spare_name, o->pfd, o->name) != 0)) {
		diag_error(d, srcpos_file(o->root), "cannot create directory: %s",
			   strerror(errno));
		ok = false;
	}
	if (ok && (file_fault("fsync") || fsync(o->pfd) != 0) && errno != EINVAL) {
		diag_error(d, srcpos_file(o->parent), "cannot sync directory: %s",
			   strerror(errno));
		r = 0; /* swapped, but maybe not durably: report, then clean up */
	}
	/* the new tree that was not swapped in, or the old one that was */
	bool cleared = clear_spare(o, os, d);
	if (!ok)
		r = b.unsupported && cleared ? -1 : 0;
	else if (!cleared)
		r = 0;
out:
	free(same);
	pathlist_release(&old);
	return r;
}

bool outdir_write(const char *root, const outset *os, diag *d,
		  outdir_stats *st)
{
	outpath o;
	memset(st, 0, sizeof *st);
	bool ok = outpath_init(&o, root, d) && lock_parent(&o, d) &&
		  clear_spare(&o, os, d);
	if (ok) {
		const char *why = why_in_place(&o);
		int r = why ? -1 : swap_tree(&o, os, d, st);
		if (r < 0) {
			if (!why)
				why = "its file system cannot swap directories";
			diag_warning(d, srcpos_file(root), "%s: files are replaced "
				     "one by one, not the tree at once", why);
			memset(st, 0, sizeof *st);
			r = write_in_place(o.root, os, d, st);
		}
		ok = r == 1;
	}
	outpath_release(&o);
	return ok;
}

/* --- check -------------------------------------------------------------- */

/* 0 when the file at root/f->path holds f's content, else 1, with its
 * diff under the budget (which counts what it cannot show). The
 * comparison reads the file a chunk at a time; only a stale file is read
 * whole, for its diff. */
static int check_file(const char *root, const outfile *f, buf *diff,
		      diff_budget *budget, char *safe, size_t size)
{
	if (unsafe_parents(root, f->path, safe, size)) {
		char *path = join(root, f->path);
		diff_unified(diff, path, NULL, 0, path, buf_str(&f->content),
			     f->content.len, budget);
		free(path);
		return 1;
	}
	char *path = join(root, f->path);
	bool same = same_bytes(path, f->content.data, f->content.len);
	if (!same) {
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
		 diff_budget *budget)
{
	(void)d;
	int stale = 0, manifest_stale = 1;
	char safe[4096] = "";
	for (size_t i = 0; i < os->n; i++) {
		int st = check_file(root, &os->v[i], diff, budget, safe,
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
			diff_note(diff, budget, "Only in %s: %s (no longer generated)",
				  root, old.v[i]);
		}
		free(path);
	}
	pathlist_release(&old);
	return stale;
}
