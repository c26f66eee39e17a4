/* cmd.c - the compiler pipeline shared by the commands, and the commands
 * that use it whole: generate and check.
 *
 * compile_run runs matrix.yaml -> matrix -> lock -> cells -> hooks -> plan,
 * stopping at the first phase that reported errors (later phases would
 * only report consequences). Diagnostics stay in the compilation until the
 * command prints them, so every command reports the same way.
 */
#include "cmd.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "emit.h"
#include "expand.h"
#include "fileio.h"
#include "hooks.h"
#include "limits_input.h"
#include "outdir.h"
#include "watchdog.h"
#include "yamlio.h"

/* dir of path, or "." */
static const char *dir_name(arena *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return ".";
	if (slash == path)
		return "/";
	return arena_strndup(a, path, (size_t)(slash - path));
}

/* path relative to dir, as a person would type it */
static const char *beside(arena *a, const char *dir, const char *name)
{
	if (name[0] == '/' || strcmp(dir, ".") == 0)
		return name;
	return arena_printf(a, "%s/%s", dir, name);
}

/* Where a file passes LIMIT_FILE_BYTES: the line and column of its first
 * byte past the limit, so that this error points into the file like every
 * other one. */
static srcpos past_limit(const char *path)
{
	srcpos at = {path, 1, 1};
	FILE *f = fopen(path, "rb");
	if (!f)
		return srcpos_file(path);
	for (size_t i = 0; i < LIMIT_FILE_BYTES; i++) {
		int ch = getc(f);
		if (ch == EOF)
			break;
		if (ch == '\n')
			at.line++, at.col = 1;
		else
			at.col++;
	}
	fclose(f);
	return at;
}

/* Read path into a buffer owned by the arena's lifetime (copied). Returns
 * EXIT_OK, or an exit status after reporting. */
static int read_input(compilation *c, const char *path, const char **text,
		      size_t *len)
{
	buf b;
	buf_init(&b, LIMIT_FILE_BYTES + 1);
	int r = file_read(path, &b, LIMIT_FILE_BYTES);
	int err = errno;
	if (r == -2) {
		diag_error(c->d, past_limit(path),
			   "file is larger than %u bytes (the limit)",
			   LIMIT_FILE_BYTES);
		buf_release(&b);
		return EXIT_INPUT;
	}
	if (r != 0) {
		diag_error(c->d, srcpos_file(path), "cannot read: %s",
			   strerror(err));
		buf_release(&b);
		return err == ENOENT ? EXIT_INPUT : EXIT_ENV;
	}
	*len = b.len;
	*text = arena_strndup(c->a, buf_str(&b), b.len);
	buf_release(&b);
	diag_add_source(c->d, path, *text, *len);
	return EXIT_OK;
}

/* Whether dir (a "../"-prefix, "" for here) is where the upward search
 * stops: the top of a git work tree (.git, a directory or a worktree's
 * file), the file system's root, or the last directory before another
 * file system, as git's own discovery does. */
static bool search_stops(arena *a, const char *dir)
{
	struct stat here, up, git;
	const char *d = *dir ? dir : "./";
	if (stat(arena_printf(a, "%s.git", d), &git) == 0)
		return true;
	if (stat(d, &here) != 0 || stat(arena_printf(a, "%s..", d), &up) != 0)
		return true;
	return (here.st_dev == up.st_dev && here.st_ino == up.st_ino) ||
	       here.st_dev != up.st_dev;
}

/* matrix.yaml here or in the nearest parent directory that has one, as
 * "matrix.yaml", "../matrix.yaml", ...; NULL when there is none up to
 * where search_stops. */
static const char *find_matrix(arena *a)
{
	const char *dir = "";
	for (int depth = 0; depth < 256; depth++) {
		const char *path = arena_printf(a, "%smatrix.yaml", dir);
		struct stat st;
		if (stat(path, &st) == 0)
			return path;
		if (search_stops(a, dir))
			break;
		dir = arena_printf(a, "%s../", dir);
	}
	return NULL;
}

