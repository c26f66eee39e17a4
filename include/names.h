/* names.h - strict grammars for every value that reaches an output.
 *
 * A value from matrix.yaml or a hook is either accepted by one of these
 * (and then needs no escaping in a Dockerfile, Makefile or shell line) or
 * quoted by quote.h. Each returns NULL when s is valid, else a short reason
 * used in the error message.
 */
#ifndef MATRIXC_NAMES_H
#define MATRIXC_NAMES_H

#include <stddef.h>

/* Docker tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
const char *name_check_tag(const char *s);
/* Repository without tag: [host[:port]/]path, lowercase path components */
const char *name_check_repository(const char *s);
/* The host `docker login` names for valid repository s: its registry
 * host (host[:port]), or docker.io when it names none; its length in *len
 * (the host is not NUL-terminated at it) */
const char *name_login_host(const char *s, size_t *len);
/* Image reference: repository[:tag][@sha256:hex64] */
const char *name_check_image(const char *s);
/* Debian package name: [a-z0-9][a-z0-9+.-]+ */
const char *name_check_package(const char *s);
/* Variant name: [a-z0-9]([a-z0-9.-]*[a-z0-9])? without "..", <= 64 */
const char *name_check_variant(const char *s);
/* Environment variable / build argument name: [A-Za-z_][A-Za-z0-9_]* */
const char *name_check_env_name(const char *s);
/* Free text that will be quoted: UTF-8, no control characters (C0, DEL,
 * C1, U+2028, U+2029) and no invisible or bidirectional formatting ones */
const char *name_check_text(const char *s);
/* GitLab runner tag: printable ASCII and inner spaces, without '$' or ',' */
const char *name_check_runner_tag(const char *s);
/* GitLab stage name: [A-Za-z0-9_.-], and spaces between them */
const char *name_check_stage(const char *s);
/* GitLab project path: group/name, segments of [A-Za-z0-9_.-] */
const char *name_check_project(const char *s);
/* ./configure or make argument: --opt[=value] or NAME=value, value text */
const char *name_check_flag(const char *s);
/* Relative path inside a tree: component ("/" component)*, where a
 * component is [A-Za-z0-9_.-]+ other than "." and "..". Used for every
 * path matrixc reads or writes under the repository or generated/. */
const char *name_check_path(const char *s);
/* sha256 in lowercase hex */
const char *name_check_sha256(const char *s);
/* https:// or http:// URL of printable non-space, non-quote characters */
const char *name_check_url(const char *s);

#endif
