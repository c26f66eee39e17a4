/* emit_publish.h - where the publishing jobs' lists are.
 *
 * emit_publish.c writes the lists, emit_gitlab.c's jobs read them: each
 * path is spelt here once, so that the CI file cannot name a list the
 * generator no longer writes. Paths are relative to the output directory.
 */
#ifndef MATRIXC_EMIT_PUBLISH_H
#define MATRIXC_EMIT_PUBLISH_H

#include "buf.h"

/* dir/publish, appended to out: the publish list of the cell in dir (a
 * cell's directory, or a shell word that holds one: "$MATRIXC_DIR") */
void publish_list_path(buf *out, const char *dir);

/* aliases/ALIAS, appended to out: the list of alias */
void alias_list_path(buf *out, const char *alias);

#endif
