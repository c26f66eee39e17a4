/* emit_gitlab.c - generated/.gitlab-ci.yml through libyaml's emitter.
 *
 * Two concrete jobs per cell, of which a pipeline runs at most one:
 *
 * - build:TAG builds the image and pushes nothing. It runs in merge
 *   request pipelines (for the cells the merge request changes) and on
 *   branches that do not publish (for the cells that differ from the
 *   default branch). Its script names no credential. It is interruptible.
 * - publish:TAG runs only on the publishing refs (ci.publish: the default
 *   branch and tags unless configured, protected, and of ci.project), in
 *   every such pipeline, whatever the push changed, so that a job a newer
 *   pipeline cancelled or that failed runs again. It logs in, refuses a
 *   list that names anything but the cell's tag in the registries, then
 *   compares the Dockerfile's content identity (contentid.h, which covers
 *   the platforms) and the job's platform with the label and platforms
 *   of the image already published under the primary tag in the first
 *   registry, read from the registry without pulling. Equal: it copies
 *   that image to the primary tag in every other registry and builds
 *   nothing. Different or absent: it builds (with that image as inline
 *   cache) and pushes the primary tag to every registry. A registry
 *   that fails to answer otherwise than "not found" fails the job. One
 *   resource_group per cell keeps two pipelines from pushing the cell's
 *   tag at once.
 *
 * Each alias of a cell has its own job, alias:ALIAS, in its own
 * resource_group, that copies the cell's image to the alias after the
 * cell's job (see "the aliases" below): an alias moves between cells,
 * and its group must be the same whichever cell it points at.
 *
 * Each script is written once, in the hidden jobs .matrixc-build and
 * .matrixc-publish, which every cell's job extends with its own
 * variables: MATRIXC_TAG (the primary tag) and MATRIXC_DIR (the cell's
 * directory from the repository root). publish:TAG reads what it pushes
 * from the cell's publish list, the very file that triggers it.
 *
 * A cell with several platforms has per platform a build and a publish
 * job, and a manifest job that joins the platforms' images under every
 * tag (see "several platforms" below).
 *
 * With ci.split: series, .gitlab-ci.yml holds one trigger job per series
 * instead, whose child pipeline is ci/SERIES.yml (that series' jobs), and
 * whose rules are the union of its jobs' rules, so that it runs exactly
 * when its child has a job (GitLab fails a trigger whose child has none).
 *
 * workflow:rules keeps a branch with an open merge request from running
 * two pipelines; workflow:auto_cancel lets a new commit cancel only the
 * interruptible jobs (builds), never a pending publishing job. The file
 * declares no stages unless ci.stage names one GitLab lacks by default,
 * so that it does not replace the stages of a root file that includes
 * it. All quoting is libyaml's; the words in scripts are validated names
 * (names.h). Every path is written from the repository root, where
 * GitLab reads rules:changes and runs scripts (plan.h: repo_dir), never
 * from -o.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "contentid.h"
#include "emit.h"
#include "emit_publish.h"
#include "names.h"
#include "platform.h"
#include "yamlio.h"

#define DEFAULT_CI_IMAGE "docker:27"
#define DEFAULT_CI_SERVICE "docker:27-dind"
/* The longest job name: GitLab's limit is 255, but libyaml writes a key
 * over 128 characters as an explicit `? key` entry, which space_jobs
 * would split and no reviewer reads. Tags are at most 128 characters,
 * so only a long tag or alias (publish:TAG@KEY, alias:ALIAS) exceeds it. */
#define JOB_NAME_MAX 128

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

/* The hidden jobs that hold the scripts; the leading dot keeps GitLab
 * from running them, the prefix from clashing with a root file's jobs. */
#define HIDDEN_BUILD ".matrixc-build"
#define HIDDEN_PUBLISH ".matrixc-publish"
/* ... of a cell with several platforms (see "several platforms" below) */
#define HIDDEN_BUILD_PLATFORM ".matrixc-build-platform"
#define HIDDEN_PUBLISH_PLATFORM ".matrixc-publish-platform"
#define HIDDEN_MANIFEST ".matrixc-manifest"
/* ... of the aliases' jobs (see "the aliases" below) */
#define HIDDEN_ALIAS ".matrixc-alias"

