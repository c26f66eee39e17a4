/* outdir.c - writing and checking the output directory (outdir.h).
 *
 * generate takes the lock on the output's parent, removes what a killed
 * run left beside the output, and writes the whole tree at once
 * (outswap.h); where the swap cannot be done (a mount point, a
 * repository's root, a file system without the exchange), it writes
 * file by file (outinplace.h), with a warning. check compares the
 * in-memory outset with the directory, file by file, without writing
 * anything. What they share (paths, the manifest, comparing a file with
 * bytes) is in outtree.h.
 */
#include "outdir.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "diff.h"
#include "limits_input.h"
#include "fileio.h"
#include "outinplace.h"
#include "outswap.h"
#include "outtree.h"

bool outdir_write(const char *root, const outset *os, diag *d,
		  outdir_stats *st)
{
	outpath o;
	memset(st, 0, sizeof *st);
	bool ok = outpath_init(&o, root, d) && outpath_lock(&o, d) &&
		  outswap_clear_spare(&o, os, d);
	if (ok) {
		const char *why = outpath_why_in_place(&o);
		int r = why ? -1 : outswap_tree(&o, os, d, st);
		if (r < 0) {
			if (!why)
				why = "its file system cannot swap directories";
			diag_warning(d, srcpos_file(root), "%s: files are replaced "
				     "one by one, not the tree at once", why);
			memset(st, 0, sizeof *st);
			r = outinplace_write(o.root, os, d, st);
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
	char *path = outtree_join(root, f->path);
	if (outtree_unsafe_parents(root, f->path, safe, size)) {
		diff_unified(diff, path, NULL, 0, path, buf_str(&f->content),
			     f->content.len, budget);
		free(path);
		return 1;
	}
	bool same = outtree_same_bytes(path, f->content.data, f->content.len);
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

/* Are rel's directories under the root plain ones (no symlink)? The
 * emitters do not make files in path order (publish files alternate
 * between a cell's directory and aliases/), so each directory found
 * plain is remembered. */
static bool plain_dirs(outdir_early *e, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	if (!slash)
		return true;
	char *dir = arena_strndup(e->a, rel, (size_t)(slash - rel));
	if (strtab_get(&e->dirs, dir, NULL))
		return true;
	if (outtree_unsafe_parents(e->root, rel, e->last, sizeof e->last))
		return false;
	strtab_put(&e->dirs, dir, 0, NULL);
	return true;
}

static void compare_early(outfile *f, void *arg)
{
	outdir_early *e = arg;
	if (!buf_ok(&f->content) || !plain_dirs(e, f->path))
		return;
	char *path = outtree_join(e->root, f->path);
	if (outtree_same_bytes(path, f->content.data, f->content.len)) {
		f->up_to_date = true;
		buf_release(&f->content);
	}
	free(path);
}

void outdir_check_early(outdir_early *e, const char *dir, outset *os)
{
	e->root = dir;
	e->a = arena_new();
	strtab_init(&e->dirs, 64);
	e->last[0] = '\0';
	os->complete = compare_early;
	os->complete_arg = e;
}

void outdir_early_release(outdir_early *e)
{
	if (!e->a)
		return;
	strtab_release(&e->dirs);
	arena_free(e->a);
	e->a = NULL;
}

int outdir_check(const char *root, const outset *os, diag *d, buf *diff,
		 diff_budget *budget)
{
	(void)d;
	int stale = 0, manifest_stale = 1;
	char safe[4096] = "";
	for (size_t i = 0; i < os->n; i++) {
		int st = os->v[i].up_to_date ? 0 :
			 check_file(root, &os->v[i], diff, budget, safe,
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
	pathlist_read(root, &old);
	for (size_t i = 0; i < old.n; i++) {
		if (outtree_generates(os, old.v[i]))
			continue;
		char *path = outtree_join(root, old.v[i]);
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
