/* outinplace.c - generate file by file, where the tree cannot be
 * swapped whole (a mount point, a repository's root, a file system that
 * refuses the links or the exchange, not Linux); generate warns when it
 * comes to this. See outinplace.h for the contract: each changed file to
 * a temporary name, one syncfs, the renames, one more syncfs.
 */
#define _GNU_SOURCE /* syncfs */
#include "outinplace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "outtree.h"

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
		if (!outtree_inside(f->path) || !outtree_make_parents(root, f->path, d)) {
			ok = false;
			break;
		}
		char *path = outtree_join(root, f->path);
		if (outtree_same_content(path, &f->content)) {
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
		if (outtree_generates(os, old->v[i]) ||
		    outtree_unsafe_parents(root, old->v[i], NULL, 0))
			continue;
		char *path = outtree_join(root, old->v[i]);
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
		char *path = outtree_join(root, os->v[i].path);
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

/* Write text as the manifest unless it is on_disk, what this run read
 * from the file or last wrote to it (under the directory lock, nothing
 * else writes it). A manifest that could not be read reads as empty,
 * which no manifest is (it has a header), so it is written. */
static bool write_manifest(const char *root, const buf *text,
			   const buf *on_disk, diag *d)
{
	if (outtree_same_buf(on_disk, text))
		return true;
	char *path = outtree_join(root, EMIT_MANIFEST);
	bool ok = file_write_atomic(path, text->data, text->len, d);
	free(path);
	return ok;
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
		    outtree_unsafe_parents(root, os->v[i].path, NULL, 0))
			continue;
		snprintf(prev, sizeof prev, "%s", dir);
		char *full = outtree_join(root, dir);
		DIR *dp = opendir(full);
		for (struct dirent *e; dp && (e = readdir(dp));) {
			if (!outtree_temp_target(dir, e->d_name, target, sizeof target) ||
			    !outtree_owned(os, old, target))
				continue;
			char *tmp = outtree_join(full, e->d_name);
			unlink(tmp);
			free(tmp);
		}
		if (dp)
			closedir(dp);
		free(full);
	}
}

/* The manifest text for os plus the old entries not in os. */
static void union_manifest(const outset *os, const pathlist *old, buf *out)
{
	const outfile *m = outset_find(os, EMIT_MANIFEST);
	if (m)
		buf_add(out, m->content.data, m->content.len);
	for (size_t i = 0; i < old->n; i++)
		if (!outtree_generates(os, old->v[i]))
			buf_printf(out, "%s\n", old->v[i]);
}

bool outinplace_write(const char *root, const outset *os, diag *d,
		      outdir_stats *st)
{
	if (!outtree_make_root(root, d))
		return false;
	int root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		diag_error(d, srcpos_file(root), "cannot open: %s", strerror(errno));
		return false;
	}
	pathlist old;
	buf pre;
	bool ok;
	pathlist_read(root, &old);
	remove_leftovers(root, os, &old);
	buf_init(&pre, OUTTREE_MANIFEST_MAX);
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
