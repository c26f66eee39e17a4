/* matrix.h - the typed matrix: matrix.yaml after validation.
 *
 * matrix_load checks the YAML tree against the schema (unknown keys with a
 * "did you mean", wrong types, malformed versions and names) and reports
 * every problem it finds to the diag context. Every value keeps the srcpos
 * it was read from, so later phases can point at the input.
 */
#ifndef MATRIXC_MATRIX_H
#define MATRIXC_MATRIX_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "strlist.h"
#include "version.h"

/* The YAML tree (yamlio.h); only matrix_load reads it, so the emitters
 * that include this header do not see the YAML reader. */
typedef struct ynode ynode;

typedef struct {
	pstr name;          /* repository: registry.gitlab.com/group/python */
	pstr user_var;      /* CI variable holding the user name (optional) */
	pstr password_var;  /* CI variable holding the password (optional) */
} registry;

typedef struct {
	pstr spec;          /* as written: "3.13", "3.6.3", "3.15-rc" */
	pyversion v;
	bool exact;         /* "3.6.3": no lock entry needed for the version */
	bool prerelease_ok; /* "3.15-rc" */
} version_spec;

typedef struct {
	pstr name;
	bool pgo, lto, pip;
	srcpos pgo_at, lto_at, pip_at;
	strlist configure; /* extra ./configure flags */
	pstr timeout;      /* CI job timeout ("3h 30m"); NULL s: by pgo, lto */
	strlist platforms; /* none: the matrix's (platform.h) */
} variant;

/* An exclude or include: version (series or exact) and/or variant. */
typedef struct {
	srcpos at;
	pstr version; /* NULL s: any */
	pstr variant; /* NULL s: any */
	bool used;    /* an exclude that matched at least one cell */
} match_rule;

/* An alias rule: cells matching (version, variant) also get tag. The tag
 * may use {version} {series} {major} {variant}. */
typedef struct {
	match_rule match;
	pstr tag;
} alias_rule;

/* The refs whose pipelines push (ci.publish); every other pipeline
 * builds and pushes nothing. */
typedef struct {
	bool default_branch; /* default true */
	bool tags;           /* any tag; default true */
	strlist branches;    /* more branches, by exact name */
} publish_refs;

/* ci.runners: the runner tags of the jobs that build for a platform */
typedef struct {
	pstr platform;   /* linux/arm64 */
	strlist tags;    /* [saas-linux-medium-arm64] */
} runner_map;

typedef struct {
	pstr image;       /* job image for build jobs (docker:27) */
	strlist services; /* docker:27-dind */
	strlist runner_tags;
	pstr stage;       /* default "build" */
	size_t max_jobs;  /* warn past this (GitLab's default: 500? see plan) */
	srcpos max_jobs_at;
	publish_refs publish;
	bool split_series; /* ci.split: series: one child pipeline per series */
	runner_map *runners; /* ci.runners, in matrix.yaml's order */
	size_t nrunners;
	pstr project;     /* ci.project: group/name, the only project that
			     publishes (a fork does not); NULL: any */
} ci_settings;

typedef struct {
	const char *file; /* "matrix.yaml" as given */
	const char *dir;  /* directory holding it ("." for none) */
	unsigned schema;
	pstr image;       /* local image name: python */
	registry *registries;
	size_t nregistries;
	pstr base;        /* default base image */
	strlist platforms; /* platforms: [linux/amd64] unless set */
	version_spec *versions;
	size_t nversions;
	variant *variants;
	size_t nvariants;
	match_rule *excludes;
	size_t nexcludes;
	match_rule *includes;
	size_t nincludes;
	alias_rule *aliases;
	size_t naliases;
	bool alias_series, alias_major; /* default true */
	srcpos alias_series_at, alias_major_at;
	strlist hooks;                  /* lua/... files */
	strlist configure;              /* flags for every cell */
	strlist build_packages, run_packages;
	strlist env;                    /* NAME=value for every cell */
	ci_settings ci;
	pstr lock_file;                 /* default matrix.lock.json */
	pstr output;                    /* generated/ relative to the repo
					 * root (matrix.yaml's directory);
					 * default "generated" */
	size_t max_cells;
	srcpos max_cells_at;
	bool pin_bases;                 /* FROM image@digest from the lock;
					 * default true */
	srcpos pin_bases_at;            /* where pin_bases: false was set */
	pstr label_source, label_url;   /* labels: OCI source and url */
} matrix;

/* Validate root (from yaml_load) into m. Returns false when any error was
 * reported. file and dir must outlive m. */
bool matrix_load(arena *a, diag *d, const ynode *root, const char *file,
		 const char *dir, matrix *m);

/* ci.runners' tags for platform, or NULL when it maps none */
const strlist *matrix_runner_tags(const matrix *m, const char *platform);

#endif
