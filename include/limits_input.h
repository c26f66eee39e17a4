/* limits_input.h - LIMIT_*: hard limits on input, so hostile input fails
 * fast.
 *
 * Each limit produces a positioned error, never a crash or a hang. The cell
 * cap has a default that matrix.yaml can raise (`limits: {cells: N}`).
 */
#ifndef MATRIXC_LIMITS_INPUT_H
#define MATRIXC_LIMITS_INPUT_H

#define LIMIT_FILE_BYTES (4u << 20)   /* matrix.yaml, lock file, each hook */
#define LIMIT_YAML_DEPTH 64           /* nesting of collections */
#define LIMIT_YAML_NODES 200000       /* nodes after alias expansion */
#define LIMIT_STRING_BYTES 4096       /* one scalar */
#define LIMIT_VERSIONS 1000
#define LIMIT_VARIANTS 1000
#define LIMIT_CELLS_DEFAULT 20000
#define LIMIT_CELLS_MAX 1000000
#define LIMIT_DIAGNOSTICS 50

#define LIMIT_YAML_ENTRIES 1000       /* entries in one YAML mapping or list */
#define LIMIT_CELL_LIST 500           /* a cell's configure, env or packages
                                       * from matrix.yaml (hooks may grow
                                       * them to 1000) */
#define LIMIT_ALIAS_TAGS 100000       /* tags from alias rules, all cells */

#endif
