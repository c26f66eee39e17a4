/* plan_json.h - the plan's cells as JSON, for `matrixc list --json` and
 * `matrixc explain --json`.
 *
 * list: one object per cell with every computed field, in plan order;
 * explain: one cell's values, each with where it came from, and what
 * hooks removed (docs/matrixc.1 describes the shape). Keys sorted,
 * two-space indent and a final newline. With lock.c and pyorg.c,
 * the only modules that include jansson.h: the commands print what this
 * module encodes and never see a json_t.
 */
#ifndef MATRIXC_PLAN_JSON_H
#define MATRIXC_PLAN_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include "plan.h"

/* Write every cell of all (skipped ones with "skipped": the reason and
 * where a hook gave it) to out. false when jansson fails (out of memory)
 * or out cannot be written. */
bool plan_json_write(const cellset *all, FILE *out);

/* Write cell c as explain sees it: status, skip reason, every field with
 * its provenance ({"file", "line", "col"}, null for a built-in default),
 * list entries hooks removed, and what it fetches (mirror: the path under
 * $PYTHON_MIRROR, or NULL). false as plan_json_write. */
bool plan_json_explain(const cell *c, const char *mirror, FILE *out);

/* Write what explain knows of name, a cell that exclude rule `by`
 * removed. */
bool plan_json_excluded(const char *name, srcpos by, FILE *out);

#endif
