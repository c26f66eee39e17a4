/* emit_make.c - generated/Makefile.
 *
 * Per cell: build-TAG (docker build, for the host's platform), image-TAG
 * (tag it with every alias for every registry), push-TAG (push those);
 * with platforms other than the default one, build-TAG@KEY per platform
 * (docker build --platform, as TAG-KEY: a builder with emulation, or
 * buildx, builds the foreign ones). Groups: build, image, push,
 * and the same per series (build-3.13) and per variant (build-wee). Every
 * target is phony and depends only on what it needs, so `make -j` is safe.
 * DOCKER, PULL, IMAGE, REGISTRIES, BUILD_FLAGS, PYTHON_MIRROR and PKG_PROXY
 * can be overridden from the command line. PULL is --pull, the CI's policy
 * (a build starts from the newest base image), unless set empty; an empty
 * PYTHON_MIRROR downloads each tarball from the lock file's URL. Every
 * value in a recipe was checked against names.h (tags, repositories), so
 * none needs quoting.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "emit.h"
#include "platform.h"
#include "strtab.h"

static const char *const actions[] = {"build", "image", "push"};

static void variables(buf *b, const plan *p)
{
	const matrix *m = p->m;
	buf_puts(b, "\n# Override on the command line: make build DOCKER=podman\n");
	buf_puts(b, "DOCKER ?= docker\nBUILD_FLAGS ?=\n");
	buf_puts(b, "# --pull, as in the CI: build on the newest base image "
		    "(PULL= builds offline)\nPULL ?= --pull\n");
	buf_printf(b, "IMAGE ?= %s\n", m->image.s);
	buf_puts(b, "REGISTRIES ?=");
	for (size_t i = 0; i < m->nregistries; i++)
		buf_printf(b, " %s", m->registries[i].name.s);
	buf_puts(b, "\n# Empty: each tarball from the lock file's URL; else a "
		    "mirror in python.org's\n# layout "
		    "(PYTHON_MIRROR=https://mirror.example/ftp/python)\n"
		    "PYTHON_MIRROR ?=\n"
		    "PKG_PROXY ?=\n"
		    "# The commit, for the label org.opencontainers.image.revision "
		    "(make build REVISION=$(git rev-parse HEAD))\n"
		    "REVISION ?=\n\n"
		    "HERE := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))\n"
		    "BUILD_ARGS = --build-arg PYTHON_MIRROR=$(PYTHON_MIRROR) "
		    "--build-arg PKG_PROXY=$(PKG_PROXY) "
		    "--build-arg REVISION=$(REVISION)\n\n"
		    ".DEFAULT_GOAL := help\n.SUFFIXES:\n");
}

static void begin(emit_ctx *ctx)
{
	buf *b = outset_add(ctx->out, "Makefile");
	ctx->state = b;
	emit_header(b, ctx->p);
	buf_printf(b, "# Usage: make -f %s%s/Makefile help\n", ctx->p->repo_dir,
		   ctx->p->m->output.s);
	variables(b, ctx->p);
}

/* the tags of c as a shell word list: tag aliases... */
static void tag_words(buf *b, const cell *c)
{
	buf_puts(b, c->tag.s);
	for (size_t i = 0; i < c->aliases.n; i++)
		buf_printf(b, " %s", c->aliases.v[i].s);
}

/* build-TAG@KEY for each platform of c, unless it has only the default
 * platform (build-TAG is that one, on the usual host). */
static void platform_targets(buf *b, const cell *c)
{
	if (c->platforms.n == 1 && !strcmp(c->platforms.v[0].s, PLATFORM_DEFAULT))
		return;
	for (size_t i = 0; i < c->platforms.n; i++) {
		char key[PLATFORM_KEY_MAX];
		platform_key(c->platforms.v[i].s, key);
		buf_printf(b, ".PHONY: build-%s@%s\nbuild-%s@%s:\n"
			      "\t$(DOCKER) build --platform %s $(PULL) "
			      "$(BUILD_FLAGS) $(BUILD_ARGS) -t $(IMAGE):%s-%s "
			      "-f $(HERE)/%s $(HERE)/%s\n",
			   c->tag.s, key, c->tag.s, key, c->platforms.v[i].s,
			   c->tag.s, key, c->dockerfile, c->dir);
	}
}

