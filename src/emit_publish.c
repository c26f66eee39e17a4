/* emit_publish.c - one publish list per cell: <dir>/publish.
 *
 * The list names every registry:tag the cell's publishing job pushes,
 * one a line, registries in matrix.yaml's order, the primary tag before
 * the aliases. It is in that job's rules:changes beside the Dockerfile,
 * so moving an alias or adding a registry, which leaves the Dockerfile
 * alone, still runs the job (which then copies, not rebuilds: see
 * emit_gitlab.c). That job reads it at run time too: its script pushes
 * exactly the registry:tag lines listed here, the first one being the
 * image whose content identity it compares (with several platforms,
 * the first one with -KEY appended, per platform: emit_gitlab.c). The
 * platforms are listed in a comment, when not the default, so that a
 * change of platforms runs the jobs too.
 */
#include <string.h>

#include "emit.h"
#include "platform.h"

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

static void publish_cell(emit_ctx *ctx, const cell *c)
{
	const matrix *m = ctx->p->m;
	buf path;
	buf_init(&path, 0);
	buf_printf(&path, "%s/publish", c->dir);
	buf *b = outset_add(ctx->out, buf_str(&path));
	buf_release(&path);
	emit_header(b, ctx->p);
	buf_printf(b, "# What the CI job of %s pushes: a change here runs it.\n",
		   c->tag.s);
	platforms_line(b, c);
	for (size_t i = 0; i < m->nregistries; i++)
		for (size_t j = 0; j <= c->aliases.n; j++)
			buf_printf(b, "%s:%s\n", m->registries[i].name.s,
				   j ? c->aliases.v[j - 1].s : c->tag.s);
}

const emitter emit_publish = {"publish", NULL, publish_cell, NULL};
