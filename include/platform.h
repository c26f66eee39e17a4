/* platform.h - container platforms: "os/arch[/variant]" as OCI names them.
 *
 * Only linux images are built (the Dockerfiles are Debian's), on the
 * architectures Debian and the Docker Hub images ship. A platform's key
 * (arch, or arch-variant: "arm64", "arm-v7") names what is built for it:
 * the per-platform image tag (TAG-arm64), CI job (publish:TAG@arm64) and
 * Makefile target (build-TAG@arm64).
 */
#ifndef MATRIXC_PLATFORM_H
#define MATRIXC_PLATFORM_H

#include <stddef.h>

#define PLATFORM_DEFAULT "linux/amd64" /* when matrix.yaml names none */

/* NULL when s is a known platform, else why not; *near (may be NULL) gets
 * the platform s was probably meant to be ("linux/aarch64": linux/arm64),
 * or NULL. Both are static strings. */
const char *platform_check(const char *s, const char **near);

/* The key of valid platform s into out (at least PLATFORM_KEY_MAX). */
#define PLATFORM_KEY_MAX 32
void platform_key(const char *s, char *out);

#endif
