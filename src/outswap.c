/* outswap.c - generate's whole tree at once (outswap.h).
 *
 * The new tree is built in the sibling PARENT/.NAME.matrixc-swap (same
 * file system): a hard link for each file whose bytes did not change (it
 * keeps its inode and mtime) and for each file matrixc does not own, a
 * new file for each changed one, directories made again with their
 * modes, the files it no longer generates left out. One syncfs puts the
 * new tree on disk, renameat2(RENAME_EXCHANGE) swaps the two directories
 * in one step, an fsync of the parent makes that durable, and the old
 * tree, now at the sibling's name, is pruned. A kill at any moment leaves
 * the old tree or the new one, and at most the sibling, which the next
 * run prunes first. A run with nothing to change builds nothing.
 *
 * Pruning a tree that is not the output (prune_tree) removes only what is
 * matrixc's: what the output holds too (the same inode), what the tree's
 * own manifest lists (written first, removed last), what is generated
 * now. Anything else stays and is reported: a file written into the
 * output while generate ran is never lost.
 *
 * Two runs at once are serialised by flock on the output's parent: the
 * swap replaces the output directory itself, so a lock on it would not
 * hold; no lock file is left behind for anyone to commit.
 */
#define _DEFAULT_SOURCE /* flock */
#define _GNU_SOURCE     /* syncfs, renameat2 */
#include "outswap.h"

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

#include "fileio.h"
#include "outtree.h"

void outpath_release(outpath *o)
{
	free(o->root);
	free(o->parent);
	free(o->name);
	free(o->spare);
	free(o->spare_name);
	if (o->pfd >= 0)
		close(o->pfd);
}

/* Split root into parent and name. A root that is a symlink (-o is the
 * user's choice), or ends in "." or "..", is first resolved, so that the
 * swap replaces the directory and not a link or an alias of it. */
bool outpath_init(outpath *o, const char *root, diag *d)
{
	memset(o, 0, sizeof *o);
	o->pfd = -1;
	o->root = outtree_dup(root);
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
	o->parent = outtree_dup(dir);
	base = strrchr(o->root, '/');
	o->name = outtree_dup(strcmp(o->root, "/") ? (base ? base + 1 : o->root) : "");
	n = strlen(o->name) + 32;
	o->spare_name = malloc(n);
	if (!o->spare_name)
		abort();
	snprintf(o->spare_name, n, ".%s.matrixc-swap", o->name);
	o->spare = outtree_join(o->parent, o->spare_name);
	return true;
}

/* Create the parent directories and lock the parent: the lock must
 * outlive the swap, which replaces the output directory itself. */
bool outpath_lock(outpath *o, diag *d)
{
	char *copy = outtree_join(o->parent, "x");
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
const char *outpath_why_in_place(const outpath *o)
{
	struct stat rs, ps, gs;
	if (!*o->name)
		return "it is the root of the file system";
	if (lstat(o->root, &rs) != 0)
		return NULL;
	if (fstat(o->pfd, &ps) == 0 &&
	    (rs.st_dev != ps.st_dev || rs.st_ino == ps.st_ino))
		return "it is a mount point";
	char *git = outtree_join(o->root, ".git");
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
	char *path = outtree_join(root, rel);
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
	char *mp = outtree_join(b->spare, EMIT_MANIFEST);
	char *old = outtree_join(b->root, EMIT_MANIFEST);
	bool ok = !m || (b->same[m - b->os->v] ? link_into(b, old, mp)
					       : write_new(mp, &m->content, b->d));
	free(mp);
	free(old);
	for (size_t i = 0; ok && i < b->os->n; i++) {
		const outfile *f = &b->os->v[i];
		if (f == m)
			continue;
		if (!outtree_inside(f->path)) {
			diag_error(b->d, srcpos_file(f->path), "not inside the output");
			return false;
		}
		if (!root_parents_ok(b->root, f->path, b->d) ||
		    !outtree_make_parents(b->spare, f->path, b->d))
			return false;
		char *from = outtree_join(b->root, f->path), *to = outtree_join(b->spare, f->path);
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
	return outtree_temp_target(dir, name, target, sizeof target) &&
	       outtree_owned(os, own, target);
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
	char *crel = *rel ? outtree_join(rel, name) : outtree_dup(name);
	char *from = outtree_join(b->root, crel), *to = outtree_join(b->spare, crel);
	struct stat st;
	bool ok = true;
	if (!strcmp(crel, EMIT_MANIFEST) || outtree_generates(b->os, crel)) {
		/* there already */
	} else if (lstat(from, &st) != 0) {
		/* gone since the listing */
	} else if (S_ISDIR(st.st_mode)) {
		bool sub = false;
		if (st.st_dev != b->dev) {
			b->unsupported = EXDEV; /* a mount inside */
			ok = false;
		} else if (outtree_mkdir(to, 0700) != 0 && errno != EEXIST) {
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
	char *dir = *rel ? outtree_join(b->root, rel) : outtree_dup(b->root);
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
	char *crel = *rel ? outtree_join(rel, name) : outtree_dup(name);
	char *path = outtree_join(p->top, crel), *twin = outtree_join(p->root, crel);
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
		   outtree_generates(p->os, crel) ||
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
	char *dir = *rel ? outtree_join(p->top, rel) : outtree_dup(p->top);
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
	pathlist_read(top, &p.own);
	bool gone = prune_dir(&p, "");
	char *m = outtree_join(top, EMIT_MANIFEST);
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
bool outswap_clear_spare(const outpath *o, const outset *os, diag *d)
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
	bool change = !m || !outtree_same_buf(&old->bytes, &m->content);
	char safe[4096] = "";
	for (size_t i = 0; i < os->n; i++) {
		const outfile *f = &os->v[i];
		if (f == m) {
			same[i] = !change;
			continue;
		}
		char *path = outtree_join(root, f->path);
		same[i] = !outtree_unsafe_parents(root, f->path, safe, sizeof safe) &&
			  outtree_same_content(path, &f->content);
		free(path);
		change |= !same[i];
	}
	for (size_t i = 0; !change && i < old->n; i++) {
		if (outtree_generates(os, old->v[i]) ||
		    outtree_unsafe_parents(root, old->v[i], NULL, 0))
			continue;
		char *path = outtree_join(root, old->v[i]);
		struct stat sb;
		change = lstat(path, &sb) == 0 && S_ISREG(sb.st_mode);
		free(path);
	}
	return change;
}

/* Build the new tree in o->spare, make it durable, swap it in. Returns
 * 1 done, 0 failed (reported), -1 this file system cannot: the output
 * is untouched and nothing is left, write file by file instead. */
int outswap_tree(const outpath *o, const outset *os, diag *d,
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
	pathlist_read(o->root, &old);
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
	if (outtree_mkdir(o->spare, exists ? 0700 : 0777) != 0) {
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
	bool cleared = outswap_clear_spare(o, os, d);
	if (!ok)
		r = b.unsupported && cleared ? -1 : 0;
	else if (!cleared)
		r = 0;
out:
	free(same);
	pathlist_release(&old);
	return r;
}
