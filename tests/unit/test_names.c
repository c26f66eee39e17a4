/* The grammars every output value must pass. */
#include <string.h>

#include "names.h"
#include "tap.h"

#define GOOD(f, s) ok(f(s) == NULL, #f " accepts '%s'", s)
#define BAD(f, s) ok(f(s) != NULL, #f " rejects '%s'", s)

static void tags(void)
{
	GOOD(name_check_tag, "3.13.5-wee");
	GOOD(name_check_tag, "latest");
	GOOD(name_check_tag, "_x");
	BAD(name_check_tag, "");
	BAD(name_check_tag, "-rc");
	BAD(name_check_tag, ".hidden");
	BAD(name_check_tag, "a b");
	BAD(name_check_tag, "a\nRUN x");
	BAD(name_check_tag, "a:b");
	BAD(name_check_tag, "a/b");
	BAD(name_check_tag,
	    "x123456789012345678901234567890123456789012345678901234567890"
	    "1234567890123456789012345678901234567890123456789012345678901"
	    "234567890");
}

static void repositories(void)
{
	GOOD(name_check_repository, "python");
	GOOD(name_check_repository, "registry.gitlab.com/revsys/docker-builds/python");
	GOOD(name_check_repository, "docker.io/revolutionsystems/python");
	GOOD(name_check_repository, "localhost:5000/a/b");
	GOOD(name_check_repository, "a__b/c.d/e--f");
	BAD(name_check_repository, "");
	BAD(name_check_repository, "evil; rm -rf /");
	BAD(name_check_repository, "Registry.example/Python");
	BAD(name_check_repository, "a//b");
	BAD(name_check_repository, "a/b/");
	BAD(name_check_repository, "-a/b");
	BAD(name_check_repository, "host:port/a");
	GOOD(name_check_repository, "host:65535/a");
	GOOD(name_check_repository, "host:1/a");
	BAD(name_check_repository, "host:65536/a"); /* not a TCP port */
	BAD(name_check_repository, "host:99999/a");
	BAD(name_check_repository, "host:0/a");
	BAD(name_check_repository, "host:00000/a");
	BAD(name_check_repository, "a/$(shell id)");
}

