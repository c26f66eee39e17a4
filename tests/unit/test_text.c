/* Quoting for each destination, and the unified diff. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "diff.h"
#include "quote.h"
#include "tap.h"

static const char *sh(const char *s)
{
	static buf b;
	buf_release(&b);
	buf_init(&b, 0);
	quote_sh(&b, s);
	return buf_str(&b);
}

static const char *docker(const char *s)
{
	static buf b;
	buf_release(&b);
	buf_init(&b, 0);
	quote_docker(&b, s);
	return buf_str(&b);
}

/* buf_printf: text and %s are appended without vsnprintf; the rest
 * goes through it; either way an output past the cap adds nothing. */
static void printing(void)
{
	buf b;
	buf_init(&b, 0);
	buf_printf(&b, "%s/%s/%s", "a", "", "Dockerfile");
	buf_printf(&b, " %s", getenv("MATRIXC_TEST_UNSET")); /* NULL */
	buf_printf(&b, " 100%% %s%u", "x", 7u);
	buf_printf(&b, "%s", "");
	buf_printf(&b, "%s", " end");
	is_str(buf_str(&b), "a//Dockerfile (null) 100% x7 end",
	       "printf: strings alone, NULL, %% and %u, empty");
	buf_release(&b);
	buf_init(&b, 10);
	buf_printf(&b, "%s-%s", "abc", "de");
	buf_printf(&b, "%s-%s", "fgh", "ijk");
	ok(!buf_ok(&b) && !strcmp(buf_str(&b), "abc-de"),
	   "printf of strings past the cap adds nothing and reports it");
	buf_release(&b);
	buf_init(&b, 10);
	buf_printf(&b, "%s-%d", "abc", 12);
	buf_printf(&b, "%s-%d", "fgh", 345);
	ok(!buf_ok(&b) && !strcmp(buf_str(&b), "abc-12"),
	   "printf through vsnprintf past the cap alike");
	buf_release(&b);
}

static void quoting(void)
{
	is_str(sh("plain"), "'plain'", "shell: plain word");
	is_str(sh("it's"), "'it'\\''s'", "shell: single quote");
	is_str(sh("$(rm -rf /)"), "'$(rm -rf /)'", "shell: command substitution inert");
	is_str(docker("a\"b\\c$d"), "\"a\\\"b\\\\c\\$d\"", "Dockerfile: \" \\ $ escaped");
	buf b;
	buf_init(&b, 0);
	quote_make(&b, "$(shell id)");
	is_str(buf_str(&b), "$$(shell id)", "make: $ doubled");
	buf_release(&b);
	buf_init(&b, 8);
	buf_puts(&b, "0123456789");
	ok(!buf_ok(&b), "a buffer past its cap reports overflow");
	buf_release(&b);
	buf_init(&b, 0);
	buf_trim(&b);
	ok(b.data == NULL && b.cap == 0, "trimming an empty buffer allocates nothing");
	buf_printf(&b, "%s-%d", "abc", 42);
	buf_trim(&b);
	ok(b.cap == b.len + 1 && !strcmp(buf_str(&b), "abc-42"),
	   "a trimmed buffer keeps its contents and its NUL, nothing more");
	buf_puts(&b, "!");
	is_str(buf_str(&b), "abc-42!", "and grows again");
	buf_release(&b);
	printing();
}

static const char *diff(const char *a, const char *b)
{
	static buf out;
	diff_budget budget = {100, 0};
	buf_release(&out);
	buf_init(&out, 0);
	diff_unified(&out, "a/f", a, a ? strlen(a) : 0, "b/f", b, b ? strlen(b) : 0,
		     &budget);
	return buf_str(&out);
}

