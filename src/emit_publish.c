/* emit_publish.c - what each publishing job pushes, one list per job:
 * <dir>/publish per cell, aliases/<alias> per alias.
 *
 * A cell's publish list names the registry:tag lines its publishing job
 * pushes: its primary tag, in every registry in matrix.yaml's order. It
 * is in that job's rules:changes beside the Dockerfile, so adding a
 * registry, which leaves the Dockerfile alone, still runs the job (which
 * then copies, not rebuilds: see emit_gitlab.c). That job reads it at
 * run time too: its script pushes exactly the lines listed here, the
 * first one being the image whose content identity it compares (with
 * several platforms, the first one with -KEY appended, per platform:
 * emit_gitlab.c), which refuses any line that is not the cell's tag in a
 * registry of matrix.yaml. The platforms are listed in a comment, when
 * not the default, as in the Dockerfile (contentid.h), whose change runs
 * the jobs as well.
 *
 * Aliases (3.13-wee, latest) move from cell to cell over time, so each
 * has its own job, alias:ALIAS, in its own resource_group, and its own
 * list: the image it points at (the first line: the source cell's first
 * registry:tag), then the alias in every registry. Moving an alias
 * changes that one list and no cell's, so a tag-only change runs the
 * alias's job alone. The primary tag names the cell's exact build and
 * never moves, so it stays with the cell's job. Nothing is written
 * without a registry: there is nothing to push to.
 */
#include <string.h>

#include "emit.h"
#include "emit_publish.h"
#include "platform.h"

void publish_list_path(buf *out, const char *dir)
{
	buf_printf(out, "%s/publish", dir);
}

void alias_list_path(buf *out, const char *alias)
{
	buf_printf(out, "aliases/%s", alias);
}

/* The platforms, unless they are the default one: adding or dropping a
 * platform changes no Dockerfile, but must run the cell's jobs. */
static void platforms_line(buf *b, const cell *c)
{
	if (c->platforms.n == 1 &&
	    !strcmp(c->platforms.v[0].s, PLATFORM_DEFAULT))
		return;
	buf_puts(b, "# platforms:");
	for (size_t i = 0; i < c->platforms.n; i++)
		buf_printf(b, " %s", c->platforms.v[i].s);
	buf_putc(b, '\n');
}

/* aliases/ALIAS: the source image, then the alias in every registry */
static void alias_list(emit_ctx *ctx, const cell *c, const char *alias)
{
	const matrix *m = ctx->p->m;
	buf path;
	buf_init(&path, 0);
	alias_list_path(&path, alias);
	buf *b = outset_add(ctx->out, buf_str(&path));
	buf_release(&path);
	emit_header(b, ctx->p);
	buf_printf(b,
		   "# What the CI job alias:%s copies: the image on the first "
		   "line to the\n# registry:tag lines after it. A change here "
		   "runs it.\n",
		   alias);
	buf_printf(b, "%s:%s\n", m->registries[0].name.s, c->tag.s);
	for (size_t i = 0; i < m->nregistries; i++)
		buf_printf(b, "%s:%s\n", m->registries[i].name.s, alias);
}

static void publish_cell(emit_ctx *ctx, const cell *c)
{
	const matrix *m = ctx->p->m;
	buf path;
	buf_init(&path, 0);
	publish_list_path(&path, c->dir);
	buf *b = outset_add(ctx->out, buf_str(&path));
	buf_release(&path);
	emit_header(b, ctx->p);
	buf_printf(b, "# What the CI job of %s pushes: a change here runs it.\n",
		   c->tag.s);
	platforms_line(b, c);
	for (size_t i = 0; i < m->nregistries; i++)
		buf_printf(b, "%s:%s\n", m->registries[i].name.s, c->tag.s);
	if (!m->nregistries)
		return;
	for (size_t j = 0; j < c->aliases.n; j++)
		alias_list(ctx, c, c->aliases.v[j].s);
}

const emitter emit_publish = {"publish", NULL, publish_cell, NULL};
