/* platform.c - container platforms (see platform.h).
 *
 * platform -> "linux" "/" arch ("/" variant)?, with the variants each
 * architecture has in OCI's image index (amd64 micro-architecture levels,
 * arm versions). A near miss gets a suggestion: the kernel's names
 * (x86_64, aarch64) and a missing os are the common ones.
 */
#include "platform.h"

#include <stdio.h>
#include <string.h>

typedef struct {
	const char *arch;     /* "amd64" */
	const char *platform; /* "linux/amd64": the suggestion for a near miss */
	const char *variants[4]; /* NULL-terminated; none: no variant */
	const char *implied;  /* the variant that no variant means, or NULL */
	bool spelt;           /* the normal form names implied (arm/v7) */
} arch_info;

/* implied: containerd's normalisation (platforms.Normalize), by which
 * docker and buildkit match platforms: amd64 is amd64/v1, arm64 is
 * arm64/v8 and arm is arm/v7, so each pair names one platform
 * (platform_same). Its normal form, in which buildx names the platforms
 * of an index (platform_normal_sed), leaves the variant out but for arm
 * (spelt). v1 is not accepted in matrix.yaml: the suggestion is
 * linux/amd64. */
/* ARCH("amd64"): the arch and its platform, "linux/amd64" */
#define ARCH(a) a, "linux/" a
static const arch_info arches[] = {
    {ARCH("amd64"), {"v2", "v3", "v4", NULL}, "v1", false},
    {ARCH("arm64"), {"v8", NULL}, "v8", false},
    {ARCH("arm"), {"v5", "v6", "v7", NULL}, "v7", true},
    {ARCH("386"), {NULL}, NULL, false},
    {ARCH("ppc64le"), {NULL}, NULL, false},
    {ARCH("s390x"), {NULL}, NULL, false},
    {ARCH("riscv64"), {NULL}, NULL, false},
    {ARCH("mips64le"), {NULL}, NULL, false},
    {ARCH("loong64"), {NULL}, NULL, false},
};
#undef ARCH

#define NARCHES (sizeof arches / sizeof *arches)

/* Kernel and distribution spellings of an architecture */
static const struct {
	const char *alias, *platform;
} aliases[] = {
    {"x86_64", "linux/amd64"},   {"x86-64", "linux/amd64"},
    {"aarch64", "linux/arm64"},  {"arm64v8", "linux/arm64/v8"},
    {"armhf", "linux/arm/v7"},   {"armel", "linux/arm/v5"},
    {"i386", "linux/386"},       {"i686", "linux/386"},
    {"ppc64el", "linux/ppc64le"}, {"riscv", "linux/riscv64"},
};

static const arch_info *find_arch(const char *s, size_t n)
{
	for (size_t i = 0; i < NARCHES; i++)
		if (strlen(arches[i].arch) == n && !memcmp(arches[i].arch, s, n))
			return &arches[i];
	return NULL;
}

static const char *alias_of(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
		if (strlen(aliases[i].alias) == n &&
		    !memcmp(aliases[i].alias, s, n))
			return aliases[i].platform;
	return NULL;
}

static const char *check_arch(const char *arch, const char **near)
{
	const char *slash = strchr(arch, '/');
	size_t n = slash ? (size_t)(slash - arch) : strlen(arch);
	const arch_info *a = find_arch(arch, n);
	if (!a) {
		*near = alias_of(arch, n);
		return "unknown architecture (known: amd64, arm64, arm, 386, "
		       "ppc64le, s390x, riscv64, mips64le, loong64)";
	}
	if (!slash)
		return NULL;
	for (size_t i = 0; a->variants[i]; i++)
		if (!strcmp(a->variants[i], slash + 1))
			return NULL;
	*near = a->platform;
	return a->variants[0] ? "unknown variant for this architecture"
			      : "this architecture has no variants";
}

const char *platform_check(const char *s, const char **near)
{
	const char *dummy;
	if (!near)
		near = &dummy;
	*near = NULL;
	if (!strncmp(s, "linux/", 6))
		return check_arch(s + 6, near);
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (!slash) {
		const arch_info *a = find_arch(s, n);
		*near = a ? a->platform : alias_of(s, n);
		return "expected os/arch, like linux/amd64";
	}
	check_arch(slash + 1, near);
	if (!*near) {
		const arch_info *a = find_arch(slash + 1, strcspn(slash + 1, "/"));
		*near = a ? a->platform : NULL;
	}
	return "only linux images are built (the Dockerfiles are Debian's)";
}

void platform_key(const char *s, char *out)
{
	const char *arch = strchr(s, '/');
	snprintf(out, PLATFORM_KEY_MAX, "%s", arch ? arch + 1 : s);
	char *v = strchr(out, '/');
	if (v)
		*v = '-';
}

/* The arch of platform s and its variant, the implied one when s names
 * none (an empty string for an arch without variants); NULL when s is
 * not a linux platform of a known arch */
static const arch_info *arch_variant(const char *s, const char **variant)
{
	if (strncmp(s, "linux/", 6) != 0)
		return NULL;
	const char *arch = s + 6;
	const char *slash = strchr(arch, '/');
	const arch_info *a = find_arch(arch, slash ? (size_t)(slash - arch)
						   : strlen(arch));
	*variant = slash ? slash + 1 : a && a->implied ? a->implied : "";
	return a;
}

bool platform_same(const char *a, const char *b)
{
	const char *va, *vb;
	const arch_info *x = arch_variant(a, &va), *y = arch_variant(b, &vb);
	if (!x || !y)
		return !strcmp(a, b);
	return x == y && !strcmp(va, vb);
}

/* One s command per arch with an implied variant: its other spelling to
 * its normal one */
void platform_normal_sed(buf *out)
{
	const char *sep = "";
	buf_puts(out, "sed '");
	for (size_t i = 0; i < NARCHES; i++) {
		const arch_info *a = &arches[i];
		if (!a->implied)
			continue;
		buf_printf(out, "%ss,^%s", sep, a->platform);
		if (!a->spelt)
			buf_printf(out, "/%s", a->implied);
		buf_printf(out, "$,%s", a->platform);
		if (a->spelt)
			buf_printf(out, "/%s", a->implied);
		buf_putc(out, ',');
		sep = "; ";
	}
	buf_putc(out, '\'');
}