static void diffs(void)
{
	is_str(diff("x\n", "x\n"), "", "equal texts give no diff");
	is_str(diff("a\nb\nc\n", "a\nB\nc\n"),
	       "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n",
	       "one changed line with context");
	is_str(diff(NULL, "new\n"), "--- /dev/null\n+++ b/f\n@@ -0,0 +1,1 @@\n+new\n",
	       "a missing file");
	is_str(diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\n3\n4\n5\n6\n7\n8\n9\nX\n"),
	       "--- a/f\n+++ b/f\n@@ -7,4 +7,4 @@\n 7\n 8\n 9\n-10\n+X\n",
	       "a change at the end keeps three lines before");
	is_str(diff("a", "b"),
	       "--- a/f\n+++ b/f\n@@ -1,1 +1,1 @@\n-a\n\\ No newline at end of file\n"
	       "+b\n\\ No newline at end of file\n",
	       "no final newline is shown");
	buf out;
	diff_budget budget = {4, 0};
	buf_init(&out, 0);
	const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n";
	const char *b = "x\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\ny\n";
	diff_unified(&out, "a", a, strlen(a), "b", b, strlen(b), &budget);
	is_str(buf_str(&out), "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n",
	       "the diff is cut at the cap, inside a hunk");
	ok(budget.left == 0 && budget.omitted == 10, "what was left out is counted");
	buf_reset(&out);
	diff_unified(&out, "a", NULL, 0, "b", b, strlen(b), &budget);
	ok(out.len == 0 && budget.omitted == 10 + 17,
	   "a new file under a spent budget is counted, not shown");
	buf_release(&out);
}

static void diagnostics(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	diag *d = diag_new(10);
	srcpos at = {"m.yaml", 2, 3};
	diag_error(d, at, "bad tag '%s'", "a\nm.yaml:1:1: error: forged\033[2J");
	diag_print(d, f, false);
	fclose(f);
	is_str(text, "m.yaml:2:3: error: bad tag 'a\\nm.yaml:1:1: error: "
		     "forged\\x1b[2J'\n",
	       "control bytes in a message are escaped, never echoed");
	diag_free(d);
	free(text);
}

/* what diag_print writes for one error at (line, col) of src, with the
 * message "x 'arg'" */
static char *printed(const char *src, unsigned line, unsigned col,
		     const char *arg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	diag *d = diag_new(10);
	diag_add_source(d, "m.yaml", src, strlen(src));
	diag_error(d, (srcpos){"m.yaml", line, col}, "x '%s'", arg);
	diag_print(d, f, false);
	fclose(f);
	diag_free(d);
	return text;
}

/* Trojan Source: bidirectional controls, the line and paragraph
 * separators, C1 and bytes that are not UTF-8 reorder, hide or break what
 * the terminal shows. Each is escaped in a message and shown as one '?'
 * in a quoted line, whose caret counts characters. */
static void diagnostics_unicode(void)
{
	char *t = printed("k: v\n", 1, 1,
			  "a\u202eb\u2028c\u2029d\u2066e\u200bf\xc2\x85" "g"
			  "\xc2\x9b" "h\xef\xbb\xbf" "i");
	is_str(t, "m.yaml:1:1: error: x 'a\\u202eb\\u2028c\\u2029d\\u2066e"
		  "\\u200bf\\u0085g\\u009bh\\ufeffi'\n"
		  "    1 | k: v\n      | ^\n",
	       "bidi, separators, invisible and C1 characters escaped in a message");
	free(t);
	t = printed("k: v\n", 1, 1, "a\xff" "b\xc3(c\xe2\x80" "d\xed\xa0\x80" "e\xc0\xaf");
	is_str(t, "m.yaml:1:1: error: x 'a\\xffb\\xc3(c\\xe2\\x80d"
		  "\\xed\\xa0\\x80e\\xc0\\xaf'\n    1 | k: v\n      | ^\n",
	       "bytes that are not UTF-8 escaped one by one in a message");
	free(t);
	t = printed("caf\xc3\xa9 \xe4\xb8\xad: x\n", 1, 1, "\xc3\xa9\xe4\xb8\xad");
	is_str(t, "m.yaml:1:1: error: x '\xc3\xa9\xe4\xb8\xad'\n"
		  "    1 | caf\xc3\xa9 \xe4\xb8\xad: x\n      | ^\n",
	       "other non-ASCII text is shown as it is");
	free(t);
	t = printed("a: \"\xe2\x80\xae" "b\xff\xc2\x85\" \xc3\xa9" "x: 1\n", 1, 12, "v");
	is_str(t, "m.yaml:1:12: error: x 'v'\n"
		  "    1 | a: \"?b??\" \xc3\xa9" "x: 1\n"
		  "      |            ^\n",
	       "a quoted line shows each unsafe character or stray byte as "
	       "one '?', and the caret counts characters");
	free(t);
}

