/* emit_gitlab.c - generated/.gitlab-ci.yml through libyaml's emitter.
 *
 * Two concrete jobs per cell, of which a pipeline runs at most one:
 *
 * - build:TAG builds the image and pushes nothing. It runs in merge
 *   request pipelines (for the cells the merge request changes) and on
 *   branches that do not publish (for the cells that differ from the
 *   default branch). Its script names no credential. It is interruptible.
 * - publish:TAG runs only on the publishing refs (ci.publish: the default
 *   branch and tags unless configured), when the cell's Dockerfile or its
 *   publish list (emit_publish.c) changed. It logs in, then compares the
 *   Dockerfile's content identity (contentid.h) with the label of the
 *   image already published under the primary tag in the first registry,
 *   read from the registry without pulling. Equal: it copies that image
 *   to every tag in every registry, server-side, and builds nothing.
 *   Different or absent: it builds (with that image as inline cache) and
 *   pushes every tag. One resource_group per cell keeps two pipelines
 *   from pushing the cell's tags at once.
 *
 * workflow:rules keeps a branch with an open merge request from running
 * two pipelines. The file declares no stages unless ci.stage names one
 * GitLab lacks by default, so that it does not replace the stages of a
 * root file that includes it. All quoting is libyaml's; the words in
 * scripts are validated names (names.h). Every path is written from the
 * repository root, where GitLab reads rules:changes and runs scripts
 * (plan.h: repo_dir), never from -o.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "contentid.h"
#include "emit.h"
#include "yamlio.h"

#define DEFAULT_CI_IMAGE "docker:27"
#define DEFAULT_CI_SERVICE "docker:27-dind"
#define JOB_NAME_MAX 255 /* GitLab rejects longer job names */

/* Job timeouts when the variant sets none: PGO runs the build twice and a
 * profile between; LTO makes each link a whole-program compile. 3h is
 * also the most GitLab.com's own runners allow. */
#define TIMEOUT_PLAIN "1h"
#define TIMEOUT_PGO "2h"
#define TIMEOUT_PGO_LTO "3h"

/* CONTENTID_LINE as a basic regular expression */
#define LABEL_RE "LABEL io\\.matrixc\\.input="

/* What a job is retried for: the runner's faults, never the script's.
 * Not stuck_or_timeout_failure: a PGO+LTO build that ran into its 3h
 * timeout would run twice more. */
static const char *const retry_when[] = {
    "runner_system_failure", "scheduler_failure", "api_failure"};