typedef struct {
	const plan *p;
	yaml_writer *w; /* the file being written */
	buf line;      /* one script line at a time: libyaml copies each scalar */
	buf branches;  /* the rules:if expression of the publishing branches */
	buf refs;      /* ... of every publishing ref (branches and tags) */
	buf cond;      /* if_protected's expression */
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

/* expr, on a protected ref only: the publishing refs' credentials are
 * protected variables, and a tag or branch anyone may push is not one;
 * and with ci.project, in that project only: a fork's default branch is
 * protected too. The project path is a checked name (matrix.c), which
 * needs no escaping inside double quotes. */
static const char *if_protected(gitlab *g, const char *expr)
{
	const pstr *project = &g->p->m->ci.project;
	bool or = strstr(expr, "||") != NULL;
	buf_reset(&g->cond);
	buf_printf(&g->cond, "%s%s%s && $CI_COMMIT_REF_PROTECTED == \"true\"",
		   or ? "(" : "", expr, or ? ")" : "");
	if (project->s)
		buf_printf(&g->cond, " && $CI_PROJECT_PATH == \"%s\"",
			   project->s);
	return buf_str(&g->cond);
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

/* A new commit on a branch cancels only the interruptible jobs of its
 * older pipelines (build:, and trigger jobs that only build), never a
 * publishing job, pending or running: by default (conservative) GitLab
 * cancels a pipeline whose non-interruptible jobs have not started yet,
 * and the publish:, manifest: and alias: jobs queued behind busy runners
 * or a resource group would be lost with it. */
static void auto_cancel(yaml_writer *w)
{
	yw_str(w, "auto_cancel");
	yw_map_begin(w);
	yw_kv(w, "on_new_commit", "interruptible");
	yw_map_end(w);
}

/* A merge request pipeline, or a branch pipeline when the branch has no
 * open merge request; never both, except on a publishing branch
 * (publishing: its rules:if expression, or NULL), whose branch pipeline
 * is the one that publishes. As a child pipeline, the parent has decided
 * already. */
static void workflow(yaml_writer *w, const char *publishing)
{
	yw_str(w, "workflow");
	yw_map_begin(w);
	auto_cancel(w);
	yw_str(w, "rules");
	yw_seq_begin(w);
	rule_if(w, "$CI_PIPELINE_SOURCE == \"merge_request_event\"", NULL);
	rule_if(w, "$CI_PIPELINE_SOURCE == \"parent_pipeline\"", NULL);
	if (publishing)
		rule_if(w, publishing, NULL);
	rule_if(w, "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", "never");
	rule_if(w, NULL, "always");
	yw_seq_end(w);
	yw_map_end(w);
}

/* workflow, and stages when the stage is not one of GitLab's defaults */
static void file_head(gitlab *g)
{
	yaml_writer *w = g->w;
	yw_map_begin(w);
	workflow(w, g->branches.len ? if_protected(g, buf_str(&g->branches))
				    : NULL);
	const char *stage = stage_of(g->p->m);
	if (!default_stage(stage)) {
		yw_str(w, "stages");
		yw_seq_begin(w);
		yw_str(w, stage);
		yw_seq_end(w);
	}
}

static void begin(emit_ctx *ctx)
{
	gitlab *g = calloc(1, sizeof *g);
	if (!g)
		abort();
	ctx->state = g;
	g->p = ctx->p;
	g->root = ctx->p->repo_dir;
	buf_init(&g->line, 0);
	buf_init(&g->branches, 0);
	buf_init(&g->refs, 0);
	buf_init(&g->cond, 0);
	publishing_refs(g, ctx->p->m);
}

/* --- the hidden jobs: what every job of a kind shares ------------------- */

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

/* What every job of a kind shares. The services (a docker daemon, dind
 * by default) go only to the jobs that build: the others (manifest:,
 * alias:) only log in and run docker buildx imagetools, which talk to
 * the registries and need no daemon (docker login logs in client-side
 * when no daemon answers). */
static void hidden_head(gitlab *g, const matrix *m, bool interruptible,
			bool builds)
{
	yaml_writer *w = g->w;
	yw_kv(w, "stage", stage_of(m));
	yw_kv(w, "image", m->ci.image.s ? m->ci.image.s : DEFAULT_CI_IMAGE);
	if (builds)
		string_list(w, "services", &m->ci.services,
			    m->ci.image.s ? NULL : DEFAULT_CI_SERVICE);
	string_list(w, "tags", &m->ci.runner_tags, NULL);
	yw_str(w, "needs");
	yw_flow_seq_begin(w);
	yw_seq_end(w);
	yw_str(w, "interruptible");
	yw_typed(w, interruptible ? "true" : "false");
	retry(w);
}

/* The one docker build command line of every script, so that they
 * cannot drift apart: for the job's platform, from cache (a shell word,
 * which it double-quotes; NULL: none), tagged image:$MATRIXC_TAG with
 * suffix. A publishing build (push) also writes the inline cache into the
 * image and fills org.opencontainers.image.revision with the commit. */
static void docker_build(buf *s, const matrix *m, const char *cache,
			 bool push, const char *suffix)
{
	buf_puts(s, "docker build --pull --platform \"$MATRIXC_PLATFORM\"");
	if (cache)
		buf_printf(s, " --cache-from \"%s\"", cache);
	if (push)
		buf_puts(s, " --build-arg BUILDKIT_INLINE_CACHE=1"
			    " --build-arg REVISION=\"$CI_COMMIT_SHA\"");
	buf_printf(s, " -t \"%s:$MATRIXC_TAG%s\" -f \"$MATRIXC_DIR/Dockerfile\" "
		      "\"$MATRIXC_DIR\"", m->image.s, suffix);
}

/* The hidden job name of build jobs, whose images are tagged with suffix
 * ("", or -$MATRIXC_KEY per platform): their inline cache is the image
 * the cell's publishing job pushes to the first registry (whose identity
 * it reads). */
static void build_hidden(gitlab *g, const matrix *m, const char *name,
			 const char *suffix)
{
	yaml_writer *w = g->w;
	yw_str(w, name);
	yw_map_begin(w);
	hidden_head(g, m, true, true);
	yw_str(w, "script");
	yw_seq_begin(w);
	buf cmd;
	buf_init(&cmd, 0);
	docker_build(&cmd, m,
		     m->nregistries ? line(g, "%s:$MATRIXC_TAG%s",
					   m->registries[0].name.s, suffix)
				    : NULL,
		     false, suffix);
	yw_str(w, buf_str(&cmd));
	buf_release(&cmd);
	yw_seq_end(w);
	yw_map_end(w);
}

/* First that every credential is set: protected variables are empty on
 * an unprotected ref, and docker login's own message would not say so.
 * Then a login per registry that has credentials. */
static void login_lines(gitlab *g, const matrix *m)
{
	for (size_t i = 0; i < m->nregistries; i++) {
		const registry *r = &m->registries[i];
		if (r->user_var.s)
			yw_str(g->w, line(g,
					  "[ -n \"$%s\" ] && [ -n \"$%s\" ] || { echo "
					  "\"%s: %s or %s is empty: protected variables "
					  "reach protected refs only\" >&2; exit 1; }",
					  r->user_var.s, r->password_var.s, r->name.s,
					  r->user_var.s, r->password_var.s));
	}
	for (size_t i = 0; i < m->nregistries; i++) {
		const registry *r = &m->registries[i];
		if (!r->user_var.s)
			continue;
		size_t n;
		const char *host = name_login_host(r->name.s, &n);
		yw_str(g->w, line(g,
				  "printf '%%s' \"$%s\" | docker login "
				  "--username \"$%s\" --password-stdin %.*s",
				  r->password_var.s, r->user_var.s, (int)n, host));
	}
}

/* --- the publishing scripts' shared parts --------------------------------- */

/* The shell case patterns of every registry's ref with the shell word
 * suffix (a tag, or a variable holding one), for a case statement:
 * "R1:suffix" | "R2:suffix". */
static void registry_patterns(buf *s, const matrix *m, const char *suffix)
{
	for (size_t i = 0; i < m->nregistries; i++)
		buf_printf(s, "%s\"%s:%s\"", i ? " | " : "",
			   m->registries[i].name.s, suffix);
}

/* The check that every ref in the shell variable var is one of the
 * registries' refs with suffix: a list edited by hand, or mangled by a
 * merge, must not push anywhere else (list: the file, for the message).
 * Registry names and tags are validated names (no blanks, no glob
 * characters), so lists split into words safely. */
static void script_own_refs(buf *s, const matrix *m, const char *list,
			    const char *var, const char *suffix)
{
	buf_printf(s, "for ref in $%s; do\n  case $ref in\n  ", var);
	registry_patterns(s, m, suffix);
	buf_printf(s,
		   ") ;;\n"
		   "  *)\n"
		   "    echo \"%s: $ref is not %s in a registry of matrix.yaml "
		   "(edited by hand?): run matrixc generate\" >&2\n"
		   "    exit 1 ;;\n"
		   "  esac\n"
		   "done\n",
		   list, suffix);
}

/* The first lines of the publish and manifest scripts: what the cell's
 * publish list names (refs), the image under its first line (published),
 * and the check that it names only the cell's tag in the registries. */
static void script_published(buf *s, const matrix *m)
{
	buf list;
	buf_init(&list, 0);
	publish_list_path(&list, "$MATRIXC_DIR");
	const char *l = buf_str(&list);
	buf_printf(s,
		   "refs=$(sed '/^#/d' \"%s\")\n"
		   "published=$(sed -n '/^[^#]/{p;q;}' \"%s\")\n"
		   "if [ -z \"$published\" ]; then\n"
		   "  echo \"%s names nothing to push: run matrixc generate\" "
		   ">&2\n"
		   "  exit 1\n"
		   "fi\n",
		   l, l, l);
	script_own_refs(s, m, l, "refs", "$MATRIXC_TAG");
	buf_release(&list);
}

/* The identity check of image (a shell word, set as the variable image;
 * dockerfile is the cell's Dockerfile) (README:
 * "When a job skips its build"): want is the Dockerfile's content
 * identity (contentid.h), which must be its sha256; have the
 * io.matrixc.input labels of the image in the registry (one line per
 * distinct value) and platforms its platforms, read without pulling from
 * docker buildx imagetools inspect's {{json .Image}}, which buildx writes
 * indented: one image's config (os, architecture, variant at the top),
 * or for an index of several platforms a map from each (normalized) to
 * its config. same is then "yes" when the registry's image is this
 * Dockerfile's, for $MATRIXC_PLATFORM alone. An image that is not there
 * (buildx: "REF: not found") is built; any other failure (auth, network,
 * a 5xx) stops the job with buildx's message: rebuilding for hours is
 * no answer to a registry that did not answer. Platforms are compared in
 * the normal form buildx writes (platform_normal_sed). */
static void script_identity(buf *s, const char *image)
{
	buf normal;
	buf_init(&normal, 0);
	platform_normal_sed(&normal);
	buf_printf(s, "dockerfile=$MATRIXC_DIR/Dockerfile\nimage=%s\n", image);
	buf_puts(s,
		 "want=$(sed -n 's/^" LABEL_RE "//p' \"$dockerfile\")\n"
		 "sum=$(grep -v '^" LABEL_RE "' \"$dockerfile\" | sha256sum "
		 "| cut -d ' ' -f 1)\n"
		 "if [ -z \"$want\" ] || [ \"$want\" != \"$sum\" ]; then\n"
		 "  echo \"$dockerfile: its " CONTENTID_LABEL " label is not its "
		 "sha256 (edited by hand?): run matrixc generate\" >&2\n"
		 "  exit 1\n"
		 "fi\n");
	buf_printf(s, "platform=$(echo \"$MATRIXC_PLATFORM\" | %s)\n",
		   buf_str(&normal));
	buf_puts(s,
		 "have= platforms= same=\n"
		 "err=$(mktemp)\n"
		 "if config=$(docker buildx imagetools inspect --format "
		 "'{{json .Image}}' \"$image\" 2>\"$err\"); then\n"
		 "  have=$(printf '%s\\n' \"$config\" | sed -n "
		 "'s/^ *\"io\\.matrixc\\.input\": *\"\\([0-9a-f]*\\)\".*/\\1/p' "
		 "| sort -u)\n"
		 "  platforms=$(printf '%s\\n' \"$config\" | awk -F '\"' '\n"
		 "    /^  \"[^\"]*\\/[^\"]*\": \\{$/ { print $2; n++ }\n"
		 "    /^  \"os\": / { os = $4 }\n"
		 "    /^  \"architecture\": / { arch = $4 }\n"
		 "    /^  \"variant\": / { variant = $4 }\n"
		 "    END { if (!n && os != \"\") print os \"/\" arch "
		 "(variant == \"\" ? \"\" : \"/\" variant) }' |\n");
	buf_printf(s, "    %s | sort | tr '\\n' ' ' | sed 's/ $//')\n",
		   buf_str(&normal));
	buf_puts(s,
		 "  if [ \"$have\" = \"$want\" ] && [ \"$platforms\" = \"$platform\" ]; "
		 "then\n"
		 "    same=yes\n"
		 "  fi\n"
		 "elif grep -q ': not found$' \"$err\"; then\n"
		 "  echo \"$image is not in the registry\"\n"
		 "else\n"
		 "  cat \"$err\" >&2\n"
		 "  echo \"$image: the registry gave no answer on it (above): "
		 "stopping, not rebuilding\" >&2\n"
		 "  exit 1\n"
		 "fi\n"
		 "rm -f \"$err\"\n");
	buf_release(&normal);
}

/* The message of a job that builds: what the registry holds instead */
#define BUILDING_LINE \
	"  echo \"building: $image has " CONTENTID_LABEL "=$(echo ${have:-nothing}) " \
	"for ${platforms:-no platform}, this Dockerfile $want for $platform\"\n"

/* After script_identity, the registry's image (image, a shell variable)
 * is this Dockerfile's: say so, and what the job does instead of
 * building (doing) */
static void script_if_same(buf *s, const char *image, const char *doing)
{
	buf_printf(s,
		   "if [ \"$same\" = yes ]; then\n"
		   "  echo \"%s is this Dockerfile's $platform image already: "
		   "%s\"\n",
		   image, doing);
}

/* It is not: say what the registry holds instead, and build with that
 * image as inline cache, tagged image:$MATRIXC_TAG with suffix */
static void script_else_build(buf *s, const matrix *m, const char *image,
			      const char *suffix)
{
	buf_puts(s, "else\n" BUILDING_LINE "  ");
	docker_build(s, m, image, true, suffix);
	buf_putc(s, '\n');
}

/* Push the build (suffix: as script_else_build's) as ref, a shell
 * variable, indented by indent */
static void script_push(buf *s, const matrix *m, const char *indent,
			const char *suffix, const char *ref)
{
	buf_printf(s,
		   "%sdocker tag \"%s:$MATRIXC_TAG%s\" \"%s\"\n"
		   "%sdocker push \"%s\"\n",
		   indent, m->image.s, suffix, ref, indent, ref);
}

/* text with indent before each of its lines */
static void indented(buf *s, const char *indent, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");
		buf_puts(s, indent);
		buf_add(s, text, n + (text[n] == '\n'));
		text += n + (text[n] == '\n');
	}
}

/* The copy of sources (shell words) to every ref of the publish list but
 * skip (a shell variable; NULL: none), indented: one server-side
 * docker buildx imagetools create per registry, with that registry's
 * refs as its tags. */
static void script_copy(buf *s, const matrix *m, const char *indent,
			const char *skip, const char *sources)
{
	buf t;
	buf_init(&t, 0);
	buf_puts(&t, "for registry in");
	for (size_t i = 0; i < m->nregistries; i++)
		buf_printf(&t, " %s", m->registries[i].name.s);
	buf_puts(&t,
		 "; do\n"
		 "  set --\n"
		 "  for ref in $refs; do\n"
		 "    if [ \"${ref%:*}\" = \"$registry\" ]");
	if (skip)
		buf_printf(&t, " && [ \"$ref\" != \"%s\" ]", skip);
	buf_printf(&t,
		   "; then\n"
		   "      set -- \"$@\" -t \"$ref\"\n"
		   "    fi\n"
		   "  done\n"
		   "  if [ $# -gt 0 ]; then\n"
		   "    docker buildx imagetools create \"$@\" %s\n"
		   "  fi\n"
		   "done\n",
		   sources);
	indented(s, indent, buf_str(&t));
	buf_release(&t);
}

/* The skip-or-build script, one shell text (README: "How the pipeline
 * publishes"; tests/pipeline.t runs it against a stand-in docker). What
 * it pushes is the cell's publish list: registry:tag lines, the first
 * registry's primary tag first, whose image it checks (script_identity).
 * The same image: it copies it to the tag in the other registries. Not:
 * it builds and pushes every line. */
static void publish_script(buf *s, const matrix *m)
{
	buf_puts(s,
		 "# Build the image only if the registry lacks this Dockerfile's "
		 "image;\n"
		 "# publish it under every registry:tag of the cell's publish "
		 "list.\n");
	script_published(s, m);
	script_identity(s, "$published");
	script_if_same(s, "$published", "copying it, not building");
	buf_puts(s, "  # one server-side copy per registry, to its tags but the "
		    "source\n");
	script_copy(s, m, "  ", "$published", "\"$published\"");
	script_else_build(s, m, "$published", "");
	buf_puts(s, "  for ref in $refs; do\n");
	script_push(s, m, "    ", "", "$ref");
	buf_puts(s, "  done\nfi\n");
}

/* The head check of every publishing job (README: "When a job
 * publishes"): it publishes only from the newest commit of the branch
 * its pipeline follows, the pipeline's own or, in a tag pipeline, the
 * default branch. Otherwise a re-run of an older pipeline, or a tag
 * pushed on an older commit, would push that commit's image over the
 * newer one's under the primary tag (a hook changed the build, not the
 * version), or point an alias back at it: resource groups serialise the
 * jobs of a tag but do not order them. The tip is read from the server
 * (git ls-remote; CI_REPOSITORY_URL carries the job token), and a job
 * that cannot read it fails rather than publish or skip in silence. Not
 * the tip: the job stops, successfully, before it logs in, and the tip's
 * own pipeline publishes. The job's words: what stays (a shell word, for
 * the messages), what it says then, and its verb. */
typedef struct {
	const char *what;   /* $MATRIXC_TAG, $alias */
	const char *stays;  /* "is not published from here" */
	const char *refuse; /* "not publishing it" */
	const char *verb;   /* "publishes" */
} head_words;

static void head_check(buf *s, const head_words *h)
{
	buf_printf(s,
		   "# Publish only from the tip of the branch the pipeline "
		   "follows (a tag's: the\n"
		   "# default branch): an older pipeline, re-run or tagged, "
		   "must not publish over\n"
		   "# a newer one's.\n"
		   "if [ -n \"$CI_COMMIT_TAG\" ]; then\n"
		   "  follows=$CI_DEFAULT_BRANCH\n"
		   "else\n"
		   "  follows=$CI_COMMIT_BRANCH\n"
		   "fi\n"
		   "if [ -z \"$follows\" ] || [ -z \"$CI_COMMIT_SHA\" ] || "
		   "[ -z \"$CI_REPOSITORY_URL\" ]; then\n"
		   "  echo \"%s: CI_COMMIT_SHA, CI_REPOSITORY_URL or the branch "
		   "it follows (CI_COMMIT_BRANCH; a tag's: CI_DEFAULT_BRANCH) is "
		   "empty: %s\" >&2\n"
		   "  exit 1\n"
		   "fi\n"
		   "if ! command -v git >/dev/null; then\n"
		   "  echo \"%s: git is not in the job's image, so the tip of "
		   "$follows cannot be read: %s\" >&2\n"
		   "  exit 1\n"
		   "fi\n"
		   "if ! heads=$(GIT_TERMINAL_PROMPT=0 git ls-remote "
		   "\"$CI_REPOSITORY_URL\" \"refs/heads/$follows\"); then\n"
		   "  echo \"%s: git ls-remote failed (above), so the tip of "
		   "$follows is unknown: %s\" >&2\n"
		   "  exit 1\n"
		   "fi\n"
		   "tip=$(printf '%%s\\n' \"$heads\" | awk -v ref=\"refs/heads/$follows\" "
		   "'$2 == ref { print $1 }')\n"
		   "if [ -z \"$tip\" ]; then\n"
		   "  echo \"%s: the repository has no branch $follows, so it "
		   "has no tip: %s\" >&2\n"
		   "  exit 1\n"
		   "fi\n"
		   "if [ \"$tip\" != \"$CI_COMMIT_SHA\" ]; then\n"
		   "  echo \"%s %s: this commit, $CI_COMMIT_SHA, "
		   "is not the tip of $follows, $tip, whose pipeline %s it\"\n"
		   "  exit 0\n"
		   "fi\n",
		   h->what, h->refuse, h->what, h->refuse, h->what, h->refuse,
		   h->what, h->refuse, h->what, h->stays, h->verb);
}

/* The head words of publish:TAG and manifest:TAG, and of publish:TAG@KEY
 * (whose image is TAG-KEY) */
#define PUBLISH_WORDS "is not published from here", "not publishing it", \
		      "publishes"
static const head_words publish_head = {"$MATRIXC_TAG", PUBLISH_WORDS};
static const head_words platform_head = {"$MATRIXC_TAG-$MATRIXC_KEY",
					 PUBLISH_WORDS};
#undef PUBLISH_WORDS

/* The rules of every publishing job (publish:TAG, publish:TAG@KEY,
 * manifest:TAG, alias:ALIAS), in its hidden job: the publishing refs when
 * protected (if_protected), in every pipeline, whatever the push changed
 * (a publish job that a newer pipeline cancelled, or that failed, runs
 * again in the next one; its skip-or-build check makes it cheap when
 * nothing changed); never a merge request. */
static void publishing_rules(gitlab *g)
{
	yaml_writer *w = g->w;
	yw_str(w, "rules");
	yw_seq_begin(w);
	rule_if(w, "$CI_MERGE_REQUEST_IID", "never");
	rule_if(w, if_protected(g, buf_str(&g->refs)), NULL);
	yw_seq_end(w);
}

/* The hidden job name of publishing jobs: their rules, then the checks
 * (first's text, if any: an alias's list check; then the head check,
 * head_check, in head's words), the logins, and script's text. The
 * script's items run in one shell, so a check that exits ends the job
 * before any login. The docker service
 * only when it builds (hidden_head). */
typedef void script_fn(buf *, const matrix *);

static void publishing_hidden(gitlab *g, const matrix *m, const char *name,
			      bool builds, script_fn *first,
			      const head_words *head, script_fn *script)
{
	yaml_writer *w = g->w;
	yw_str(w, name);
	yw_map_begin(w);
	hidden_head(g, m, false, builds);
	publishing_rules(g);
	yw_str(w, "script");
	yw_seq_begin(w);
	buf s;
	buf_init(&s, 0);
	if (first)
		first(&s, m);
	head_check(&s, head);
	yw_literal(w, buf_str(&s));
	login_lines(g, m);
	buf_reset(&s);
	script(&s, m);
	yw_literal(w, buf_str(&s));
	buf_release(&s);
	yw_seq_end(w);
	yw_map_end(w);
}

/* --- what every job of a cell has ------------------------------------------ */

static const char *timeout_of(const cell *c)
{
	if (c->variant->timeout.s)
		return c->variant->timeout.s;
	if (c->pgo.on)
		return c->lto.on ? TIMEOUT_PGO_LTO : TIMEOUT_PGO;
	return TIMEOUT_PLAIN;
}

/* The list of an alias (emit_publish.c), from the repository root */
static const char *alias_list(gitlab *g, const matrix *m, const char *alias)
{
	line(g, "%s%s/", g->root, m->output.s);
	alias_list_path(&g->line, alias);
	return buf_str(&g->line);
}

/* tags: the runner tags ci.runners gives platform; none: the hidden
 * job's (ci.tags) */
static void runner_tags(gitlab *g, const matrix *m, const char *platform)
{
	const strlist *tags = matrix_runner_tags(m, platform);
	if (tags)
		string_list(g->w, "tags", tags, NULL);
}

/* extends hidden, and the variables every job of c has (manifest:TAG's
 * too), in a variables map left open for the job's own */
static void cell_variables(gitlab *g, const matrix *m, const cell *c,
			   const char *hidden)
{
	yaml_writer *w = g->w;
	yw_kv(w, "extends", hidden);
	yw_str(w, "variables");
	yw_map_begin(w);
	yw_kv(w, "MATRIXC_TAG", c->tag.s);
	yw_kv(w, "MATRIXC_DIR", line(g, "%s%s/%s", g->root, m->output.s, c->dir));
}

/* The job of c for its platform i: extends, the cell's variables (the
 * platform too: every docker build asks for it, so a runner of another
 * architecture fails rather than building the wrong one; with several,
 * its key), its timeout, its runner tags */
static void job_head(gitlab *g, const matrix *m, const cell *c, size_t i,
		     const char *hidden)
{
	yaml_writer *w = g->w;
	cell_variables(g, m, c, hidden);
	yw_kv(w, "MATRIXC_PLATFORM", c->platforms.v[i].s);
	if (cell_platform_tags(c)) {
		char key[PLATFORM_KEY_MAX];
		platform_key(c->platforms.v[i].s, key);
		yw_kv(w, "MATRIXC_KEY", key);
	}
	yw_map_end(w);
	yw_kv(w, "timeout", timeout_of(c));
	runner_tags(g, m, c->platforms.v[i].s);
}

/* The Dockerfile of x, whose change runs its build jobs */
static void cell_paths(gitlab *g, const matrix *m, const cell *x)
{
	yw_str(g->w, line(g, "%s%s/%s", g->root, m->output.s, x->dockerfile));
}

/* The paths whose change runs the build jobs of the cells of series
 * (NULL: of c alone). c alone is not looked up among the cells: a cell's
 * job would then cost a walk over every cell, quadratic in all. (The
 * publishing jobs have no changes: they run in every publishing
 * pipeline, see rules.) */
static void change_paths(gitlab *g, const matrix *m, const cell *c,
			 const char *series)
{
	const cellset *cs = &g->p->cells;
	yw_seq_begin(g->w);
	if (!series) {
		cell_paths(g, m, c);
		yw_seq_end(g->w);
		return;
	}
	for (size_t i = 0; i < cs->n; i++) {
		const cell *x = cs->v[i];
		if (strcmp(x->series, series) == 0)
			cell_paths(g, m, x);
	}
	yw_seq_end(g->w);
}

/* changes: [paths], or {paths: [paths], compare_to: ref} */
static void changes(gitlab *g, const matrix *m, const cell *c,
		    const char *series, const char *compare_to)
{
	yaml_writer *w = g->w;
	yw_str(w, "changes");
	if (compare_to) {
		yw_map_begin(w);
		yw_str(w, "paths");
	}
	change_paths(g, m, c, series);
	if (compare_to) {
		yw_kv(w, "compare_to", compare_to);
		yw_map_end(w);
	}
}

/* --- the rules ------------------------------------------------------------- */

/* The rules of build:TAG, or of a trigger job (publish: its child
 * publishes), for c or every cell of series. Merge requests: what the
 * merge request changes. Protected tags and publishing branches: nothing
 * (the publishing jobs run there, publishing_rules). The default branch
 * when it does not publish (or is not protected): what the push changed.
 * Any other branch or tag: what differs from the default branch, so a new
 * branch does not build every cell.
 *
 * A trigger job is interruptible (trigger_job) but on the publishing
 * refs, where its child pipeline publishes: a newer commit must not
 * cancel that child's pending publish jobs. */
static void rules(gitlab *g, const matrix *m, const cell *c,
		  const char *series, bool publish)
{
	yaml_writer *w = g->w;
	yw_str(w, "rules");
	yw_seq_begin(w);
	yw_map_begin(w);
	yw_kv(w, "if", "$CI_MERGE_REQUEST_IID");
	changes(g, m, c, series, NULL);
	yw_map_end(w);
	if (publish) {
		yw_map_begin(w);
		yw_kv(w, "if", if_protected(g, buf_str(&g->refs)));
		yw_str(w, "interruptible");
		yw_typed(w, "false");
		yw_map_end(w);
	}
	rule_if(w, if_protected(g, "$CI_COMMIT_TAG"), "never");
	if (g->branches.len)
		rule_if(w, if_protected(g, buf_str(&g->branches)), "never");
	yw_map_begin(w);
	yw_kv(w, "if", "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH");
	changes(g, m, c, series, NULL);
	yw_map_end(w);
	yw_map_begin(w);
	changes(g, m, c, series, "refs/heads/$CI_DEFAULT_BRANCH");
	yw_map_end(w);
	yw_seq_end(w);
}

/* --- the jobs -------------------------------------------------------------- */

static void build_job(gitlab *g, const matrix *m, const cell *c)
{
	yaml_writer *w = g->w;
	yw_str(w, c->job);
	yw_map_begin(w);
	job_head(g, m, c, 0, HIDDEN_BUILD);
	rules(g, m, c, NULL, false);
	yw_map_end(w);
}

/* One resource_group per cell keeps two pipelines from pushing its tags
 * at once. */
static void publish_job(gitlab *g, const matrix *m, const cell *c)
{
	yaml_writer *w = g->w;
	yw_str(w, line(g, "publish:%s", c->tag.s));
	yw_map_begin(w);
	job_head(g, m, c, 0, HIDDEN_PUBLISH);
	yw_kv(w, "resource_group", line(g, "publish/%s", c->tag.s));
	yw_map_end(w);
}

/* The child pipeline of a series, from the repository root */
static const char *child_path(gitlab *g, const matrix *m, const char *series)
{
	return line(g, "%s%s/ci/%s.yml", g->root, m->output.s, series);
}

static void trigger_job(gitlab *g, const matrix *m, const char *series)
{
	yaml_writer *w = g->w;
	yw_str(w, line(g, "series:%s", series));
	yw_map_begin(w);
	yw_kv(w, "stage", stage_of(m));
	yw_str(w, "needs");
	yw_flow_seq_begin(w);
	yw_seq_end(w);
	yw_str(w, "trigger");
	yw_map_begin(w);
	yw_kv(w, "include", child_path(g, m, series));
	yw_kv(w, "strategy", "depend");
	yw_map_end(w);
	yw_str(w, "interruptible");
	yw_typed(w, "true");
	rules(g, m, NULL, series, g->refs.len > 0);
	yw_map_end(w);
}

/* --- the aliases ------------------------------------------------------------ */

/* An alias (3.13-wee, latest) points at one cell's image today and at
 * another's after a lock update or a change of alias rules. Were it
 * pushed by its cell's job, two pipelines that moved it would push it
 * in two resource groups, so the older one could push it last. So each
 * alias has its own job, alias:ALIAS, in the resource group alias/ALIAS
 * across every pipeline, whichever cell it points at:
 *
 * - it copies the source cell's image (the first registry's primary
 *   tag) to the alias in every registry, with docker buildx imagetools
 *   create: no build, no docker daemon;
 * - it needs the job that publishes the source cell (publish:TAG, or
 *   manifest:TAG with several platforms), optionally: when that job is
 *   not in the pipeline, the image is already published;
 * - it runs in every pipeline of a publishing ref, whatever the push
 *   changed, as publish:TAG does (see rules); never in a merge
 *   request;
 * - it moves the alias only from the tip of the branch it follows
 *   (head_check, as every publishing job).
 *
 * A resource group runs its jobs in pipeline order only once its process
 * mode is oldest_first, which only GitLab's API sets, and never orders a
 * re-run: the head check is what keeps an older pipeline from pointing
 * the alias back. */

/* Its list's lines must be a tag of the first registry (the source),
 * then the alias (the list's file name) in the registries (script_own_refs). */
static void alias_list_check(buf *s, const matrix *m)
{
	buf_printf(s,
		   "# Point the alias at its image: copy the image on the "
		   "first line of its list\n"
		   "# to every registry:tag after it, from registry to "
		   "registry (no build).\n"
		   "source=$(sed -n '/^[^#]/{p;q;}' \"$MATRIXC_LIST\")\n"
		   "targets=$(sed '/^#/d' \"$MATRIXC_LIST\" | sed 1d)\n"
		   "if [ -z \"$source\" ] || [ -z \"$targets\" ]; then\n"
		   "  echo \"$MATRIXC_LIST names nothing to copy: run matrixc "
		   "generate\" >&2\n"
		   "  exit 1\n"
		   "fi\n"
		   "alias=${MATRIXC_LIST##*/}\n"
		   "case ${source#\"%s:\"} in\n"
		   "\"$source\" | \"\" | *[:/@]*)\n"
		   "  echo \"$MATRIXC_LIST: $source is not a tag in %s, the "
		   "first registry of matrix.yaml (edited by hand?): run matrixc "
		   "generate\" >&2\n"
		   "  exit 1 ;;\n"
		   "esac\n",
		   m->registries[0].name.s, m->registries[0].name.s);
	script_own_refs(s, m, "$MATRIXC_LIST", "targets", "$alias");
}

/* The alias's head words: its list check (which names the alias) runs
 * first */
static const head_words alias_head = {"$alias", "stays where it is",
				      "not moving it", "moves"};

/* The copy, once logged in: one server-side copy per registry */
static void alias_copy(buf *s, const matrix *m)
{
	(void)m;
	buf_puts(s, "for ref in $targets; do\n"
		    "  docker buildx imagetools create -t \"$ref\" \"$source\"\n"
		    "done\n");
}

static void alias_jobs(gitlab *g, const matrix *m, const cell *c)
{
	yaml_writer *w = g->w;
	for (size_t i = 0; i < c->aliases.n; i++) {
		const char *alias = c->aliases.v[i].s;
		yw_str(w, line(g, "alias:%s", alias));
		yw_map_begin(w);
		yw_kv(w, "extends", HIDDEN_ALIAS);
		yw_str(w, "variables");
		yw_map_begin(w);
		yw_kv(w, "MATRIXC_LIST", alias_list(g, m, alias));
		yw_map_end(w);
		yw_str(w, "needs");
		yw_seq_begin(w);
		yw_map_begin(w);
		yw_kv(w, "job", line(g, "%s:%s",
				     cell_platform_tags(c) ? "manifest" : "publish",
				     c->tag.s));
		yw_str(w, "optional");
		yw_typed(w, "true");
		yw_map_end(w);
		yw_seq_end(w);
		yw_kv(w, "resource_group", line(g, "alias/%s", alias));
		yw_map_end(w);
	}
}

/* Whether any cell of series (NULL: of the plan) has an alias */
static bool any_alias(const plan *p, const char *series)
{
	for (size_t i = 0; i < p->cells.n; i++) {
		const cell *c = p->cells.v[i];
		if (series && strcmp(c->series, series) != 0)
			continue;
		if (c->aliases.n)
			return true;
	}
	return false;
}

/* --- several platforms ------------------------------------------------------ */

/* A cell with several platforms (cell_platform_tags) has, instead of the
 * two jobs above, one build or publish job per platform and a manifest
 * job:
 *
 * - build:TAG@KEY builds for its platform (docker build --platform) on
 *   the runners ci.runners maps it to, and pushes nothing.
 * - publish:TAG@KEY, on the publishing refs, builds and pushes the
 *   platform's image as TAG-KEY in the first registry, with the same
 *   skip-or-build rule as publish:TAG: when the image already there
 *   carries this Dockerfile's content identity, it builds nothing.
 * - manifest:TAG needs every publish:TAG@KEY of the cell, and joins their
 *   images into one index under every registry:tag of the cell's publish
 *   list (docker buildx imagetools create, one call per registry). It
 *   has no docker service: imagetools and docker login need no daemon.
 *
 * The per-platform jobs have the cell's rules, so that the manifest
 * job's needs are always in the pipeline with it. */

static bool several_platforms(const plan *p)
{
	for (size_t i = 0; i < p->cells.n; i++)
		if (cell_platform_tags(p->cells.v[i]))
			return true;
	return false;
}

/* The skip-or-build script of one platform: its image is the cell's
 * first registry:tag with -KEY appended, checked as publish:TAG checks
 * its own (script_identity), and pushed alone. */
static void publish_platform_script(buf *s, const matrix *m)
{
	buf_puts(s,
		 "# Build this platform's image only if the registry lacks "
		 "this Dockerfile's;\n"
		 "# manifest:$MATRIXC_TAG joins the platforms' images under "
		 "every tag.\n");
	script_published(s, m);
	script_identity(s, "$published-$MATRIXC_KEY");
	script_if_same(s, "$image", "not building");
	script_else_build(s, m, "$image", "-$MATRIXC_KEY");
	script_push(s, m, "  ", "-$MATRIXC_KEY", "$image");
	buf_puts(s, "fi\n");
}

/* The index of the platforms' images under every registry:tag of the
 * publish list, copied as publish:TAG copies (script_copy). The
 * platforms are the job's (MATRIXC_KEYS), whatever the registry held
 * under the tags before: an index of other platforms is replaced. */
static void manifest_script(buf *s, const matrix *m)
{
	buf_puts(s,
		 "# Join the platforms' images under every registry:tag of "
		 "the cell's publish list.\n");
	script_published(s, m);
	buf_puts(s,
		 "sources=\n"
		 "for key in $MATRIXC_KEYS; do\n"
		 "  sources=\"$sources $published-$key\"\n"
		 "done\n");
	script_copy(s, m, "", NULL, "$sources");
}

/* JOB:TAG@KEY, in g's line buffer */
static const char *platform_job(gitlab *g, const char *job, const cell *c,
				size_t i)
{
	char key[PLATFORM_KEY_MAX];
	platform_key(c->platforms.v[i].s, key);
	return line(g, "%s:%s@%s", job, c->tag.s, key);
}

static void build_platform_jobs(gitlab *g, const matrix *m, const cell *c)
{
	for (size_t i = 0; i < c->platforms.n; i++) {
		yw_str(g->w, platform_job(g, "build", c, i));
		yw_map_begin(g->w);
		job_head(g, m, c, i, HIDDEN_BUILD_PLATFORM);
		rules(g, m, c, NULL, false);
		yw_map_end(g->w);
	}
}

/* publish:TAG@KEY per platform, each its own resource_group; then
 * manifest:TAG, in the cell's resource_group, after all of them */
static void publish_platform_jobs(gitlab *g, const matrix *m, const cell *c)
{
	yaml_writer *w = g->w;
	for (size_t i = 0; i < c->platforms.n; i++) {
		yw_str(w, platform_job(g, "publish", c, i));
		yw_map_begin(w);
		job_head(g, m, c, i, HIDDEN_PUBLISH_PLATFORM);
		char key[PLATFORM_KEY_MAX];
		platform_key(c->platforms.v[i].s, key);
		yw_kv(w, "resource_group",
		      line(g, "publish/%s/%s", c->tag.s, key));
		yw_map_end(w);
	}
	yw_str(w, line(g, "manifest:%s", c->tag.s));
	yw_map_begin(w);
	cell_variables(g, m, c, HIDDEN_MANIFEST);
	buf keys;
	buf_init(&keys, 0);
	for (size_t i = 0; i < c->platforms.n; i++) {
		char key[PLATFORM_KEY_MAX];
		platform_key(c->platforms.v[i].s, key);
		buf_printf(&keys, "%s%s", i ? " " : "", key);
	}
	yw_kv(w, "MATRIXC_KEYS", buf_str(&keys));
	buf_release(&keys);
	yw_map_end(w);
	yw_str(w, "needs");
	yw_seq_begin(w);
	for (size_t i = 0; i < c->platforms.n; i++)
		yw_str(w, platform_job(g, "publish", c, i));
	yw_seq_end(w);
	yw_kv(w, "resource_group", line(g, "publish/%s", c->tag.s));
	yw_map_end(w);
}

/* --- the files ------------------------------------------------------------- */

/* A blank line before each top-level key after the first, so that jobs
 * read as blocks. Only top-level keys start in column 0: everything else
 * libyaml writes is indented, literal blocks included. */
static void space_jobs(buf *b, size_t from)
{
	buf out;
	buf_init(&out, 0);
	buf_reserve(&out, b->len + b->len / 32); /* a job is more than 32 bytes */
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

/* The series of the plan, each once, in plan order; n set. malloc'd. */
static const char **series_of(const plan *p, size_t *n)
{
	const char **v = calloc(p->cells.n ? p->cells.n : 1, sizeof *v);
	if (!v)
		abort();
	*n = 0;
	for (size_t i = 0; i < p->cells.n; i++) {
		const char *s = p->cells.v[i]->series;
		size_t j = 0;
		while (j < *n && strcmp(v[j], s) != 0)
			j++;
		if (j == *n)
			v[(*n)++] = s;
	}
	return v;
}

/* The jobs of a pipeline file: the hidden jobs, then those of each cell
 * of series (NULL: of every cell), each followed by its aliases' jobs. */
static void cell_jobs_of(gitlab *g, const char *series)
{
	const matrix *m = g->p->m;
	bool several = several_platforms(g->p);
	build_hidden(g, m, HIDDEN_BUILD, "");
	if (g->refs.len)
		publishing_hidden(g, m, HIDDEN_PUBLISH, true, NULL,
				  &publish_head, publish_script);
	if (several)
		build_hidden(g, m, HIDDEN_BUILD_PLATFORM, "-$MATRIXC_KEY");
	if (several && g->refs.len) {
		publishing_hidden(g, m, HIDDEN_PUBLISH_PLATFORM, true, NULL,
				  &platform_head, publish_platform_script);
		publishing_hidden(g, m, HIDDEN_MANIFEST, false, NULL,
				  &publish_head, manifest_script);
	}
	if (g->refs.len && any_alias(g->p, series))
		publishing_hidden(g, m, HIDDEN_ALIAS, false, alias_list_check,
				  &alias_head, alias_copy);
	for (size_t i = 0; i < g->p->cells.n; i++) {
		const cell *c = g->p->cells.v[i];
		if (series && strcmp(c->series, series) != 0)
			continue;
		if (cell_platform_tags(c)) {
			build_platform_jobs(g, m, c);
			if (g->refs.len)
				publish_platform_jobs(g, m, c);
		} else {
			build_job(g, m, c);
			if (g->refs.len)
				publish_job(g, m, c);
		}
		if (g->refs.len)
			alias_jobs(g, m, c);
	}
}

/* One pipeline file at path (under the output directory): the cells'
 * jobs of series, or with parent, the trigger job of each series. */
static void write_file(emit_ctx *ctx, gitlab *g, const char *path,
		       const char *series, const char **parent, size_t nseries)
{
	buf *b = outset_add(ctx->out, path);
	emit_header(b, ctx->p);
	size_t header = b->len;
	bool ok = false;
	g->w = yaml_writer_new(b);
	if (g->w) {
		file_head(g);
		if (parent)
			for (size_t i = 0; i < nseries; i++)
				trigger_job(g, ctx->p->m, parent[i]);
		else
			cell_jobs_of(g, series);
		yw_map_end(g->w);
		ok = yaml_writer_finish(g->w);
		g->w = NULL;
	}
	if (!ok)
		diag_error(ctx->d, srcpos_file(path),
			   "libyaml could not write the CI configuration");
	else
		space_jobs(b, header);
}

/* A job name of cell c over JOB_NAME_MAX, at the value it comes from
 * (what: the cell's "tag", or one of its aliases) */
static void check_job_name(emit_ctx *ctx, const cell *c, const char *name,
			   srcpos at, const char *what)
{
	if (strlen(name) <= JOB_NAME_MAX)
		return;
	diag_error(ctx->d, at,
		   "cell %s: CI job name '%.48s...' is %zu characters long, "
		   "more than %d: shorten the %s",
		   c->dir, name, strlen(name), JOB_NAME_MAX, what);
}

/* The job names are checked when the cell is walked; the files are
 * written at the end, when every cell of a series is known. The longest
 * of a cell's own is publish:TAG or publish:TAG@KEY (longer than
 * manifest:TAG), or build:... without a publishing ref; its aliases'
 * are alias:ALIAS. */
static void cell_jobs(emit_ctx *ctx, const cell *c)
{
	const gitlab *g = ctx->state;
	const char *job = g->refs.len ? "publish" : "build";
	char key[PLATFORM_KEY_MAX] = "";
	buf name;
	buf_init(&name, 0);
	for (size_t i = 0; i < cell_platform_tags(c); i++) {
		char k[PLATFORM_KEY_MAX];
		platform_key(c->platforms.v[i].s, k);
		if (strlen(k) > strlen(key))
			memcpy(key, k, sizeof k);
	}
	buf_printf(&name, "%s:%s%s%s", job, c->tag.s, *key ? "@" : "", key);
	check_job_name(ctx, c, buf_str(&name), c->tag.at, "tag");
	for (size_t i = 0; g->refs.len && i < c->aliases.n; i++) {
		buf_reset(&name);
		buf_printf(&name, "alias:%s", c->aliases.v[i].s);
		check_job_name(ctx, c, buf_str(&name), c->aliases.v[i].at,
			       "alias");
	}
	buf_release(&name);
}

/* The jobs one pipeline runs for c at most: one per platform, and in a
 * publishing pipeline a manifest job when there are several and a job
 * per alias. */
static size_t jobs_of(const gitlab *g, const cell *c)
{
	size_t n = cell_platform_tags(c);
	if (!g->refs.len)
		return n ? n : 1;
	return (n ? n + 1 : 1) + c->aliases.n;
}

/* A pipeline runs one job per cell and platform (build: or publish:),
 * and, publishing, one manifest job per cell with several and one job
 * per alias; split, each series' child pipeline is one pipeline. */
static void check_job_count(emit_ctx *ctx, const gitlab *g,
			    const char **series, size_t n)
{
	const plan *p = ctx->p;
	const matrix *m = p->m;
	srcpos at = m->ci.max_jobs_at.line ? m->ci.max_jobs_at
					   : srcpos_file(m->file);
	if (!m->ci.split_series) {
		size_t jobs = 0;
		for (size_t j = 0; j < p->cells.n; j++)
			jobs += jobs_of(g, p->cells.v[j]);
		if (jobs > m->ci.max_jobs)
			diag_warning(ctx->d, at,
				     "the pipeline has %zu jobs, more than %zu "
				     "(GitLab rejects pipelines over its "
				     "instance's job limit; raise ci.max_jobs if "
				     "yours allows more, or set ci.split: series "
				     "to run one child pipeline per series)",
				     jobs, m->ci.max_jobs);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t jobs = 0;
		for (size_t j = 0; j < p->cells.n; j++)
			if (!strcmp(p->cells.v[j]->series, series[i]))
				jobs += jobs_of(g, p->cells.v[j]);
		if (jobs > m->ci.max_jobs)
			diag_warning(ctx->d, at,
				     "the child pipeline of series %s has %zu "
				     "jobs, more than %zu (GitLab rejects "
				     "pipelines over its instance's job limit; "
				     "raise ci.max_jobs if yours allows more)",
				     series[i], jobs, m->ci.max_jobs);
	}
}

static void end(emit_ctx *ctx)
{
	gitlab *g = ctx->state;
	const matrix *m = ctx->p->m;
	size_t n = 0;
	const char **series = series_of(ctx->p, &n);
	if (m->ci.split_series) {
		write_file(ctx, g, ".gitlab-ci.yml", NULL, series, n);
		for (size_t i = 0; i < n; i++) {
			buf path;
			buf_init(&path, 0);
			buf_printf(&path, "ci/%s.yml", series[i]);
			write_file(ctx, g, buf_str(&path), series[i], NULL, 0);
			buf_release(&path);
		}
	} else {
		write_file(ctx, g, ".gitlab-ci.yml", NULL, NULL, 0);
	}
	check_job_count(ctx, g, series, n);
	free(series);
	buf_release(&g->line);
	buf_release(&g->branches);
	buf_release(&g->refs);
	buf_release(&g->cond);
	free(g);
}

const emitter emit_gitlab = {".gitlab-ci.yml", begin, cell_jobs, end};