static int load_matrix(compilation *c, const cli_opts *o)
{
	const char *text;
	size_t len;
	c->matrix_path = o->matrix_file ? o->matrix_file : find_matrix(c->a);
	bool searched = !c->matrix_path;
	if (searched)
		c->matrix_path = "matrix.yaml";
	c->dir = dir_name(c->a, c->matrix_path);
	int r = read_input(c, c->matrix_path, &text, &len);
	if (r == EXIT_INPUT && searched && diag_errors(c->d))
		diag_note(c->d, srcpos_file(NULL),
			  "no matrix.yaml here nor in a parent directory up to "
			  "the repository's top (-f names one; 'matrixc init' "
			  "writes one)");
	if (r)
		return r;
	ynode *root = yaml_load(c->a, c->d, c->matrix_path, text, len);
	if (!root || !matrix_load(c->a, c->d, root, c->matrix_path, c->dir, &c->m) ||
	    diag_errors(c->d))
		return EXIT_INPUT;
	const char *lock = c->m.lock_file.s ? c->m.lock_file.s : "matrix.lock.json";
	c->lock_path = o->lock_file ? o->lock_file : beside(c->a, c->dir, lock);
	return EXIT_OK;
}

static int load_lock(compilation *c)
{
	const char *text;
	size_t len;
	int r = read_input(c, c->lock_path, &text, &len);
	if (r == EXIT_INPUT && diag_errors(c->d))
		diag_note(c->d, srcpos_file(NULL),
			  "'matrixc update' creates the lock file");
	if (r)
		return r;
	return lock_parse(c->a, c->d, c->lock_path, text, len, &c->lock)
		   ? EXIT_OK
		   : EXIT_INPUT;
}

bool matrix_uses_release(const matrix *m, const char *key)
{
	for (size_t i = 0; i < m->nversions; i++)
		if (m->versions[i].spec.s && !strcmp(m->versions[i].spec.s, key))
			return true;
	for (size_t i = 0; i < m->nincludes; i++)
		if (m->includes[i].version.s &&
		    !strcmp(m->includes[i].version.s, key))
			return true;
	return false;
}

/* Whether a cell that is built names base image (written without a
 * digest: one with a digest is not looked up in the lock) */
static bool plan_uses_base(const plan *p, const char *image)
{
	for (size_t i = 0; i < p->cells.n; i++)
		if (p->cells.v[i]->base.s && !strcmp(p->cells.v[i]->base.s, image))
			return true;
	return false;
}

/* A base that no built cell uses (after the hooks), at its lock entry:
 * left behind when a base or a hook changed. update --prune drops it
 * when it resolves the bases, which it does only with pin_bases: true
 * (cmd_update.c), so with false the warning says to remove it by hand. */
static void base_warnings(compilation *c)
{
	for (size_t i = 0; i < c->lock.nbases; i++) {
		const lock_base *b = &c->lock.bases[i];
		if (plan_uses_base(&c->p, b->image.s))
			continue;
		diag_warning(c->d, b->image.at,
			     "base '%s' is locked but no cell uses it (%s)",
			     b->image.s,
			     c->m.pin_bases
				 ? "'matrixc update --prune' removes it"
				 : "update leaves the bases alone with 'pin_bases: "
				   "false': remove it from the lock file by hand");
	}
}

/* Warnings about the lock's entries, at each entry: one that no matrix
 * entry uses (left behind when a version was dropped), and one that
 * update locked without a published checksum to check it against
 * (update --trust-unverified); then the bases no cell uses. */
static void lock_warnings(compilation *c)
{
	for (size_t i = 0; i < c->lock.n; i++) {
		const lock_entry *e = &c->lock.v[i];
		if (!matrix_uses_release(&c->m, e->key.s))
			diag_warning(c->d, e->key.at,
				     "release '%s' is not used by %s "
				     "('matrixc update --prune' removes it)",
				     e->key.s, c->matrix_path);
		else if (e->unverified)
			diag_warning(c->d, e->key.at,
				     "release '%s' is unverified: its sha256 "
				     "was computed from the download, with no "
				     "published checksum to check it against",
				     e->key.s);
	}
	base_warnings(c);
}

int compile_cells(compilation *c)
{
	if (!expand_cells(c->a, c->d, &c->m, &c->lock, &c->all))
		return EXIT_INPUT;
	/* the watchdog ends the process, with EXIT_INPUT, in a step of the
	 * hooks that no limit of theirs can stop (watchdog.h) */
	bool hooked = true;
	if (c->m.hooks.n) {
		watchdog_start(hooks_watchdog_period(), EXIT_INPUT);
		hooked = hooks_run(c->a, c->d, &c->m, &c->all);
		watchdog_stop();
	}
	return hooked ? EXIT_OK : EXIT_INPUT;
}

