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

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define PLATFORM_DEFAULT "linux/amd64" /* when matrix.yaml names none */

/* NULL when s is a known platform, else why not; *near (may be NULL) gets
 * the platform s was probably meant to be ("linux/aarch64": linux/arm64),
 * or NULL. Both are static strings. */
const char *platform_check(const char *s, const char **near);

/* Whether platforms a and b are one platform, perhaps spelt two ways, as
 * docker and containerd match them: linux/arm64 and linux/arm64/v8,
 * linux/arm and linux/arm/v7. Invalid ones are the same when equal. */
bool platform_same(const char *a, const char *b);

/* The key of valid platform s into out (at least PLATFORM_KEY_MAX). */
#define PLATFORM_KEY_MAX 32
void platform_key(const char *s, char *out);

/* A sed command line, appended to out, that rewrites each input line that
 * is a platform to containerd's normal form, in which buildx
 * names the platforms of an index: linux/arm64/v8 is linux/arm64,
 * linux/arm is linux/arm/v7 (the pairs platform_same matches). */
void platform_normal_sed(buf *out);

#endif
