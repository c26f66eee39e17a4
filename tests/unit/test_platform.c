/* Platforms: the grammar, the suggestions, the keys. */
#include <string.h>

#include "platform.h"
#include "tap.h"

#define GOOD(s) ok(platform_check(s, NULL) == NULL, "accepts '%s'", s)

static void bad(const char *s, const char *near)
{
	const char *got = NULL;
	ok(platform_check(s, &got) != NULL, "rejects '%s'", s);
	is_str(got, near, near ? "and suggests the near one" : "and suggests none");
}

static void key(const char *s, const char *want)
{
	char k[PLATFORM_KEY_MAX];
	platform_key(s, k);
	is_str(k, want, s);
}

static void same(const char *a, const char *b, bool want)
{
	ok(platform_same(a, b) == want, "'%s' and '%s' are %s", a, b,
	   want ? "one platform" : "two");
}

int main(void)
{
	GOOD("linux/amd64");
	GOOD("linux/arm64");
	GOOD("linux/arm64/v8");
	GOOD("linux/arm/v7");
	GOOD("linux/amd64/v3");
	GOOD("linux/s390x");
	GOOD(PLATFORM_DEFAULT);
	bad("linux/aarch64", "linux/arm64");
	bad("linux/x86_64", "linux/amd64");
	bad("arm64", "linux/arm64");
	bad("amd64", "linux/amd64");
	bad("windows/amd64", "linux/amd64");
	bad("linux/arm/v9", "linux/arm");
	bad("linux/386/v2", "linux/386");
	bad("linux/amd64/v1", "linux/amd64");
	bad("linux/", NULL);
	bad("", NULL);
	bad("linux/sparc", NULL);
	bad("darwin/m1", NULL);
	key("linux/amd64", "amd64");
	key("linux/arm/v7", "arm-v7");
	key("linux/arm64/v8", "arm64-v8");
	same("linux/arm64", "linux/arm64/v8", true);
	same("linux/arm64/v8", "linux/arm64", true);
	same("linux/arm", "linux/arm/v7", true);
	same("linux/amd64", "linux/amd64", true);
	same("linux/arm", "linux/arm/v6", false);
	same("linux/amd64", "linux/amd64/v2", false);
	same("linux/amd64/v1", "linux/amd64", true);
	same("linux/amd64", "linux/arm64", false);
	same("linux/386", "linux/386", true);
	same("x86_64", "x86_64", true);
	same("x86_64", "linux/amd64", false);
	same("linux/", "linux/", true);
	buf sed;
	buf_init(&sed, 0);
	platform_normal_sed(&sed);
	is_str(buf_str(&sed),
	       "sed 's,^linux/amd64/v1$,linux/amd64,; "
	       "s,^linux/arm64/v8$,linux/arm64,; s,^linux/arm$,linux/arm/v7,'",
	       "the normal form's sed: each implied variant, left out but for arm");
	buf_release(&sed);
	return tap_done();
}
