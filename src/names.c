/* names.c - strict grammars for values that reach an output.
 *
 * Each checker is a small hand-written recogniser for one grammar, written
 * against Docker's reference grammar (distribution/reference) and Debian
 * policy (section 5.6.1, package names). Anything they accept can be
 * written into a Dockerfile, a Makefile or a shell line without escaping.
 */
#include "names.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"

static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alnum_lower(char c) { return is_lower(c) || is_digit(c); }
static bool is_alnum(char c) { return is_lower(c) || is_upper(c) || is_digit(c); }

/* text -> UTF-8 without control characters: C0, DEL, C1 (NEL among them),
 * the line and paragraph separators, and the bidirectional and invisible
 * formatting characters, which make a value read differently from what
 * it is (in a diff, an editor, a terminal) */
const char *name_check_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);
	while (p < end) {
		uint32_t c = 0;
		size_t n = diag_utf8_char(p, (size_t)(end - p), &c);
		if (n == 0)
			return "text must be UTF-8";
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 ||
		    c == 0x2029)
			return "control characters (such as a newline) are not allowed";
		if (c == 0x61c || (c >= 0x200b && c <= 0x200f) ||
		    (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) ||
		    c == 0xfeff)
			return "invisible and bidirectional formatting characters "
			       "(such as U+202E) are not allowed";
		p += n;
	}
	return NULL;
}

/* tag -> [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127} */
const char *name_check_tag(const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return "a tag cannot be empty";
	if (n > 128)
		return "a tag is at most 128 characters";
	if (!is_alnum(s[0]) && s[0] != '_')
		return "a tag must start with a letter, digit or '_'";
	for (size_t i = 1; i < n; i++)
		if (!is_alnum(s[i]) && !strchr("_.-", s[i]))
			return "a tag may contain only letters, digits, '_', '.' and '-'";
	return NULL;
}

/* component -> [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static const char *path_component(const char *p, const char *end)
{
	if (p == end || !is_alnum_lower(*p))
		return NULL;
	while (p < end) {
		while (p < end && is_alnum_lower(*p))
			p++;
		if (p == end)
			break;
		const char *sep = p;
		if (*p == '.')
			p++;
		else if (*p == '_')
			p += (p + 1 < end && p[1] == '_') ? 2 : 1;
		else if (*p == '-')
			while (p < end && *p == '-')
				p++;
		else
			return NULL;
		if (p == end || !is_alnum_lower(*p) || p == sep)
			return NULL;
	}
	return p;
}

/* host -> label ("." label)* (":" port)?, label -> [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?,
 * port 1 to 65535 */
static bool host(const char *p, const char *end)
{
	const char *colon = memchr(p, ':', (size_t)(end - p));
	const char *hend = colon ? colon : end;
	if (p == hend)
		return false;
	bool label_start = true;
	for (const char *q = p; q < hend; q++) {
		if (*q == '.') {
			if (label_start || q[-1] == '-')
				return false;
			label_start = true;
			continue;
		}
		if (!is_alnum(*q) && !(*q == '-' && !label_start))
			return false;
		label_start = false;
	}
	if (label_start || hend[-1] == '-')
		return false;
	if (!colon)
		return true;
	if (colon + 1 == end || end - colon > 6)
		return false;
	long port = 0;
	for (const char *q = colon + 1; q < end; q++) {
		if (!is_digit(*q))
			return false;
		port = port * 10 + (*q - '0');
	}
	return port >= 1 && port <= 65535; /* a TCP port */
}

/* A first component is a host when it has '.' or ':' or is "localhost". */
static bool looks_like_host(const char *p, const char *end)
{
	size_t n = (size_t)(end - p);
	return memchr(p, '.', n) || memchr(p, ':', n) ||
	       (n == 9 && memcmp(p, "localhost", 9) == 0);
}

/* repository -> (host "/")? component ("/" component)* */
const char *name_check_repository(const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return "a repository name cannot be empty";
	if (n > 255)
		return "a repository name is at most 255 characters";
	const char *p = s, *end = s + n;
	const char *slash = memchr(p, '/', n);
	if (slash && looks_like_host(p, slash)) {
		if (!host(p, slash))
			return "invalid registry host name (host or "
			       "host:port, the port 1 to 65535)";
		p = slash + 1;
	}
	for (;;) {
		const char *cend = memchr(p, '/', (size_t)(end - p));
		if (!cend)
			cend = end;
		if (path_component(p, cend) != cend)
			return "path components must be lowercase letters and "
			       "digits separated by '.', '_', '__' or '-'";
		if (cend == end)
			return NULL;
		p = cend + 1;
	}
}