static void cell_targets(emit_ctx *ctx, const cell *c)
{
	buf *b = ctx->state;
	const char *t = c->tag.s;
	buf_printf(b, "\n# %s/%s\n", c->version_str, c->variant->name.s);
	buf_printf(b, ".PHONY: build-%s image-%s push-%s\n", t, t, t);
	buf_printf(b, "build-%s:\n\t$(DOCKER) build $(PULL) $(BUILD_FLAGS) $(BUILD_ARGS) "
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
	platform_targets(b, c);
}

/* One prerequisite line of a group: " \\\n\tACTION-TAG". Group lines are
 * most of a large Makefile, so they are appended without printf. */
static void member(buf *b, const char *action, const cell *c)
{
	buf_puts(b, " \\\n\t");
	buf_puts(b, action);
	buf_putc(b, '-');
	buf_puts(b, c->tag.s);
}

/* ACTION: the ACTION-TAG of every cell */
static void group_all(buf *b, const plan *p, const char *action)
{
	buf_printf(b, "%s:", action);
	for (size_t i = 0; i < p->cells.n; i++)
		member(b, action, p->cells.v[i]);
	buf_putc(b, '\n');
}

/* The cells grouped by one field (series or variant name): the distinct
 * values in first-seen order, and the cells of each in plan order. Built
 * in one pass with a hash table and a counting sort, so that the group
 * targets cost O(cells) whatever the number of groups. */
typedef struct {
	const char **names; /* distinct values, first-seen order */
	size_t n;
	size_t *start;      /* cells of group g: members[start[g]..start[g+1]) */
	const cell **members;
} grouping;

static const char *field(const cell *c, bool series)
{
	return series ? c->series : c->variant->name.s;
}

static void group_cells(const plan *p, bool series, grouping *g)
{
	size_t n = p->cells.n;
	strtab seen; /* name -> group index */
	size_t *of = xrealloc(NULL, (n + 1) * sizeof *of); /* group of cell i */
	g->names = xrealloc(NULL, (n + 1) * sizeof *g->names);
	g->start = calloc(n + 2, sizeof *g->start);
	g->members = xrealloc(NULL, (n + 1) * sizeof *g->members);
	if (!g->start)
		abort();
	g->n = 0;
	strtab_init(&seen, n);
	for (size_t i = 0; i < n; i++) {
		const char *s = field(p->cells.v[i], series);
		if (strtab_put(&seen, s, g->n, &of[i]))
			g->names[of[i] = g->n++] = s;
		g->start[of[i] + 2]++;
	}
	for (size_t k = 2; k < g->n + 2; k++)
		g->start[k] += g->start[k - 1];
	for (size_t i = 0; i < n; i++)
		g->members[g->start[of[i] + 1]++] = p->cells.v[i];
	strtab_release(&seen);
	free(of);
}

static void grouping_free(grouping *g)
{
	free(g->names);
	free(g->start);
	free(g->members);
}

/* ACTION-NAME for every group, with its cells' ACTION-TAG */
static void groups(buf *b, const grouping *g)
{
	for (size_t i = 0; i < g->n; i++) {
		const char *name = g->names[i];
		buf_printf(b, ".PHONY: build-%s image-%s push-%s\n", name, name,
			   name);
		for (size_t a = 0; a < 3; a++) {
			buf_printf(b, "%s-%s:", actions[a], name);
			for (size_t j = g->start[i]; j < g->start[i + 1]; j++)
				member(b, actions[a], g->members[j]);
			buf_putc(b, '\n');
		}
	}
}

/* The per-platform targets, in help, when there are any */
static void help_platforms(buf *b, const plan *p)
{
	bool any = false;
	for (size_t i = 0; i < p->cells.n && !any; i++) {
		const cell *c = p->cells.v[i];
		any = c->platforms.n > 1 ||
		      strcmp(c->platforms.v[0].s, PLATFORM_DEFAULT) != 0;
	}
	if (any)
		buf_puts(b, "\t@echo 'build-TAG builds for this host; "
			    "build-TAG@ARCH for that platform "
			    "(docker build --platform):'\n");
	for (size_t i = 0; any && i < p->cells.n; i++) {
		const cell *c = p->cells.v[i];
		if (c->platforms.n == 1 &&
		    !strcmp(c->platforms.v[0].s, PLATFORM_DEFAULT))
			continue;
		for (size_t j = 0; j < c->platforms.n; j++) {
			char key[PLATFORM_KEY_MAX];
			platform_key(c->platforms.v[j].s, key);
			buf_printf(b, "\t@echo '  build-%s@%s'\n", c->tag.s, key);
		}
	}
}

static void help(buf *b, const plan *p, const grouping *series,
		 const grouping *variants)
{
	buf_puts(b, "\n.PHONY: help\nhelp:\n"
		    "\t@echo 'Targets (ACTION is build, image or push):'\n"
		    "\t@echo '  ACTION            every cell'\n");
	for (size_t i = 0; i < series->n; i++)
		buf_printf(b, "\t@echo '  ACTION-%s'\n", series->names[i]);
	for (size_t i = 0; i < variants->n; i++)
		buf_printf(b, "\t@echo '  ACTION-%s'\n", variants->names[i]);
	for (size_t i = 0; i < p->cells.n; i++) {
		buf_puts(b, "\t@echo '  ACTION-");
		buf_puts(b, p->cells.v[i]->tag.s);
		buf_puts(b, "'\n");
	}
	help_platforms(b, p);
	buf_puts(b, "\t@echo 'Variables: DOCKER PULL IMAGE REGISTRIES BUILD_FLAGS "
		    "PYTHON_MIRROR PKG_PROXY'\n");
}

static void end(emit_ctx *ctx)
{
	buf *b = ctx->state;
	const plan *p = ctx->p;
	grouping series, variants;
	group_cells(p, true, &series);
	group_cells(p, false, &variants);
	buf_puts(b, "\n# Groups\n.PHONY: build image push\n");
	for (size_t a = 0; a < 3; a++)
		group_all(b, p, actions[a]);
	groups(b, &series);
	groups(b, &variants);
	help(b, p, &series, &variants);
	grouping_free(&series);
	grouping_free(&variants);
}

const emitter emit_makefile = {"Makefile", begin, cell_targets, end};
