/* Version parsing and ordering. */
#include "tap.h"
#include "version.h"

static int cmp(const char *a, const char *b)
{
	pyversion va, vb;
	version_parse(a, &va);
	version_parse(b, &vb);
	int c = version_cmp(&va, &vb);
	return c < 0 ? -1 : c > 0;
}

static void parses(void)
{
	static const struct {
		const char *s;
		pyversion v;
	} good[] = {
		{"3.13", {3, 13, 0, false, PRE_FINAL, 0}},
		{"3.13.5", {3, 13, 5, true, PRE_FINAL, 0}},
		{"2.7.18", {2, 7, 18, true, PRE_FINAL, 0}},
		{"3.15.0b4", {3, 15, 0, true, PRE_BETA, 4}},
		{"3.14.0rc2", {3, 14, 0, true, PRE_RC, 2}},
		{"3.15.0a1", {3, 15, 0, true, PRE_ALPHA, 1}},
		{"3.10", {3, 10, 0, false, PRE_FINAL, 0}},
	};
	static const char *const bad[] = {"", "3", "3.", "3.13.", "03.13",
					  "3.13.5.1", "3.13.5c1", "v3.13",
					  "3.13-rc", "3.13.05", "0.1", "3.x",
					  "3.13 ", "99999.1"};
	pyversion v;
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		const pyversion *w = &good[i].v;
		ok(version_parse(good[i].s, &v) && v.major == w->major &&
		   v.minor == w->minor && v.patch == w->patch &&
		   v.has_patch == w->has_patch && v.pre == w->pre &&
		   v.pre_n == w->pre_n,
		   "'%s' parses into its parts", good[i].s);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ok(!version_parse(bad[i], &v), "'%s' is rejected", bad[i]);
}

static void specs(void)
{
	pyversion v;
	bool pre;
	ok(version_parse_spec("3.15-rc", &v, &pre) && pre && !v.has_patch,
	   "3.15-rc is a series accepting pre-releases");
	ok(version_parse_spec("3.13", &v, &pre) && !pre, "3.13 is a series");
	ok(version_parse_spec("3.6.3", &v, &pre) && v.has_patch, "3.6.3 is exact");
	ok(!version_parse_spec("3.6.3-rc", &v, &pre), "3.6.3-rc is rejected");
}

static void orders(void)
{
	ok(cmp("3.13.0a1", "3.13.0b1") < 0, "alpha < beta");
	ok(cmp("3.13.0b4", "3.13.0rc1") < 0, "beta < rc");
	ok(cmp("3.13.0rc2", "3.13.0") < 0, "rc < final");
	ok(cmp("3.13.0", "3.13.1") < 0, "patch order");
	ok(cmp("3.9.25", "3.10.0") < 0, "3.9 < 3.10 (numeric, not text)");
	ok(cmp("2.7.18", "3.0.1") < 0, "major order");
	ok(cmp("3.13.5", "3.13.5") == 0, "equal");
	ok(cmp("3.13.0b10", "3.13.0b9") > 0, "b10 > b9");
}

static void series(void)
{
	pyversion v, s;
	char out[32];
	version_parse("3.13.5", &v);
	version_parse("3.13", &s);
	ok(version_in_series(&v, &s), "3.13.5 is in 3.13");
	version_parse("3.1", &s);
	ok(!version_in_series(&v, &s), "3.13.5 is not in 3.1");
	version_series(&v, out, sizeof out);
	is_str(out, "3.13", "series of 3.13.5");
}

static void pres(void)
{
	static const char *const v[][2] = {{"3.15.0b4", "b4"},
					   {"3.14.0rc2", "rc2"},
					   {"3.15.0a1", "a1"},
					   {"3.13.5", ""},
					   {"3.13", ""}};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		pyversion pv;
		char out[16];
		version_parse(v[i][0], &pv);
		version_pre(&pv, out, sizeof out);
		char title[64];
		snprintf(title, sizeof title, "the pre-release part of %s",
			 v[i][0]);
		is_str(out, v[i][1], title);
	}
}

int main(void)
{
	pres();
	parses();
	specs();
	orders();
	series();
	return tap_done();
}
