/* emit_gitlab.c - generated/.gitlab-ci.yml through libyaml's emitter.
 *
 * One concrete job per cell, named build:TAG: it runs when that cell's own
 * Dockerfile changes (paths from the repository root, where GitLab reads
 * rules:changes and runs scripts: plan.h), builds it, logs in to the registries that have
 * credentials, and pushes every tag and alias to every registry. No job
 * depends on another (needs: []), so GitLab starts them all at once. All
 * quoting is libyaml's; the shell words in scripts are validated names.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "yamlio.h"

#define DEFAULT_CI_IMAGE "docker:27"
#define DEFAULT_CI_SERVICE "docker:27-dind"
#define JOB_NAME_MAX 255 /* GitLab rejects longer job names */

typedef struct {
	buf *b;
	size_t header; /* bytes of the comment header, before libyaml's output */
	yaml_writer *w;
	buf line; /* one script line at a time: libyaml copies each scalar */
} gitlab;

/* line, formatted into g's one scratch buffer: valid until the next call */
static const char *line(gitlab *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *line(gitlab *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_reset(&g->line);
	buf_vprintf(&g->line, fmt, ap);
	va_end(ap);
	return buf_str(&g->line);
}

/* The concatenation of the strings up to NULL, like line() but without
 * printf, for the lines every job repeats per tag. */
static const char *words(gitlab *g, ...)
{
	va_list ap;
	va_start(ap, g);
	buf_reset(&g->line);
	for (const char *s; (s = va_arg(ap, const char *));)
		buf_puts(&g->line, s);
	va_end(ap);
	return buf_str(&g->line);
}

static void stages(yaml_writer *w, const matrix *m)
{
	yw_str(w, "stages");
	yw_seq_begin(w);
	yw_str(w, m->ci.stage.s ? m->ci.stage.s : "build");
	yw_seq_end(w);
}

static void begin(emit_ctx *ctx)
{
	gitlab *g = calloc(1, sizeof *g);
	if (!g)
		abort();
	ctx->state = g;
	buf_init(&g->line, 0);
	g->b = outset_add(ctx->out, ".gitlab-ci.yml");
	emit_header(g->b, ctx->p);
	g->header = g->b->len;
	g->w = yaml_writer_new(g->b);
	if (!g->w)
		return;
	yw_map_begin(g->w);
	stages(g->w, ctx->p->m);
}

/* The length of the registry host of a repository name, for docker
 * login; 0 when it names none (Docker Hub). */
static int registry_host(const char *repo)
{
	const char *slash = strchr(repo, '/');
	if (!slash)
		return 0;
	size_t n = (size_t)(slash - repo);
	bool host = memchr(repo, '.', n) || memchr(repo, ':', n) ||
		    (n == 9 && !memcmp(repo, "localhost", 9));
	return host ? (int)n : 0;
}

static void login_lines(gitlab *g, const matrix *m)
{
	for (size_t i = 0; i < m->nregistries; i++) {
		const registry *r = &m->registries[i];
		if (!r->user_var.s)
			continue;
		int host = registry_host(r->name.s);
		yw_str(g->w, line(g,
				  "printf '%%s' \"$%s\" | docker login "
				  "--username \"$%s\" --password-stdin %.*s",
				  r->password_var.s, r->user_var.s,
				  host ? host : 9, host ? r->name.s : "docker.io"));
	}
}

static void push_lines(gitlab *g, const matrix *m, const cell *c)
{
	const char *image = m->image.s, *tag = c->tag.s;
	for (size_t i = 0; i < m->nregistries; i++) {
		const char *r = m->registries[i].name.s;
		for (size_t j = 0; j <= c->aliases.n; j++) {
			const char *t = j ? c->aliases.v[j - 1].s : tag;
			yw_str(g->w, words(g, "docker tag ", image, ":", tag, " ",
					   r, ":", t, (char *)NULL));
			yw_str(g->w, words(g, "docker push ", r, ":", t,
					   (char *)NULL));
		}
	}
}

static void script(gitlab *g, const plan *p, const cell *c)
{
	const matrix *m = p->m;
	yw_str(g->w, "script");
	yw_seq_begin(g->w);
	yw_str(g->w, line(g, "docker build --pull -t %s:%s -f %s%s/%s %s%s/%s",
			  m->image.s, c->tag.s, p->repo_dir, m->output.s,
			  c->dockerfile, p->repo_dir, m->output.s, c->dir));
	login_lines(g, m);
	push_lines(g, m, c);
	yw_seq_end(g->w);
}

static void string_list(yaml_writer *w, const char *key, const strlist *l,
			const char *fallback)
{
	if (!l->n && !fallback)
		return;
	yw_str(w, key);
	yw_seq_begin(w);
	for (size_t i = 0; i < l->n; i++)
		yw_str(w, l->v[i].s);
	if (!l->n)
		yw_str(w, fallback);
	yw_seq_end(w);
}

static void rules(gitlab *g, const plan *p, const cell *c)
{
	const matrix *m = p->m;
	yaml_writer *w = g->w;
	yw_str(w, "rules");
	yw_seq_begin(w);
	yw_map_begin(w);
	yw_str(w, "changes");
	yw_seq_begin(w);
	yw_str(w, line(g, "%s%s/%s", p->repo_dir, m->output.s, c->dockerfile));
	yw_seq_end(w);
	yw_map_end(w);
	yw_seq_end(w);
}

static void job(emit_ctx *ctx, const cell *c)
{
	gitlab *g = ctx->state;
	const matrix *m = ctx->p->m;
	yaml_writer *w = g->w;
	if (!w)
		return;
	yw_str(w, c->job);
	yw_map_begin(w);
	yw_kv(w, "stage", m->ci.stage.s ? m->ci.stage.s : "build");
	yw_kv(w, "image", m->ci.image.s ? m->ci.image.s : DEFAULT_CI_IMAGE);
	string_list(w, "services", &m->ci.services,
		    m->ci.image.s ? NULL : DEFAULT_CI_SERVICE);
	string_list(w, "tags", &m->ci.runner_tags, NULL);
	yw_str(w, "needs");
	yw_flow_seq_begin(w);
	yw_seq_end(w);
	rules(g, ctx->p, c);
	script(g, ctx->p, c);
	yw_map_end(w);
}

static void cell_job(emit_ctx *ctx, const cell *c)
{
	if (strlen(c->job) > JOB_NAME_MAX)
		diag_error(ctx->d, c->tag.at,
			   "CI job name '%s' is longer than GitLab's %d characters",
			   c->job, JOB_NAME_MAX);
	job(ctx, c);
}

/* A blank line before each top-level key after the first, so that jobs
 * read as blocks. Only top-level keys start in column 0: everything else
 * libyaml writes is indented. */
static void space_jobs(buf *b, size_t from)
{
	buf out;
	buf_init(&out, 0);
	buf_add(&out, b->data, from);
	bool first = true;
	for (size_t i = from; i < b->len;) {
		const char *nl = memchr(b->data + i, '\n', b->len - i);
		size_t len = nl ? (size_t)(nl - (b->data + i)) + 1 : b->len - i;
		char c = b->data[i];
		if (c != ' ' && c != '-' && c != '\n' && !first)
			buf_putc(&out, '\n');
		first = false;
		buf_add(&out, b->data + i, len);
		i += len;
	}
	buf_release(b);
	*b = out;
}

static void end(emit_ctx *ctx)
{
	gitlab *g = ctx->state;
	const plan *p = ctx->p;
	bool ok = false;
	if (g->w) {
		yw_map_end(g->w);
		ok = yaml_writer_finish(g->w);
	}
	if (!ok)
		diag_error(ctx->d, srcpos_file(".gitlab-ci.yml"),
			   "libyaml could not write the CI configuration");
	else
		space_jobs(g->b, g->header);
	if (p->cells.n > p->m->ci.max_jobs)
		diag_warning(ctx->d,
			     p->m->ci.max_jobs_at.line ? p->m->ci.max_jobs_at
						       : srcpos_file(p->m->file),
			     "the pipeline has %zu jobs, more than %zu (GitLab "
			     "rejects pipelines over its instance's job limit; "
			     "raise ci.max_jobs if yours allows more)",
			     p->cells.n, p->m->ci.max_jobs);
	buf_release(&g->line);
	free(g);
}

const emitter emit_gitlab = {".gitlab-ci.yml", begin, cell_job, end};
