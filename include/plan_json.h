/* plan_json.h - the plan's cells as JSON, for `matrixc list --json`.
 *
 * One object per cell with every computed field, in plan order, keys
 * sorted, two-space indent and a final newline. With lock.c and pyorg.c,
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

#endif