const char *name_login_host(const char *s, size_t *len)
{
	const char *slash = strchr(s, '/');
	if (slash && looks_like_host(s, slash)) {
		*len = (size_t)(slash - s);
		return s;
	}
	*len = strlen("docker.io");
	return "docker.io";
}

/* image -> repository (":" tag)? ("@sha256:" hex64)? */
const char *name_check_image(const char *s)
{
	char repo[256];
	const char *digest = strchr(s, '@');
	size_t n = digest ? (size_t)(digest - s) : strlen(s);
	if (digest && (strncmp(digest, "@sha256:", 8) != 0 ||
		       name_check_sha256(digest + 8)))
		return "a digest must be '@sha256:' and 64 lowercase hex digits";
	if (n >= sizeof repo)
		return "an image reference is at most 255 characters";
	memcpy(repo, s, n);
	repo[n] = '\0';
	char *colon = strrchr(repo, ':');
	char *slash = strrchr(repo, '/');
	if (colon && (!slash || colon > slash)) {
		*colon = '\0';
		const char *why = name_check_tag(colon + 1);
		if (why)
			return why;
	}
	return name_check_repository(repo);
}

/* package -> [a-z0-9][a-z0-9+.-]+ (Debian policy 5.6.1) */
const char *name_check_package(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 100 || !is_alnum_lower(s[0]))
		return "a Debian package name is 2 or more of [a-z0-9+.-], "
		       "starting with a letter or digit";
	for (size_t i = 1; i < n; i++)
		if (!is_alnum_lower(s[i]) && !strchr("+.-", s[i]))
			return "a Debian package name may contain only [a-z0-9+.-]";
	return NULL;
}

/* variant -> [a-z0-9] ([a-z0-9.-]* [a-z0-9])?, no "..", at most 64 */
const char *name_check_variant(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return "a variant name is 1 to 64 characters";
	if (!is_alnum_lower(s[0]) || !is_alnum_lower(s[n - 1]))
		return "a variant name must start and end with a lowercase letter or digit";
	for (size_t i = 0; i < n; i++)
		if (!is_alnum_lower(s[i]) && s[i] != '-' && s[i] != '.')
			return "a variant name may contain only [a-z0-9.-]";
	if (strstr(s, ".."))
		return "a variant name cannot contain '..'";
	return NULL;
}

static const char *env_name(const char *s);

/* env name -> [A-Za-z_][A-Za-z0-9_]*; "$NAME" and "${NAME}" are told to
 * drop the '$' (the value is the name of a variable, not its value) */
const char *name_check_env_name(const char *s)
{
	const char *why = env_name(s);
	if (!why || s[0] != '$')
		return why;
	size_t n = strlen(s);
	char inner[130];
	bool braced = s[1] == '{' && n > 3 && s[n - 1] == '}';
	size_t len = braced ? n - 3 : n - 1;
	if (len == 0 || len >= sizeof inner)
		return why;
	memcpy(inner, s + (braced ? 2 : 1), len);
	inner[len] = '\0';
	return env_name(inner) ? why
			       : "write the variable's name without the '$'";
}

static const char *env_name(const char *s)
{
	if (!*s || is_digit(s[0]))
		return "a variable name must start with a letter or '_'";
	for (const char *p = s; *p; p++)
		if (!is_alnum(*p) && *p != '_')
			return "a variable name may contain only [A-Za-z0-9_]";
	if (strlen(s) > 128)
		return "a variable name is at most 128 characters";
	return NULL;
}

/* flag -> "--" [a-z0-9] [a-z0-9-]* ("=" text)? | env-name "=" text */
const char *name_check_flag(const char *s)
{
	const char *why = name_check_text(s);
	if (why)
		return why;
	const char *eq = strchr(s, '=');
	size_t n = eq ? (size_t)(eq - s) : strlen(s);
	if (n > 2 && s[0] == '-' && s[1] == '-' && is_alnum_lower(s[2])) {
		for (size_t i = 3; i < n; i++)
			if (!is_alnum_lower(s[i]) && s[i] != '-')
				return "an option name may contain only [a-z0-9-]";
		return NULL;
	}
	if (eq && n > 0) {
		char name[129];
		if (n >= sizeof name)
			return "a variable name is at most 128 characters";
		memcpy(name, s, n);
		name[n] = '\0';
		if (!name_check_env_name(name))
			return NULL;
	}
	return "a flag must be '--option[=value]' or 'NAME=value'";
}

/* runner tag -> [!-~] ([ -~]* [!-~])?, without '$' or ',': GitLab wants
 * a string (an empty one would be written as a YAML null, a blank one
 * matches no runner); it expands variables in tags; a runner's tags are
 * given as a comma-separated list, so none holds a ','; and a space at
 * either end, a no-break space or any other character that looks like
 * another (or like nothing) makes a tag that reads as a runner's but is
 * not */