int compile_run(compilation *c, const cli_opts *o, compile_stage stage)
{
	memset(c, 0, sizeof *c);
	c->a = arena_new();
	c->d = diag_new(LIMIT_DIAGNOSTICS);
	int r = load_matrix(c, o);
	if (r || stage == UPTO_MATRIX)
		return r;
	if ((r = load_lock(c)))
		return r;
	if ((r = compile_cells(c)))
		return r;
	if (!plan_build(c->a, c->d, &c->m, &c->all, &c->p))
		return EXIT_INPUT;
	/* after the run's own warnings, and only when it has no errors:
	 * they are what a person fixes first */
	lock_warnings(c);
	return EXIT_OK;
}

void compile_release(compilation *c)
{
	diag_free(c->d);
	arena_free(c->a);
	memset(c, 0, sizeof *c);
}

void compile_report(const compilation *c, const cli_opts *o)
{
	if (c->d)
		diag_print(c->d, o->err, o->color);
}

/* dir without the trailing slashes a person may type (-o ./images/), so
 * that a path joined below it reads ./images/Makefile, not
 * ./images//Makefile; "/" stays itself. */
static const char *trim_slashes(arena *a, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return dir[n] ? arena_strndup(a, dir, n) : dir;
}

const char *compile_out_dir(const compilation *c, const cli_opts *o)
{
	if (o->out_dir)
		return trim_slashes(c->a, o->out_dir);
	return trim_slashes(c->a, beside(c->a, c->dir, c->m.output.s));
}

/* Give each cell of the plan its base's digest from the lock file. A
 * base with none is an error at the base (its matrix.yaml line or the
 * hook line that set it), once per base; a base written with a digest
 * is pinned already. */
static bool pin_bases(compilation *c)
{
	bool ok = true, noted = false;
	const char **missing = arena_alloc(c->a, (c->p.cells.n + 1) *
						     sizeof *missing);
	size_t nmissing = 0;
	for (size_t i = 0; i < c->p.cells.n; i++) {
		cell *x = c->p.cells.v[i];
		if (!x->base.s || strchr(x->base.s, '@'))
			continue;
		const lock_base *b = lock_find_base(&c->lock, x->base.s);
		if (b) {
			x->base_digest = b->digest.s;
			continue;
		}
		ok = false;
		size_t k = 0;
		while (k < nmissing && strcmp(missing[k], x->base.s) != 0)
			k++;
		if (k < nmissing)
			continue;
		missing[nmissing++] = x->base.s;
		diag_error(c->d, x->base.at.file ? x->base.at : x->origin,
			   "base image '%s' has no digest in %s", x->base.s,
			   c->lock_path);
		if (!noted)
			diag_note(c->d, srcpos_file(NULL),
				  "'matrixc update' resolves the digests of the "
				  "base images into the lock file; 'pin_bases: "
				  "false' in %s builds on the moving tags instead",
				  c->matrix_path);
		noted = true;
	}
	return ok;
}

static const char *output_link(compilation *c, const cli_opts *o,
			       const char *dir);

/* Compile and emit; on success os holds every generated file. With
 * early (check), each file is compared with the output directory as
 * soon as it is made, unless that directory is reached through a
 * symlink (output_is_real, after this, reports it). */
static int compile_emit(compilation *c, const cli_opts *o, outset *os,
			outdir_early *early)
{
	int r = compile_run(c, o, UPTO_PLAN);
	if (r)
		return r;
	if (c->m.pin_bases && !pin_bases(c))
		return EXIT_INPUT;
	outset_init(os);
	if (early) {
		const char *dir = compile_out_dir(c, o);
		if (!output_link(c, o, dir))
			outdir_check_early(early, dir, os);
	}
	bool ok = emit_all(&c->p, os, c->d);
	os->complete = NULL;
	if (early)
		outdir_early_release(early);
	if (!ok)
		return EXIT_INPUT;
	return diag_errors(c->d) ? EXIT_INPUT : EXIT_OK;
}