static void images(void)
{
	GOOD(name_check_image, "debian:bookworm-slim");
	GOOD(name_check_image, "docker.io/library/debian:bookworm-slim");
	GOOD(name_check_image, "localhost:5000/debian");
	GOOD(name_check_image, "debian@sha256:"
			       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	BAD(name_check_image, "debian:bookworm\nRUN id");
	BAD(name_check_image, "debian:");
	BAD(name_check_image, "debian@sha256:abc");
	BAD(name_check_image, "debian bookworm");
}

static void packages(void)
{
	GOOD(name_check_package, "libssl-dev");
	GOOD(name_check_package, "g++");
	GOOD(name_check_package, "libstdc++6");
	BAD(name_check_package, "$(id)");
	BAD(name_check_package, "-x");
	BAD(name_check_package, "a");
	BAD(name_check_package, "Libssl");
	BAD(name_check_package, "a b");
}

static void variants(void)
{
	GOOD(name_check_variant, "wee");
	GOOD(name_check_variant, "wee-optimized-lto");
	BAD(name_check_variant, "..");
	BAD(name_check_variant, "a..b");
	BAD(name_check_variant, "a/b");
	BAD(name_check_variant, "-a");
	BAD(name_check_variant, "Wee");
}

static void flags(void)
{
	GOOD(name_check_flag, "--enable-optimizations");
	GOOD(name_check_flag, "--with-lto=full");
	GOOD(name_check_flag, "CFLAGS=-O2 -fno-omit-frame-pointer");
	GOOD(name_check_flag, "PROFILE_TASK=-m test --pgo");
	BAD(name_check_flag, "; rm -rf /");
	BAD(name_check_flag, "--x\ny");
	BAD(name_check_flag, "-x");
	BAD(name_check_flag, "--Enable");
	BAD(name_check_flag, "1X=2");
	GOOD(name_check_env_name, "LANG");
	BAD(name_check_env_name, "1LANG");
	BAD(name_check_env_name, "LA NG");
}

static void checksums_and_urls(void)
{
	GOOD(name_check_sha256,
	     "639e43243c620a308f968213df9e00f2f8f62332f7adbaa7a7eeb9783057c690");
	BAD(name_check_sha256,
	    "639E43243c620a308f968213df9e00f2f8f62332f7adbaa7a7eeb9783057c690");
	BAD(name_check_sha256, "639e");
	GOOD(name_check_url, "https://www.python.org/ftp/python/3.13.5/Python-3.13.5.tar.xz");
	BAD(name_check_url, "ftp://example/x");
	BAD(name_check_url, "https://x/$(id)");
	BAD(name_check_url, "https://x/a b");
	BAD(name_check_url, "https://x/'");
}

static void paths(void)
{
	GOOD(name_check_path, "generated");
	GOOD(name_check_path, "images/generated");
	GOOD(name_check_path, "3.13.5/wee/Dockerfile");
	GOOD(name_check_path, ".gitlab-ci.yml");
	BAD(name_check_path, "");
	BAD(name_check_path, "/etc/passwd");
	BAD(name_check_path, "../outside");
	BAD(name_check_path, "a/../../b");
	BAD(name_check_path, "a//b");
	BAD(name_check_path, "./a");
	BAD(name_check_path, "a/");
	BAD(name_check_path, "a b");
	BAD(name_check_path, "a\nb");
}

/* Free text (env and configure values, runner tags): what a reviewer
 * sees must be what is used, so no character that breaks a line, hides
 * or reorders text, and nothing that is not UTF-8. */
static void texts(void)
{
	GOOD(name_check_text, "plain text; $(not run) 'quoted'");
	GOOD(name_check_text, "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x90\x8d");
	BAD(name_check_text, "a\nb");
	BAD(name_check_text, "a\x7f" "b");
	BAD(name_check_text, "NEL \xc2\x85 here");
	BAD(name_check_text, "CSI \xc2\x9b" "2J");
	BAD(name_check_text, "LS \xe2\x80\xa8 here");
	BAD(name_check_text, "PS \xe2\x80\xa9 here");
	BAD(name_check_text, "RLO \xe2\x80\xae here");
	BAD(name_check_text, "RLI \xe2\x81\xa7 here");
	BAD(name_check_text, "ZWSP \xe2\x80\x8b here");
	BAD(name_check_text, "BOM \xef\xbb\xbf here");
	BAD(name_check_text, "ALM \xd8\x9c here");
	BAD(name_check_text, "stray \xff byte");
	BAD(name_check_text, "cut \xe2\x80");
	BAD(name_check_text, "overlong \xc0\xaf");
	BAD(name_check_text, "surrogate \xed\xa0\x80");
	BAD(name_check_text, "past U+10FFFF \xf4\x90\x80\x80");
	BAD(name_check_flag, "--with-x=\xe2\x80\xae" "evil");
	BAD(name_check_runner_tag, "");
	BAD(name_check_runner_tag, "  ");
	BAD(name_check_runner_tag, "docker\xe2\x80\xae");
	GOOD(name_check_runner_tag, "docker linux");
	GOOD(name_check_stage, "build");
	GOOD(name_check_stage, "Build Images");
	GOOD(name_check_stage, "images_3.x-amd64");
	GOOD(name_check_stage, ".pre");
	BAD(name_check_stage, "");
	BAD(name_check_stage, " ");
	BAD(name_check_stage, " build");
	BAD(name_check_stage, "build ");
	BAD(name_check_stage, "$STAGE");
	BAD(name_check_stage, "a\"b");
	BAD(name_check_stage, "build\xc2\xa0images");
	GOOD(name_check_runner_tag, "saas-linux-medium-amd64");
	GOOD(name_check_runner_tag, "k8s:pool/gpu_1.x");
	BAD(name_check_runner_tag, " docker");
	BAD(name_check_runner_tag, "docker ");
	BAD(name_check_runner_tag, "$RUNNER");
	BAD(name_check_runner_tag, "arm${X}");
	BAD(name_check_runner_tag, "a,b");
	BAD(name_check_runner_tag, "docker\xc2\xa0linux");
	BAD(name_check_runner_tag, "docker\tlinux");
	BAD(name_check_runner_tag, "caf\xc3\xa9");
	BAD(name_check_env_name, "$CI_REGISTRY_USER");
	ok(strstr(name_check_env_name("$CI_REGISTRY_USER"), "without the '$'") != NULL,
	   "a $NAME variable name is told to drop the '$'");
	ok(strstr(name_check_env_name("${HUB_TOKEN}"), "without the '$'") != NULL,
	   "a ${NAME} variable name is told to drop the '$'");
	ok(strstr(name_check_env_name("$(id)"), "without the '$'") == NULL,
	   "$(id) is not a variable name with a '$' in front");
}

int main(void)
{
	texts();
	paths();
	tags();
	repositories();
	images();
	packages();
	variants();
	flags();
	checksums_and_urls();
	return tap_done();
}