typedef struct {
	buf *b;
	size_t header; /* bytes of the comment header, before libyaml's output */
	yaml_writer *w;
	buf line;      /* one script line at a time: libyaml copies each scalar */
	buf branches;  /* the rules:if expression of the publishing branches */
	buf refs;      /* ... of every publishing ref (branches and tags) */
	bool default_publishes; /* the default branch is among them */
	const char *root; /* plan's repo_dir: paths are from the repository root */
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

static const char *stage_of(const matrix *m)
{
	return m->ci.stage.s ? m->ci.stage.s : "build";
}

/* GitLab's default stages: a file that uses only these needs no
 * `stages:`, and then leaves a root file's own stages alone. */
static bool default_stage(const char *s)
{
	return !strcmp(s, "build") || !strcmp(s, "test") || !strcmp(s, "deploy");
}

/* --- which refs publish ----------------------------------------------- */

static void or_term(buf *b, const char *term)
{
	if (b->len)
		buf_puts(b, " || ");
	buf_puts(b, term);
}

/* The rules:if expressions: branch names are path-grammar names, which
 * need no escaping inside double quotes. */
static void publishing_refs(gitlab *g, const matrix *m)
{
	const publish_refs *pr = &m->ci.publish;
	if (!m->nregistries)
		return; /* nothing to push to: every ref only builds */
	g->default_publishes = pr->default_branch;
	if (pr->default_branch)
		or_term(&g->branches, "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH");
	for (size_t i = 0; i < pr->branches.n; i++)
		or_term(&g->branches, line(g, "$CI_COMMIT_BRANCH == \"%s\"",
					   pr->branches.v[i].s));
	if (pr->tags)
		or_term(&g->refs, "$CI_COMMIT_TAG");
	if (g->branches.len)
		or_term(&g->refs, buf_str(&g->branches));
}

/* --- the file's head ---------------------------------------------------- */

static void rule_if(yaml_writer *w, const char *expr, const char *when)
{
	yw_map_begin(w);
	if (expr)
		yw_kv(w, "if", expr);
	if (when)
		yw_kv(w, "when", when);
	yw_map_end(w);
}

/* A merge request pipeline, or a branch pipeline when the branch has no
 * open merge request; never both. As a child pipeline, the parent has
 * decided already. */
static void workflow(yaml_writer *w)
{
	yw_str(w, "workflow");
	yw_map_begin(w);
	yw_str(w, "rules");
	yw_seq_begin(w);
	rule_if(w, "$CI_PIPELINE_SOURCE == \"merge_request_event\"", NULL);
	rule_if(w, "$CI_PIPELINE_SOURCE == \"parent_pipeline\"", NULL);
	rule_if(w, "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", "never");
	rule_if(w, NULL, "always");
	yw_seq_end(w);
	yw_map_end(w);
}

static void begin(emit_ctx *ctx)
{
	gitlab *g = calloc(1, sizeof *g);
	if (!g)
		abort();
	ctx->state = g;
	g->root = ctx->p->repo_dir;
	buf_init(&g->line, 0);
	buf_init(&g->branches, 0);
	buf_init(&g->refs, 0);
	publishing_refs(g, ctx->p->m);
	g->b = outset_add(ctx->out, ".gitlab-ci.yml");
	emit_header(g->b, ctx->p);
	g->header = g->b->len;
	g->w = yaml_writer_new(g->b);
	if (!g->w)
		return;
	yw_map_begin(g->w);
	workflow(g->w);
	const char *stage = stage_of(ctx->p->m);
	if (!default_stage(stage)) {
		yw_str(g->w, "stages");
		yw_seq_begin(g->w);
		yw_str(g->w, stage);
		yw_seq_end(g->w);
	}
}

/* --- what every job of a cell shares ------------------------------------ */

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

static const char *timeout_of(const cell *c)
{
	if (c->variant->timeout.s)
		return c->variant->timeout.s;
	if (c->pgo.on)
		return c->lto.on ? TIMEOUT_PGO_LTO : TIMEOUT_PGO;
	return TIMEOUT_PLAIN;
}

static void retry(yaml_writer *w)
{
	yw_str(w, "retry");
	yw_map_begin(w);
	yw_str(w, "max");
	yw_typed(w, "2");
	yw_str(w, "when");
	yw_seq_begin(w);
	for (size_t i = 0; i < sizeof retry_when / sizeof *retry_when; i++)
		yw_str(w, retry_when[i]);
	yw_seq_end(w);
	yw_map_end(w);
}

static void job_head(gitlab *g, const matrix *m, const cell *c,
		     bool interruptible)
{
	yaml_writer *w = g->w;
	yw_kv(w, "stage", stage_of(m));
	yw_kv(w, "image", m->ci.image.s ? m->ci.image.s : DEFAULT_CI_IMAGE);
	string_list(w, "services", &m->ci.services,
		    m->ci.image.s ? NULL : DEFAULT_CI_SERVICE);
	string_list(w, "tags", &m->ci.runner_tags, NULL);
	yw_str(w, "needs");
	yw_flow_seq_begin(w);
	yw_seq_end(w);
	yw_kv(w, "timeout", timeout_of(c));
	yw_str(w, "interruptible");
	yw_typed(w, interruptible ? "true" : "false");
	retry(w);
}

/* changes: [files], or {paths: [files], compare_to: ref} */
static void changes(gitlab *g, const matrix *m, const cell *c,
		    bool with_publish, const char *compare_to)
{
	yaml_writer *w = g->w;
	yw_str(w, "changes");
	if (compare_to) {
		yw_map_begin(w);
		yw_str(w, "paths");
	}
	yw_seq_begin(w);
	yw_str(w, line(g, "%s%s/%s", g->root, m->output.s, c->dockerfile));
	if (with_publish)
		yw_str(w, line(g, "%s%s/%s/publish", g->root, m->output.s, c->dir));
	yw_seq_end(w);
	if (compare_to) {
		yw_kv(w, "compare_to", compare_to);
		yw_map_end(w);
	}
}

/* The primary tag's image in the first registry: the one publish:TAG
 * reads the identity of, and the inline cache of both jobs. */
static const char *published(gitlab *g, const matrix *m, const cell *c)
{
	return line(g, "%s:%s", m->registries[0].name.s, c->tag.s);
}

/* --- build:TAG ------------------------------------------------------------ */

/* Merge requests: what the merge request changes. Tags and publishing
 * branches: nothing (publish:TAG runs there). The default branch when it
 * does not publish: what the push changed. Any other branch: what differs
 * from the default branch, so a new branch does not build every cell. */
static void build_rules(gitlab *g, const matrix *m, const cell *c)
{
	yaml_writer *w = g->w;
	yw_str(w, "rules");
	yw_seq_begin(w);
	yw_map_begin(w);
	yw_kv(w, "if", "$CI_MERGE_REQUEST_IID");
	changes(g, m, c, false, NULL);
	yw_map_end(w);
	rule_if(w, "$CI_COMMIT_TAG", "never");
	if (g->branches.len)
		rule_if(w, buf_str(&g->branches), "never");
	if (!g->default_publishes) {
		yw_map_begin(w);
		yw_kv(w, "if", "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH");
		changes(g, m, c, false, NULL);
		yw_map_end(w);
	}
	yw_map_begin(w);
	changes(g, m, c, false, "refs/heads/$CI_DEFAULT_BRANCH");
	yw_map_end(w);
	yw_seq_end(w);
}

static void build_job(gitlab *g, const matrix *m, const cell *c)
{
	yaml_writer *w = g->w;
	yw_str(w, c->job);
	yw_map_begin(w);
	job_head(g, m, c, true);
	build_rules(g, m, c);
	yw_str(w, "script");
	yw_seq_begin(w);
	buf cache;
	buf_init(&cache, 0);
	if (m->nregistries)
		buf_printf(&cache, " --cache-from %s", published(g, m, c));
	yw_str(w, line(g, "docker build --pull%s -t %s:%s -f %s%s/%s %s%s/%s",
		       buf_str(&cache), m->image.s, c->tag.s, g->root,
		       m->output.s, c->dockerfile, g->root, m->output.s,
		       c->dir));
	buf_release(&cache);
	yw_seq_end(w);
	yw_map_end(w);
}

/* --- publish:TAG ---------------------------------------------------------- */

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

/* The tag (0: the primary, j: alias j) */
static const char *tag_at(const cell *c, size_t j)
{
	return j ? c->aliases.v[j - 1].s : c->tag.s;
}

/* One server-side copy per registry, to every tag but the source. */
static void copy_lines(buf *s, const matrix *m, const cell *c)
{
	bool any = false;
	for (size_t i = 0; i < m->nregistries; i++) {
		const char *r = m->registries[i].name.s;
		if (i == 0 && !c->aliases.n)
			continue;
		buf_puts(s, "  docker buildx imagetools create \\\n");
		for (size_t j = i == 0; j <= c->aliases.n; j++)
			buf_printf(s, "    -t %s:%s \\\n", r, tag_at(c, j));
		buf_puts(s, "    \"$published\"\n");
		any = true;
	}
	if (!any)
		buf_puts(s, "  true # it has no other tag\n");
}

static void push_lines(buf *s, const matrix *m, const cell *c)
{
	for (size_t i = 0; i < m->nregistries; i++) {
		const char *r = m->registries[i].name.s;
		for (size_t j = 0; j <= c->aliases.n; j++) {
			buf_printf(s, "  docker tag %s:%s %s:%s\n", m->image.s,
				   c->tag.s, r, tag_at(c, j));
			buf_printf(s, "  docker push %s:%s\n", r, tag_at(c, j));
		}
	}
}

/* The skip-or-build script, one shell text (README: "How the pipeline
 * publishes"; tests/pipeline.t runs it against a stand-in docker). The
 * label is read back from the image config as JSON, compact or indented,
 * of one image or of a map of platforms: the first match counts. */
static void publish_script(gitlab *g, const matrix *m, const cell *c)
{
	buf s;
	buf_init(&s, 0);
	buf_printf(&s,
		   "# Build %s only if the registry lacks this Dockerfile's image.\n"
		   "dockerfile=%s%s/%s\n"
		   "published=%s\n",
		   c->tag.s, g->root, m->output.s, c->dockerfile,
		   published(g, m, c));
	buf_puts(&s,
		 "want=$(sed -n 's/^" LABEL_RE "//p' \"$dockerfile\")\n"
		 "sum=$(grep -v '^" LABEL_RE "' \"$dockerfile\" | sha256sum "
		 "| cut -d ' ' -f 1)\n"
		 "if [ -z \"$want\" ] || [ \"$want\" != \"$sum\" ]; then\n"
		 "  echo \"$dockerfile: its " CONTENTID_LABEL " label is not its "
		 "sha256 (edited by hand?): run matrixc generate\" >&2\n"
		 "  exit 1\n"
		 "fi\n"
		 "have=\n"
		 "if config=$(docker buildx imagetools inspect --format "
		 "'{{json .Image}}' \"$published\" 2>/dev/null); then\n"
		 "  have=$(printf '%s\\n' \"$config\" | sed -n "
		 "'/\"io\\.matrixc\\.input\"/{s/.*\"io\\.matrixc\\.input\": *"
		 "\"\\([0-9a-f]*\\)\".*/\\1/p;q;}')\n"
		 "fi\n"
		 "if [ \"$have\" = \"$want\" ]; then\n"
		 "  echo \"$published is this Dockerfile's image already: "
		 "copying it, not building\"\n");
	copy_lines(&s, m, c);
	buf_puts(&s, "else\n"
		     "  echo \"building: $published has " CONTENTID_LABEL "="
		     "${have:-nothing}, this Dockerfile $want\"\n");
	buf_printf(&s,
		   "  docker build --pull --cache-from \"$published\" "
		   "--build-arg BUILDKIT_INLINE_CACHE=1 \\\n"
		   "    --build-arg REVISION=\"$CI_COMMIT_SHA\" \\\n"
		   "    -t %s:%s -f \"$dockerfile\" %s%s/%s\n",
		   m->image.s, c->tag.s, g->root, m->output.s, c->dir);
	push_lines(&s, m, c);
	buf_puts(&s, "fi\n");
	yw_literal(g->w, buf_str(&s));
	buf_release(&s);
}

static void publish_rules(gitlab *g, const matrix *m, const cell *c)
{
	yaml_writer *w = g->w;
	yw_str(w, "rules");
	yw_seq_begin(w);
	rule_if(w, "$CI_MERGE_REQUEST_IID", "never");
	yw_map_begin(w);
	yw_kv(w, "if", buf_str(&g->refs));
	changes(g, m, c, true, NULL);
	yw_map_end(w);
	yw_seq_end(w);
}

static void publish_job(gitlab *g, const matrix *m, const cell *c)
{
	yaml_writer *w = g->w;
	yw_str(w, line(g, "publish:%s", c->tag.s));
	yw_map_begin(w);
	job_head(g, m, c, false);
	yw_kv(w, "resource_group", line(g, "publish/%s", c->tag.s));
	publish_rules(g, m, c);
	yw_str(w, "script");
	yw_seq_begin(w);
	login_lines(g, m);
	publish_script(g, m, c);
	yw_seq_end(w);
	yw_map_end(w);
}

static void cell_jobs(emit_ctx *ctx, const cell *c)
{
	gitlab *g = ctx->state;
	const matrix *m = ctx->p->m;
	if (strlen(c->job) > JOB_NAME_MAX - 2) /* publish: is 2 longer */
		diag_error(ctx->d, c->tag.at,
			   "CI job name 'publish:%s' is longer than GitLab's %d "
			   "characters",
			   c->tag.s, JOB_NAME_MAX);
	if (!g->w)
		return;
	build_job(g, m, c);
	if (g->refs.len)
		publish_job(g, m, c);
}

/* --- the file's end ------------------------------------------------------- */

/* A blank line before each top-level key after the first, so that jobs
 * read as blocks. Only top-level keys start in column 0: everything else
 * libyaml writes is indented, literal blocks included. */
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
	/* a pipeline runs one job per cell: build: or publish: */
	if (p->cells.n > p->m->ci.max_jobs)
		diag_warning(ctx->d,
			     p->m->ci.max_jobs_at.line ? p->m->ci.max_jobs_at
						       : srcpos_file(p->m->file),
			     "the pipeline has %zu jobs, more than %zu (GitLab "
			     "rejects pipelines over its instance's job limit; "
			     "raise ci.max_jobs if yours allows more, or split "
			     "the matrix into child pipelines)",
			     p->cells.n, p->m->ci.max_jobs);
	buf_release(&g->line);
	buf_release(&g->branches);
	buf_release(&g->refs);
	free(g);
}

const emitter emit_gitlab = {".gitlab-ci.yml", begin, cell_jobs, end};
