/* The did-you-mean distance: optimal string alignment (a swap of two
 * neighbouring characters is one edit), banded within k, and the
 * thresholds diag_suggest puts on it. */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "tap.h"

#define DIST(a, b, k, want)                                              \
	ok(diag_distance(a, b, k) == (want), "distance('%s', '%s', %d) is %d", \
	   a, b, k, want)

static void edits(void)
{
	DIST("", "", 1, 0);
	DIST("lto", "lto", 1, 0);
	/* swaps: one edit, also at either end and beside other edits */
	DIST("lot", "lto", 1, 1);
	DIST("olt", "lto", 2, 2);
	DIST("ab", "ba", 1, 1);
	DIST("variants", "varaints", 3, 1);
	DIST("pgo", "gpo", 1, 1);
	DIST("versoins", "versions", 3, 1);
	DIST("evrsions", "versions", 3, 1);
	DIST("versiosn", "versions", 3, 1);
	DIST("vresoins", "versions", 3, 2);
	DIST("varaintx", "variants", 3, 2);
	/* optimal string alignment edits no character twice: "ca" to
	 * "abc" is 3, not 2 (the swap "ac" then an insertion inside) */
	DIST("ca", "abc", 3, 3);
	/* insertions, deletions, substitutions */
	DIST("version", "versions", 2, 1);
	DIST("versions", "version", 2, 1);
	DIST("vrsions", "versions", 2, 1);
	DIST("versionsxx", "versions", 2, 2);
	DIST("xversion", "versions", 2, 2);
	DIST("kitten", "sitting", 3, 3);
	DIST("", "abc", 3, 3);
	DIST("abc", "", 3, 3);
	/* past k: k + 1, also when the lengths alone say so */
	DIST("kitten", "sitting", 2, 3);
	DIST("abc", "", 2, 3);
	DIST("a", "abcd", 2, 3);
	DIST("abcd", "dcba", 2, 3);
	DIST("abcd", "dcba", 0, 1);
	DIST("abc", "abd", 0, 1);
	DIST("abc", "abc", 0, 0);
}

static void too_long(void)
{
	char a[DIAG_DISTANCE_MAX + 2], b[DIAG_DISTANCE_MAX + 2];
	memset(a, 'x', sizeof a - 1);
	a[sizeof a - 1] = '\0';
	memcpy(b, a, sizeof b);
	ok(diag_distance(a, b, 3) == 4, "words over %d bytes are never close",
	   DIAG_DISTANCE_MAX);
	a[DIAG_DISTANCE_MAX] = '\0';
	b[DIAG_DISTANCE_MAX] = '\0';
	b[10] = 'y';
	b[DIAG_DISTANCE_MAX - 1] = 'z';
	ok(diag_distance(a, b, 3) == 2, "words of %d bytes are compared",
	   DIAG_DISTANCE_MAX);
}

/* The whole matrix, for comparing the band with. */
static size_t reference(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[DIAG_DISTANCE_MAX + 1][DIAG_DISTANCE_MAX + 1];
	for (size_t i = 0; i <= la; i++)
		for (size_t j = 0; j <= lb; j++) {
			if (i == 0 || j == 0) {
				d[i][j] = i + j;
				continue;
			}
			size_t cost = a[i - 1] != b[j - 1];
			size_t m = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < m)
				m = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < m)
				m = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < m)
				m = d[i - 2][j - 2] + 1;
			d[i][j] = m;
		}
	return d[la][lb];
}

/* Random words over a small alphabet (so that swaps and matches are
 * common), and edits of them, against the whole matrix for every k. */
static void against_reference(void)
{
	unsigned seed = 12345, bad = 0, runs = 0;
	char a[24], b[24];
	for (int n = 0; n < 20000; n++) {
		seed = seed * 1103515245u + 12345u;
		size_t la = (seed >> 16) % 12;
		for (size_t i = 0; i < la; i++) {
			seed = seed * 1103515245u + 12345u;
			a[i] = (char)('a' + (seed >> 16) % 3);
		}
		a[la] = '\0';
		memcpy(b, a, la + 1);
		seed = seed * 1103515245u + 12345u;
		for (unsigned e = (seed >> 16) % 5; e > 0; e--) {
			size_t lb = strlen(b);
			seed = seed * 1103515245u + 12345u;
			size_t at = lb ? (seed >> 16) % lb : 0;
			switch ((seed >> 8) % 4) {
			case 0: /* swap */
				if (at + 1 < lb) {
					char t = b[at];
					b[at] = b[at + 1];
					b[at + 1] = t;
				}
				break;
			case 1: /* insert */
				if (lb < 20) {
					memmove(b + at + 1, b + at, lb - at + 1);
					b[at] = 'c';
				}
				break;
			case 2: /* delete */
				if (lb)
					memmove(b + at, b + at + 1, lb - at);
				break;
			default: /* substitute */
				if (lb)
					b[at] = 'd';
			}
		}
		size_t want = reference(a, b);
		for (size_t k = 0; k <= 5; k++, runs++) {
			size_t got = diag_distance(a, b, k);
			if (got != (want <= k ? want : k + 1) && bad++ < 5)
				printf("# '%s' '%s' k=%zu: got %zu, want %zu\n",
				       a, b, k, got, want);
		}
	}
	ok(bad == 0, "%u random pairs agree with the whole matrix", runs);
}

#define SUGGEST(w, c, want)                                              \
	is_str(diag_suggest(w, (const char *const[]){c}, 1), want,       \
	       "suggest '" w "' for '" c "'")

/* Words of 1 to 3 bytes allow 1 edit, 4 to 7 allow 2, 8 and more 3. */
static void thresholds(void)
{
	SUGGEST("lot", "lto", "lto");
	SUGGEST("ab", "ba", "ba");
	SUGGEST("pgo", "pgx", "pgx");
	SUGGEST("pgo", "pxx", NULL);
	SUGGEST("abc", "cba", NULL);
	SUGGEST("base", "bsae", "bsae");
	SUGGEST("base", "bxxe", "bxxe");
	SUGGEST("base", "bxxx", NULL);
	SUGGEST("bsea", "base", "base");
	SUGGEST("variant", "avriatn", "avriatn");
	SUGGEST("variant", "vxxxant", NULL);
	SUGGEST("variants", "vxxxants", "vxxxants");
	SUGGEST("variants", "vxxxxnts", NULL);
	SUGGEST("platforms", "paltfomrs", "paltfomrs");
	SUGGEST("platforms", "paltfomr", "paltfomr");
	SUGGEST("platforms", "pxxxxorms", NULL);
	is_str(diag_suggest("versoin", (const char *const[]){"variants",
			    "version", "versions"}, 3),
	       "version", "the closest candidate wins");
	is_str(diag_suggest("lto", (const char *const[]){"pgo", "lot", "lto"},
			    3),
	       "lto", "an exact match wins over a swap");
	is_str(diag_suggest("x", NULL, 0), NULL, "no candidates, nothing");
}

int main(void)
{
	edits();
	too_long();
	against_reference();
	thresholds();
	return tap_done();
}
