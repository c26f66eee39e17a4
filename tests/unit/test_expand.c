/* Expansion: cells, excludes, tags and the default aliases. */
#include <string.h>

#include "expand.h"
#include "plan.h"
#include "tap.h"
#include "yamlio.h"

static const char lock_text[] =
    "{\"matrixc\": 1, \"releases\": {"
    "\"3.13\": {\"version\": \"3.13.5\", \"url\": "
    "\"https://www.python.org/ftp/python/3.13.5/Python-3.13.5.tar.xz\", "
    "\"sha256\": \"" /* any valid hex will do here */
    "0000000000000000000000000000000000000000000000000000000000000001\"},"
    "\"3.12\": {\"version\": \"3.12.11\", \"url\": "
    "\"https://www.python.org/ftp/python/3.12.11/Python-3.12.11.tar.xz\", "
    "\"sha256\": "
    "\"0000000000000000000000000000000000000000000000000000000000000002\"},"
    "\"3.15-rc\": {\"version\": \"3.15.0b4\", \"url\": "
    "\"https://www.python.org/ftp/python/3.15.0/Python-3.15.0b4.tar.xz\", "
    "\"sha256\": "
    "\"0000000000000000000000000000000000000000000000000000000000000003\"},"
    "\"2.7\": {\"version\": \"2.7.18\", \"url\": "
    "\"https://www.python.org/ftp/python/2.7.18/Python-2.7.18.tar.xz\", "
    "\"sha256\": "
    "\"0000000000000000000000000000000000000000000000000000000000000004\"}"
    "}}";

typedef struct {
	arena *a;
	diag *d;
	matrix m;
	lockfile lf;
	cellset cs;
	plan p;
	bool ok;
} fixture;

static void compile(fixture *f, const char *yaml)
{
	memset(f, 0, sizeof *f);
	f->a = arena_new();
	f->d = diag_new(50);
	ynode *root = yaml_load(f->a, f->d, "m.yaml", yaml, strlen(yaml));
	f->ok = root && matrix_load(f->a, f->d, root, "m.yaml", ".", &f->m) &&
		lock_parse(f->a, f->d, "l.json", lock_text, strlen(lock_text),
			   &f->lf) &&
		expand_cells(f->a, f->d, &f->m, &f->lf, &f->cs) &&
		plan_build(f->a, f->d, &f->m, &f->cs, &f->p);
}

static void release(fixture *f)
{
	diag_free(f->d);
	arena_free(f->a);
}

/* "tag alias alias" of cell i */
static const char *tags_of(fixture *f, size_t i)
{
	static char out[512];
	const cell *c = f->p.cells.v[i];
	snprintf(out, sizeof out, "%s", c->tag.s);
	for (size_t j = 0; j < c->aliases.n; j++) {
		strncat(out, " ", sizeof out - strlen(out) - 1);
		strncat(out, c->aliases.v[j].s, sizeof out - strlen(out) - 1);
	}
	return out;
}

#define HEAD "matrixc: 1\nimage: python\nbase: debian:bookworm-slim\n"

static void product(void)
{
	fixture f;
	compile(&f, HEAD "versions: ['3.13', '3.12']\n"
			 "variants: {wee: {}, opt: {pgo: true}}\n");
	ok(f.ok, "a 2x2 matrix compiles");
	ok(f.p.cells.n == 4, "into 4 cells");
	is_str(tags_of(&f, 0), "3.13.5-wee 3.13-wee 3-wee",
	       "the newest series gets the major alias");
	is_str(tags_of(&f, 2), "3.12.11-wee 3.12-wee",
	       "an older series gets only its series alias");
	is_str(f.p.cells.v[1]->dockerfile, "3.13.5/opt/Dockerfile",
	       "Dockerfile path is version/variant");
	is_str(f.p.cells.v[1]->job, "build:3.13.5-opt", "CI job name");
	ok(strcmp(f.p.cells.v[1]->configure.v[2].s, "--enable-optimizations") == 0,
	   "pgo adds --enable-optimizations");
	release(&f);
}

static void excludes_and_prereleases(void)
{
	fixture f;
	compile(&f, HEAD "versions: ['3.15-rc', '3.13', '2.7']\n"
			 "variants: {wee: {}, lto: {pgo: true, lto: true}}\n"
			 "exclude: [{version: '2.7', variant: lto}]\n");
	ok(f.ok, "compiles");
	ok(f.p.cells.n == 5, "the exclude removes one of 6 cells");
	is_str(tags_of(&f, 0), "3.15.0b4-wee 3.15-rc-wee",
	       "a pre-release gets an -rc series alias, no major alias");
	is_str(tags_of(&f, 2), "3.13.5-wee 3.13-wee 3-wee",
	       "the newest final release does");
	is_str(tags_of(&f, 4), "2.7.18-wee 2.7-wee 2-wee", "python 2 has its own major");
	release(&f);
}

static void alias_rules(void)
{
	fixture f;
	compile(&f, HEAD "versions: ['3.13', '3.12']\nvariants: {wee: {}}\n"
			 "tags: {major: false}\n"
			 "aliases:\n"
			 "  - {version: '3.13', variant: wee, tag: latest}\n"
			 "  - {tag: '{series}-{variant}-bookworm'}\n");
	ok(f.ok, "compiles");
	is_str(tags_of(&f, 0), "3.13.5-wee 3.13-wee latest 3.13-wee-bookworm",
	       "rules add aliases in order, with placeholders");
	is_str(tags_of(&f, 1), "3.12.11-wee 3.12-wee 3.12-wee-bookworm",
	       "a rule applies to every matching cell");
	release(&f);
}

static void collisions(void)
{
	fixture f;
	compile(&f, HEAD "versions: ['3.13', '3.12']\nvariants: {wee: {}}\n"
			 "aliases: [{variant: wee, tag: latest}]\n");
	ok(!f.ok, "two cells aliased 'latest' do not compile");
	ok(diag_errors(f.d) == 1, "one error for the collision");
	release(&f);
}

int main(void)
{
	product();
	excludes_and_prereleases();
	alias_rules();
	collisions();
	return tap_done();
}
