/* version.c - CPython version numbers. */
#include "version.h"

#include <stdio.h>
#include <string.h>

/* number -> DIGIT+ (no leading zeros, at most 4 digits) */
static const char *number(const char *p, unsigned *out)
{
	if (*p < '0' || *p > '9')
		return NULL;
	if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return NULL;
	unsigned n = 0, digits = 0;
	while (*p >= '0' && *p <= '9') {
		if (++digits > 4)
			return NULL;
		n = n * 10 + (unsigned)(*p++ - '0');
	}
	*out = n;
	return p;
}

/* pre -> ("a" | "b" | "rc") number */
static const char *pre_release(const char *p, pyversion *v)
{
	if (p[0] == 'a') {
		v->pre = PRE_ALPHA;
		p += 1;
	} else if (p[0] == 'b') {
		v->pre = PRE_BETA;
		p += 1;
	} else if (p[0] == 'r' && p[1] == 'c') {
		v->pre = PRE_RC;
		p += 2;
	} else {
		return NULL;
	}
	return number(p, &v->pre_n);
}

/* version -> number "." number ("." number pre?)? */
static const char *parse_prefix(const char *s, pyversion *v)
{
	memset(v, 0, sizeof *v);
	v->pre = PRE_FINAL;
	const char *p = number(s, &v->major);
	if (!p || *p++ != '.')
		return NULL;
	p = number(p, &v->minor);
	if (!p || *p != '.')
		return p;
	p = number(p + 1, &v->patch);
	if (!p)
		return NULL;
	v->has_patch = true;
	if (*p == 'a' || *p == 'b' || *p == 'r')
		p = pre_release(p, v);
	return p;
}

bool version_parse(const char *s, pyversion *v)
{
	const char *p = parse_prefix(s, v);
	return p && *p == '\0' && v->major >= 1;
}

bool version_parse_spec(const char *s, pyversion *v, bool *prerelease_ok)
{
	*prerelease_ok = false;
	const char *p = parse_prefix(s, v);
	if (!p || v->major < 1)
		return false;
	if (*p == '\0')
		return true;
	if (!v->has_patch && strcmp(p, "-rc") == 0) {
		*prerelease_ok = true;
		return true;
	}
	return false;
}

static int cmp_u(unsigned a, unsigned b)
{
	return a < b ? -1 : a > b;
}

int version_cmp(const pyversion *a, const pyversion *b)
{
	int c = cmp_u(a->major, b->major);
	if (!c)
		c = cmp_u(a->minor, b->minor);
	if (!c)
		c = cmp_u(a->patch, b->patch);
	if (!c)
		c = cmp_u(a->pre, b->pre);
	if (!c)
		c = cmp_u(a->pre_n, b->pre_n);
	return c;
}

bool version_in_series(const pyversion *v, const pyversion *s)
{
	return v->major == s->major && v->minor == s->minor;
}

static const char *pre_name(pre_kind k)
{
	return k == PRE_ALPHA ? "a" : k == PRE_BETA ? "b" : k == PRE_RC ? "rc" : "";
}

void version_pre(const pyversion *v, char *out, unsigned size)
{
	if (v->pre == PRE_FINAL) {
		if (size)
			out[0] = '\0';
	} else
		snprintf(out, size, "%s%u", pre_name(v->pre), v->pre_n);
}

void version_series(const pyversion *v, char *out, unsigned size)
{
	snprintf(out, size, "%u.%u", v->major, v->minor);
}
