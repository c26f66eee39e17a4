/* cmd_init.c - `matrixc init [DIR]`: a starter project.
 *
 * Writes the shipped matrix.yaml, matrix.lock.json, lua/ hooks (with the
 * language server annotations), a .pre-commit-config.yaml and a
 * .gitattributes (generated/ is generated, with LF endings) into DIR
 * (default: the current directory). It never overwrites: every target is
 * checked first, and if any exists nothing is written.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "init_files.h"
#include "fileio.h"
#include "limits_input.h"

static const char *join(arena *a, const char *dir, const char *name)
{
	return strcmp(dir, ".") == 0 ? name : arena_printf(a, "%s/%s", dir, name);
}

/* Report every target that exists (or cannot be checked). */
static int count_existing(arena *a, const char *dir, const cli_opts *o)
{
	int n = 0;
	struct stat st;
	for (size_t i = 0; i < init_nfiles; i++) {
		const char *path = join(a, dir, init_files[i].path);
		if (lstat(path, &st) == 0) {
			fprintf(o->err, "matrixc: error: '%s' already exists\n",
				path);
			n++;
		} else if (errno != ENOENT && errno != ENOTDIR) {
			fprintf(o->err, "matrixc: error: cannot check '%s': %s\n",
				path, strerror(errno));
			n++;
		}
	}
	return n;
}

/* mkdir -p for the directories of path (relative, few levels). */
static bool make_parents(arena *a, const char *path, const cli_opts *o)
{
	char *p = arena_strdup(a, path);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			fprintf(o->err, "matrixc: error: cannot create '%s': %s\n",
				p, strerror(errno));
			return false;
		}
		*s = '/';
	}
	return true;
}

static int write_all(arena *a, const char *dir, const cli_opts *o)
{
	diag *d = diag_new(LIMIT_DIAGNOSTICS);
	bool ok = true;
	for (size_t i = 0; ok && i < init_nfiles; i++) {
		const char *path = join(a, dir, init_files[i].path);
		ok = make_parents(a, path, o) &&
		     file_write_atomic(path, init_files[i].text, init_files[i].len,
				       d);
	}
	diag_print(d, o->err, o->color);
	diag_free(d);
	return ok ? EXIT_OK : EXIT_ENV;
}

int cmd_init(const cli_opts *o)
{
	if (o->nargs > 1) {
		fputs("matrixc: error: init takes at most one directory\n", o->err);
		return EXIT_INPUT;
	}
	const char *dir = o->nargs ? o->args[0] : ".";
	arena *a = arena_new();
	if (strcmp(dir, ".") != 0 && mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(o->err, "matrixc: error: cannot create '%s': %s\n", dir,
			strerror(errno));
		arena_free(a);
		return EXIT_ENV;
	}
	int r = EXIT_INPUT;
	if (count_existing(a, dir, o) == 0)
		r = write_all(a, dir, o);
	else
		fputs("matrixc: init writes into an empty directory and never "
		      "overwrites: nothing was written\n", o->err);
	if (r == EXIT_OK && !o->quiet)
		fprintf(o->out, "matrixc: wrote a starter project in %s; edit "
			"matrix.yaml, then run: matrixc generate\n", dir);
	arena_free(a);
	return r;
}