/* The output directory that matrix.yaml names must be a real directory
 * of the repository: a committed symlink (generated -> /etc/cron.d) would
 * send every generated file outside it, and have check compare (and show
 * in its diff) files from there. A directory given with -o is the user's
 * own choice and is taken as it is. dir: compile_out_dir's; verb: "write"
 * or "read". */
static bool output_is_real(compilation *c, const cli_opts *o, const char *dir,
			   const char *verb)
{
	const char *link = output_link(c, o, dir);
	if (link) {
		srcpos at = c->m.output.at.line ? c->m.output.at
						: srcpos_file(c->m.file);
		diag_error(c->d, at, "refusing to %s through the symlink %s",
			   verb, link);
	}
	return !link;
}

/* The first symlink on the way to matrix.yaml's output directory, or
 * NULL when there is none (or the directory is -o's). */
static const char *output_link(compilation *c, const cli_opts *o,
			       const char *dir)
{
	if (o->out_dir)
		return NULL;
	const char *out = c->m.output.s;
	char *path = arena_strdup(c->a, dir);
	char *p = path + strlen(path) - strlen(out);
	for (bool last = false; !last; p++) {
		p += strcspn(p, "/");
		last = *p == '\0';
		*p = '\0';
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			return path;
		if (!last)
			*p = '/';
	}
	return NULL;
}

int cmd_generate(const cli_opts *o)
{
	compilation c;
	outset os = {0};
	outdir_stats st;
	int r = compile_emit(&c, o, &os, NULL);
	const char *dir = r ? NULL : compile_out_dir(&c, o);
	if (!r && !c.m.pin_bases)
		diag_warning(c.d, c.m.pin_bases_at,
			     "pin_bases is false: the Dockerfiles name base "
			     "images by tag, so two builds of one commit may "
			     "start from different images");
	if (!r && (!output_is_real(&c, o, dir, "write") ||
		   !outdir_write(dir, &os, c.d, &st)))
		r = EXIT_ENV;
	compile_report(&c, o);
	if (!r && !o->quiet)
		fprintf(o->out, "matrixc: %s: %zu written, %zu unchanged, %zu removed\n",
			o->out_dir ? o->out_dir : dir, st.written, st.unchanged, st.removed);
	outset_release(&os);
	compile_release(&c);
	return r;
}

/* The command a person runs to bring generated/ up to date. */
static void fix_hint(const cli_opts *o, FILE *f)
{
	fputs("matrixc: to update it, run: matrixc generate", f);
	if (o->matrix_file)
		fprintf(f, " -f %s", o->matrix_file);
	if (o->out_dir)
		fprintf(f, " -o %s", o->out_dir);
	fputc('\n', f);
}

/* The diff on o->out, then (after a flush) the verdict on o->err: when
 * both go to one pipe, as under pre-commit, the verdict comes after the
 * last diff line instead of inside it. */
static void report_stale(const cli_opts *o, const char *dir, const buf *diff,
			 const diff_budget *budget)
{
	fwrite(diff->data ? diff->data : "", 1, diff->len, o->out);
	if (budget->omitted)
		fprintf(o->out, "... %zu more line%s of diff not shown "
			"(--diff-lines N shows more)\n", budget->omitted,
			budget->omitted == 1 ? "" : "s");
	fflush(o->out);
	size_t n = strlen(dir);
	fprintf(o->err, "matrixc: %s%s is out of date\n", dir,
		n && dir[n - 1] == '/' ? "" : "/");
	fix_hint(o, o->err);
}

int cmd_check(const cli_opts *o)
{
	compilation c;
	outset os = {0};
	outdir_early early = {0};
	buf diff;
	buf_init(&diff, 0);
	diff_budget budget = {o->diff_lines ? o->diff_lines : 200, 0};
	int r = compile_emit(&c, o, &os, &early);
	const char *dir = r ? NULL : compile_out_dir(&c, o);
	int stale = 0;
	if (!r && !output_is_real(&c, o, dir, "read"))
		stale = -1;
	else if (!r)
		stale = outdir_check(dir, &os, c.d, &diff, &budget);
	compile_report(&c, o);
	if (stale < 0) {
		r = EXIT_ENV;
	} else if (stale) {
		report_stale(o, dir, &diff, &budget);
		r = EXIT_STALE;
	}
	buf_release(&diff);
	outset_release(&os);
	compile_release(&c);
	return r;
}
