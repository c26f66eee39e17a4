/* emit_make.c - generated/Makefile.
 *
 * Per cell: build-TAG (docker build), image-TAG (tag it with every alias
 * for every registry), push-TAG (push those). Groups: build, image, push,
 * and the same per series (build-3.13) and per variant (build-wee). Every
 * target is phony and depends only on what it needs, so `make -j` is safe.
 * DOCKER, IMAGE, REGISTRIES, BUILD_FLAGS, PYTHON_MIRROR and PKG_PROXY can be
 * overridden from the command line. Every value in a recipe was checked
 * against names.h (tags, repositories), so none needs quoting.
 */
#include <stdlib.h>
#include <string.h>

#include "emit.h"

static const char *const actions[] = {"build", "image", "push"};

static void variables(buf *b, const plan *p)
{
	const matrix *m = p->m;
	buf_puts(b, "\n# Override on the command line: make build DOCKER=podman\n");
	buf_puts(b, "DOCKER ?= docker\nBUILD_FLAGS ?=\n");
	buf_printf(b, "IMAGE ?= %s\n", m->image.s);
	buf_puts(b, "REGISTRIES ?=");
	for (size_t i = 0; i < m->nregistries; i++)
		buf_printf(b, " %s", m->registries[i].name.s);
	buf_puts(b, "\nPYTHON_MIRROR ?= https://www.python.org/ftp/python\n"
		    "PKG_PROXY ?=\n\n"
		    "HERE := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))\n"
		    "BUILD_ARGS = --build-arg PYTHON_MIRROR=$(PYTHON_MIRROR) "
		    "--build-arg PKG_PROXY=$(PKG_PROXY)\n\n"
		    ".DEFAULT_GOAL := help\n.SUFFIXES:\n");
}

static void begin(emit_ctx *ctx)
{
	buf *b = outset_add(ctx->out, "Makefile");
	ctx->state = b;
	emit_header(b, ctx->p);
	buf_puts(b, "# Usage: make -f generated/Makefile help\n");
	variables(b, ctx->p);
}

/* the tags of c as a shell word list: tag aliases... */
static void tag_words(buf *b, const cell *c)
{
	buf_puts(b, c->tag.s);
	for (size_t i = 0; i < c->aliases.n; i++)
		buf_printf(b, " %s", c->aliases.v[i].s);
}

static void cell_targets(emit_ctx *ctx, const cell *c)
{
	buf *b = ctx->state;
	const char *t = c->tag.s;
	buf_printf(b, "\n# %s/%s\n", c->version_str, c->variant->name.s);
	buf_printf(b, ".PHONY: build-%s image-%s push-%s\n", t, t, t);
	buf_printf(b, "build-%s:\n\t$(DOCKER) build $(BUILD_FLAGS) $(BUILD_ARGS) "
		      "-t $(IMAGE):%s -f $(HERE)/%s $(HERE)/%s\n",
		   t, t, c->dockerfile, c->dir);
	buf_printf(b, "image-%s: build-%s\n", t, t);
	for (size_t i = 0; i < c->aliases.n; i++)
		buf_printf(b, "\t$(DOCKER) tag $(IMAGE):%s $(IMAGE):%s\n", t,
			   c->aliases.v[i].s);
	buf_printf(b, "\tfor r in $(REGISTRIES); do for t in ");
	tag_words(b, c);
	buf_printf(b, "; do \\\n\t\t$(DOCKER) tag $(IMAGE):%s \"$$r:$$t\" || exit 1; "
		      "done; done\n",
		   t);
	buf_printf(b, "push-%s: image-%s\n\tfor r in $(REGISTRIES); do for t in ",
		   t, t);
	tag_words(b, c);
	buf_puts(b, "; do \\\n\t\t$(DOCKER) push \"$$r:$$t\" || exit 1; done; done\n");
}

/* group -> ACTION[-NAME]: the ACTION-TAG of every cell that keep() selects */
static void group(buf *b, const plan *p, const char *action, const char *name,
		  bool (*keep)(const cell *, const char *))
{
	if (name)
		buf_printf(b, "%s-%s:", action, name);
	else
		buf_printf(b, "%s:", action);
	for (size_t i = 0; i < p->cells.n; i++)
		if (!keep || keep(p->cells.v[i], name))
			buf_printf(b, " \\\n\t%s-%s", action, p->cells.v[i]->tag.s);
	buf_putc(b, '\n');
}

static bool in_series(const cell *c, const char *series)
{
	return strcmp(c->series, series) == 0;
}

static bool of_variant(const cell *c, const char *name)
{
	return strcmp(c->variant->name.s, name) == 0;
}

/* Distinct values of field over the cells, in first-seen order. Returns the
 * count; names[] has room for every cell. */
static size_t distinct(const plan *p, const char **names, bool series)
{
	size_t n = 0;
	for (size_t i = 0; i < p->cells.n; i++) {
		const cell *c = p->cells.v[i];
		const char *s = series ? c->series : c->variant->name.s;
		bool seen = false;
		for (size_t j = 0; j < n && !seen; j++)
			seen = names[j] == s || strcmp(names[j], s) == 0;
		if (!seen)
			names[n++] = s;
	}
	return n;
}

static void groups(buf *b, const plan *p, const char **names, size_t n,
		   bool (*keep)(const cell *, const char *))
{
	for (size_t i = 0; i < n; i++) {
		buf_printf(b, ".PHONY: build-%s image-%s push-%s\n", names[i],
			   names[i], names[i]);
		for (size_t a = 0; a < 3; a++)
			group(b, p, actions[a], names[i], keep);
	}
}

static void help(buf *b, const plan *p, const char **series, size_t ns,
		 const char **variants, size_t nv)
{
	buf_puts(b, "\n.PHONY: help\nhelp:\n"
		    "\t@echo 'Targets (ACTION is build, image or push):'\n"
		    "\t@echo '  ACTION            every cell'\n");
	for (size_t i = 0; i < ns; i++)
		buf_printf(b, "\t@echo '  ACTION-%s'\n", series[i]);
	for (size_t i = 0; i < nv; i++)
		buf_printf(b, "\t@echo '  ACTION-%s'\n", variants[i]);
	for (size_t i = 0; i < p->cells.n; i++)
		buf_printf(b, "\t@echo '  ACTION-%s'\n", p->cells.v[i]->tag.s);
	buf_puts(b, "\t@echo 'Variables: DOCKER IMAGE REGISTRIES BUILD_FLAGS "
		    "PYTHON_MIRROR PKG_PROXY'\n");
}

static void end(emit_ctx *ctx)
{
	buf *b = ctx->state;
	const plan *p = ctx->p;
	const char **series = calloc(p->cells.n + 1, sizeof *series);
	const char **variants = calloc(p->cells.n + 1, sizeof *variants);
	if (!series || !variants)
		abort();
	size_t ns = distinct(p, series, true);
	size_t nv = distinct(p, variants, false);
	buf_puts(b, "\n# Groups\n.PHONY: build image push\n");
	for (size_t a = 0; a < 3; a++)
		group(b, p, actions[a], NULL, NULL);
	groups(b, p, series, ns, in_series);
	groups(b, p, variants, nv, of_variant);
	help(b, p, series, ns, variants, nv);
	free(series);
	free(variants);
}

const emitter emit_makefile = {"Makefile", begin, cell_targets, end};