/* the full optimal-string-alignment table (Levenshtein, plus a swap of
 * neighbours as one edit), to check diag_suggest's banded one */
static size_t naive_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[20][20];
	for (size_t i = 0; i <= la; i++)
		for (size_t j = 0; j <= lb; j++) {
			if (!i || !j) {
				d[i][j] = i + j;
				continue;
			}
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* "did you mean": a candidate within 1, 2 or 3 edits (by the word's
 * length), the first of the closest; computed in a band around the
 * diagonal, which must agree with the full table */
static void suggestions(void)
{
	const char *const keys[] = {"variants", "versions", "registries"};
	is_str(diag_suggest("varients", keys, 3), "variants", "a typo is suggested");
	is_str(diag_suggest("xyz", keys, 3), NULL, "nothing close: no suggestion");
	static const char *const flags[] = {"pgo", "lto", "pip"};
	is_str(diag_suggest("lot", flags, 3), "lto",
	       "two letters swapped count as one edit");
	unsigned seed = 1, bad = 0;
	char w[20], c[20];
	for (int t = 0; t < 20000; t++) {
		size_t lw = 0, lc = 0;
		seed = seed * 1103515245 + 12345;
		lw = (seed >> 16) % 12;
		seed = seed * 1103515245 + 12345;
		lc = (seed >> 16) % 12;
		for (size_t i = 0; i < lw; i++) {
			seed = seed * 1103515245 + 12345;
			w[i] = (char)('a' + (seed >> 16) % 3);
		}
		for (size_t i = 0; i < lc; i++) {
			seed = seed * 1103515245 + 12345;
			c[i] = (char)('a' + (seed >> 16) % 3);
		}
		w[lw] = c[lc] = '\0';
		size_t limit = lw < 4 ? 1 : lw < 8 ? 2 : 3;
		const char *cand[] = {c};
		const char *got = diag_suggest(w, cand, 1);
		bool want = naive_distance(w, c) <= limit;
		if ((got != NULL) != want && bad++ < 5)
			printf("# '%s' '%s': distance %zu, suggested: %s\n", w, c,
			       naive_distance(w, c), got ? "yes" : "no");
	}
	ok(bad == 0, "the banded distance agrees with the full table on 20000 "
		     "random pairs (%u differ)", bad);
}

/* The one UTF-8 decoder (diag.h), which names.h's text check uses too. */
static void utf8(void)
{
	static const struct {
		const char *bytes;
		size_t avail, len;
		uint32_t cp;
	} cases[] = {
	    {"a", 1, 1, 'a'},
	    {"\xc3\xa9", 2, 2, 0xe9},
	    {"\xe2\x80\xae", 3, 3, 0x202e},
	    {"\xf0\x9f\x90\x8d", 4, 4, 0x1f40d},
	    {"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff},
	    {"\xf4\x90\x80\x80", 4, 0, 0}, /* past U+10FFFF */
	    {"\xe2\x80\xae", 2, 0, 0},      /* cut by avail */
	    {"\xe2\x80", 3, 0, 0},           /* cut by the NUL */
	    {"\xc0\xaf", 2, 0, 0},           /* overlong */
	    {"\xe0\x80\xaf", 3, 0, 0},      /* overlong */
	    {"\xed\xa0\x80", 3, 0, 0},      /* surrogate */
	    {"\x80", 1, 0, 0},               /* stray continuation */
	    {"\xff", 1, 0, 0},
	};
	unsigned bad = 0;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		uint32_t cp = 0;
		size_t n = diag_utf8_char((const unsigned char *)cases[i].bytes,
					  cases[i].avail, &cp);
		if (n != cases[i].len || (n && cp != cases[i].cp))
			printf("# case %zu: length %zu, U+%04X\n", i, n,
			       (unsigned)cp);
		bad += n != cases[i].len || (n && cp != cases[i].cp);
	}
	ok(bad == 0, "utf8: code points, and 0 for cut, overlong, surrogate, "
		     "past U+10FFFF and stray bytes");
}

int main(void)
{
	utf8();
	quoting();
	diagnostics();
	diagnostics_unicode();
	suggestions();
	diffs();
	return tap_done();
}