const char *name_check_runner_tag(const char *s)
{
	size_t n = strlen(s);
	if (s[strspn(s, " ")] == '\0')
		return "a runner tag cannot be empty or blank";
	if (s[0] == ' ' || s[n - 1] == ' ')
		return "a runner tag cannot start or end with a space";
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '$')
			return "a runner tag cannot contain '$' (GitLab expands "
			       "variables in tags)";
		if (s[i] == ',')
			return "a runner tag cannot contain ',' (a runner's tags "
			       "are a comma-separated list)";
		if (s[i] < ' ' || s[i] > '~')
			return "a runner tag may contain only printable ASCII "
			       "characters and spaces (no no-break space, no "
			       "control or invisible character)";
	}
	return NULL;
}

/* stage -> [A-Za-z0-9_.-] ([A-Za-z0-9_. -]* [A-Za-z0-9_.-])?. GitLab
 * takes any non-empty string as a stage name; a job's stage must equal,
 * byte for byte, an entry of the root file's `stages:` when the file is
 * included, so this grammar keeps to names that read as what they are:
 * no space at either end, no quotes, '$' or look-alike characters. */
const char *name_check_stage(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || s[strspn(s, " ")] == '\0')
		return "a stage name cannot be empty or blank";
	if (s[0] == ' ' || s[n - 1] == ' ')
		return "a stage name cannot start or end with a space";
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && !strchr("_.- ", s[i]))
			return "a stage name may contain only letters, digits, "
			       "'_', '.', '-' and spaces";
	return NULL;
}

/* project -> group/name or group/subgroup/name: segments of
 * [A-Za-z0-9_.-] that start with a letter, digit or '_' and do not end
 * in '.'; no '"' or '$', so that it stands quoted in a rules:if
 * expression */
const char *name_check_project(const char *s)
{
	size_t segments = 0;
	if (strlen(s) > 255)
		return "longer than 255 characters";
	while (*s) {
		size_t n = strcspn(s, "/");
		if (!n)
			return "it has an empty segment (a leading, trailing or "
			       "double '/')";
		if (!is_alnum(*s) && *s != '_')
			return "a segment must start with a letter, a digit or '_'";
		for (size_t i = 0; i < n; i++)
			if (!is_alnum(s[i]) && !strchr("_.-", s[i]))
				return "a segment may contain only letters, digits, "
				       "'_', '.' and '-'";
		if (s[n - 1] == '.')
			return "a segment must not end in '.'";
		segments++;
		s += n;
		if (*s == '/' && !*++s)
			return "it has an empty segment (a leading, trailing or "
			       "double '/')";
	}
	if (segments < 2)
		return "it must name a group and a project (group/name)";
	return NULL;
}

const char *name_check_path(const char *s)
{
	if (!*s || *s == '/')
		return "a path must be relative, inside the repository";
	if (strlen(s) > 1024)
		return "a path is at most 1024 characters";
	for (;;) {
		size_t len = strcspn(s, "/");
		if (len == 0 || (len == 1 && s[0] == '.') ||
		    (len == 2 && s[0] == '.' && s[1] == '.'))
			return "a path cannot have empty, '.' or '..' "
			       "components (it must stay inside the repository)";
		for (size_t i = 0; i < len; i++)
			if (!is_alnum(s[i]) && !strchr("_.-", s[i]))
				return "a path may contain only letters, digits, "
				       "'_', '.', '-' and '/'";
		if (!s[len])
			return NULL;
		s += len + 1;
	}
}

const char *name_check_sha256(const char *s)
{
	if (strlen(s) != 64)
		return "a sha256 is 64 lowercase hex digits";
	for (const char *p = s; *p; p++)
		if (!is_digit(*p) && !(*p >= 'a' && *p <= 'f'))
			return "a sha256 is 64 lowercase hex digits";
	return NULL;
}

/* url -> ("https://" | "http://") [!-~ except quotes, backslash, $ and `]+ */
const char *name_check_url(const char *s)
{
	const char *rest = NULL;
	if (strncmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		rest = s + 7;
	if (!rest || !*rest)
		return "a URL must start with https:// or http://";
	if (strlen(s) > 2048)
		return "a URL is at most 2048 characters";
	for (const char *p = rest; *p; p++)
		if (*p <= ' ' || *p > '~' || strchr("\"'\\$`<>{}|^", *p))
			return "a URL may contain only printable characters, "
			       "without quotes, spaces, '\\', '$' or '`'";
	return NULL;
}
