/* fuzz_compile.c - libFuzzer target: the whole compiler in memory.
 *
 * Input: matrix.yaml, a NUL byte, matrix.lock.json, a NUL byte, and then
 * lines "FIELD VALUE" that stand in for a hook: each sets (tag, base) or
 * appends to (alias, env, arg, configure, make, build, run) that field of
 * every cell, so that hostile hook values reach plan.c's checks and, when
 * they pass, the emitters. Without a NUL the lock file is a built-in one.
 *
 * Beyond "no crash, no sanitizer report, no leak", the output must keep
 * three promises: every path stays inside the output directory, no file
 * holds a control character other than newline and tab, and the CI file
 * reads back as YAML.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits_input.h"
#include "cell.h"
#include "diag.h"
#include "emit.h"
#include "expand.h"
#include "lock.h"
#include "matrix.h"
#include "names.h"
#include "plan.h"
#include "yamlio.h"

#include "builtin_lock.h"

#define MAX_FUZZ_CELLS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next part of the input up to a NUL (or the end); an exact-size copy
 * so that reading past its end is caught. */
static char *part(const uint8_t **p, const uint8_t *end, size_t *len)
{
	const uint8_t *nul = memchr(*p, 0, (size_t)(end - *p));
	*len = (size_t)((nul ? nul : end) - *p);
	char *s = malloc(*len + 1);
	if (!s)
		abort();
	memcpy(s, *p, *len);
	s[*len] = '\0';
	*p = nul ? nul + 1 : end;
	return s;
}

static void set_field(arena *a, cell *c, const char *field, const char *v)
{
	srcpos at = {"lua/fuzz.lua", 1, 0};
	pstr p = {arena_strdup(a, v), at};
	struct {
		const char *name;
		strlist *l;
	} lists[] = {{"alias", &c->aliases},       {"env", &c->env},
		     {"arg", &c->build_args},      {"configure", &c->configure},
		     {"make", &c->make_flags},     {"build", &c->build_packages},
		     {"run", &c->run_packages}};
	if (!strcmp(field, "tag"))
		c->tag = p;
	else if (!strcmp(field, "base"))
		c->base = p;
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
		if (!strcmp(field, lists[i].name))
			strlist_add(a, lists[i].l, p.s, at);
}

/* "FIELD VALUE" lines, applied to every cell */
static void act_as_hook(arena *a, cellset *cs, char *lines)
{
	for (char *line = lines, *nl; line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		for (size_t i = 0; i < cs->n; i++)
			set_field(a, cs->v[i], line, sp + 1);
	}
}

static void check_outputs(const outset *os)
{
	for (size_t i = 0; i < os->n; i++) {
		const outfile *f = &os->v[i];
		if (name_check_path(f->path))
			abort();
		for (size_t j = 0; j < f->content.len; j++) {
			unsigned char ch = (unsigned char)f->content.data[j];
			if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
				abort();
		}
	}
	const outfile *ci = outset_find(os, ".gitlab-ci.yml");
	if (!ci)
		return;
	arena *a = arena_new();
	diag *d = diag_new(LIMIT_DIAGNOSTICS);
	if (!yaml_load(a, d, ".gitlab-ci.yml", ci->content.data, ci->content.len) ||
	    diag_errors(d))
		abort();
	diag_free(d);
	arena_free(a);
}

static void compile(arena *a, diag *d, const char *yaml, size_t ylen,
		    const char *lock, size_t llen, char *hook)
{
	ynode *root = yaml_load(a, d, "matrix.yaml", yaml, ylen);
	matrix m;
	lockfile lf = {0};
	cellset all = {0};
	plan p;
	if (!root || !matrix_load(a, d, root, "matrix.yaml", ".", &m) ||
	    m.nversions * m.nvariants + m.nincludes > MAX_FUZZ_CELLS ||
	    !lock_parse(a, d, "matrix.lock.json", lock, llen, &lf) ||
	    !expand_cells(a, d, &m, &lf, &all))
		return;
	act_as_hook(a, &all, hook);
	if (!plan_build(a, d, &m, &all, &p))
		return;
	outset os;
	outset_init(&os);
	if (emit_all(&p, &os, d) && !diag_errors(d))
		check_outputs(&os);
	outset_release(&os);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	if (size > LIMIT_FILE_BYTES)
		return 0;
	const uint8_t *p = data, *end = data + size;
	size_t ylen, llen, hlen;
	bool has_lock = size && memchr(data, 0, size);
	char *yaml = part(&p, end, &ylen);
	char *lock = part(&p, end, &llen);
	char *hook = part(&p, end, &hlen);
	arena *a = arena_new();
	diag *d = diag_new(LIMIT_DIAGNOSTICS);
	diag_add_source(d, "matrix.yaml", yaml, ylen);
	if (has_lock)
		compile(a, d, yaml, ylen, lock, llen, hook);
	else
		compile(a, d, yaml, ylen, builtin_lock, sizeof builtin_lock - 1,
			hook);
	diag_print(d, sink, false);
	diag_free(d);
	arena_free(a);
	free(yaml);
	free(lock);
	free(hook);
	return 0;
}
