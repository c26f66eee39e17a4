/* The lock file's entries: found by key whatever order they were read or
 * set in, replaced in place, and written sorted. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lock.h"
#include "tap.h"

#define SHA(c) "000000000000000000000000000000000000000000000000000000000000000" c

static const char unsorted[] =
    "{\"matrixc\": 1, \"releases\": {\n"
    "\"3.13\": {\"version\": \"3.13.5\", \"url\": "
    "\"https://www.python.org/ftp/python/3.13.5/Python-3.13.5.tar.xz\", "
    "\"sha256\": \"" SHA("1") "\"},\n"
    "\"3.12\": {\"version\": \"3.12.11\", \"url\": "
    "\"https://www.python.org/ftp/python/3.12.11/Python-3.12.11.tar.xz\", "
    "\"sha256\": \"" SHA("2") "\"},\n"
    "\"3.15-rc\": {\"version\": \"3.15.0b4\", \"url\": "
    "\"https://www.python.org/ftp/python/3.15.0/Python-3.15.0b4.tar.xz\", "
    "\"sha256\": \"" SHA("3") "\"},\n"
    "\"2.7\": {\"version\": \"2.7.18\", \"url\": "
    "\"https://www.python.org/ftp/python/2.7.18/Python-2.7.18.tar.xz\", "
    "\"sha256\": \"" SHA("4") "\"}\n"
    "}}";

static const char *version_of(const lockfile *lf, const char *key)
{
	const lock_entry *e = lock_find(lf, key);
	return e ? e->version.s : NULL;
}

static bool sorted(const lockfile *lf)
{
	for (size_t i = 1; i < lf->n; i++)
		if (strcmp(lf->v[i - 1].key.s, lf->v[i].key.s) >= 0)
			return false;
	return true;
}

static void parsed_out_of_order(arena *a, diag *d)
{
	lockfile lf = {.file = "l.json"};
	ok(lock_parse(a, d, "l.json", unsorted, strlen(unsorted), &lf),
	   "a lock file with its keys out of order parses");
	ok(lf.n == 4 && sorted(&lf), "its entries are kept sorted");
	is_str(version_of(&lf, "3.13"), "3.13.5", "3.13 is found");
	is_str(version_of(&lf, "3.12"), "3.12.11", "3.12 is found");
	is_str(version_of(&lf, "3.15-rc"), "3.15.0b4", "3.15-rc is found");
	is_str(version_of(&lf, "2.7"), "2.7.18", "2.7 is found");
	ok(!lock_find(&lf, "3.14") && !lock_find(&lf, "") &&
	       !lock_find(&lf, "3.15"),
	   "keys not in the file are not found");
	const lock_entry *e = lock_find(&lf, "3.12");
	ok(e && e->key.at.line == 3 && e->sha256.at.line == 3,
	   "an entry keeps the position it was read at (line %u)",
	   e ? e->key.at.line : 0);
}

static void set_in_any_order(arena *a)
{
	lockfile lf = {.file = "l.json"};
	char key[32], ver[32];
	/* descending, so that each one goes in front of all the others */
	for (int i = 299; i >= 0; i--) {
		snprintf(key, sizeof key, "3.%d", i);
		snprintf(ver, sizeof ver, "3.%d.0", i);
		lock_set(a, &lf, key, ver, "https://example.org/x.tar.xz",
			 SHA("5"));
	}
	ok(lf.n == 300 && sorted(&lf), "300 keys set in descending order: "
	   "300 entries, sorted");
	bool all = true;
	for (int i = 0; i < 300; i++) {
		snprintf(key, sizeof key, "3.%d", i);
		snprintf(ver, sizeof ver, "3.%d.0", i);
		const char *got = version_of(&lf, key);
		all = all && got && strcmp(got, ver) == 0;
	}
	ok(all, "every one is found with its own version");
	lock_entry *e = lock_set(a, &lf, "3.150", "3.150.7", "u", SHA("6"));
	ok(lf.n == 300 && e == lock_find(&lf, "3.150") &&
	       strcmp(e->version.s, "3.150.7") == 0,
	   "setting a key again replaces its entry and returns it");
	is_str(version_of(&lf, "3.149"), "3.149.0", "its neighbours are intact");
	is_str(version_of(&lf, "3.151"), "3.151.0", "on both sides");
}

static void set_between(arena *a, diag *d)
{
	lockfile lf = {.file = "l.json"};
	lock_parse(a, d, "l.json", unsorted, strlen(unsorted), &lf);
	lock_set(a, &lf, "3.14", "3.14.2", "https://example.org/3.14.tar.xz",
		 SHA("7"));
	ok(lf.n == 5 && sorted(&lf) &&
	       strcmp(lf.v[3].key.s, "3.14") == 0,
	   "a key set between two others goes between them");
	buf out;
	buf_init(&out, 0);
	ok(lock_format(&lf, &out), "the lock file formats");
	const char *t = buf_str(&out);
	const char *k27 = strstr(t, "\"2.7\""), *k312 = strstr(t, "\"3.12\""),
		   *k313 = strstr(t, "\"3.13\""), *k314 = strstr(t, "\"3.14\""),
		   *k315 = strstr(t, "\"3.15-rc\"");
	/* jansson sorts the keys itself (JSON_SORT_KEYS): this is about the
	 * output, not the order of lf.v */
	ok(k27 && k312 && k313 && k314 && k315 && k27 < k312 && k312 < k313 &&
	       k313 < k314 && k314 < k315,
	   "its releases are written in key order, the new one included");
	buf_release(&out);
}

/* A source URL: the path's segments and the file name (lock.h). */
static void source_urls(void)
{
	static const struct {
		const char *url, *version;
		bool good;
	} cases[] = {
	    {"https://www.python.org/ftp/python/3.13.5/Python-3.13.5.tar.xz",
	     "3.13.5", true},
	    {"https://mirror.internal.example/cpython/Python-3.8.20.tgz", "3.8.20",
	     true},
	    {"http://m.example:8080/Python-2.7.3.tar.bz2?x=1", "2.7.3", true},
	    {"https://www.python.org/ftp/python/3.15.0/Python-3.15.0b4.tar.xz",
	     NULL, true},
	    {"https://m.example/a/../Python-3.13.5.tar.xz", "3.13.5", false},
	    {"https://m.example/a/./Python-3.13.5.tar.xz", "3.13.5", false},
	    {"https://m.example/%2e%2e/Python-3.13.5.tar.xz", "3.13.5", false},
	    {"https://m.example/a/..", NULL, false},
	    {"https://m.example/--checkpoint-action=exec=id", NULL, false},
	    {"https://m.example/Python-3.13.5.tar.xz.sh", NULL, false},
	    {"https://m.example/Python-3.13.tar.xz", NULL, false},
	    {"https://m.example/Python-.tar.xz", NULL, false},
	    {"https://m.example/Python-3.13.4.tar.xz", "3.13.5", false},
	    {"https://m.example/", NULL, false},
	    {"https://m.example", NULL, false},
	    {"ftp://m.example/Python-3.13.5.tar.xz", NULL, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *why =
		    lock_check_source_url(cases[i].url, cases[i].version);
		ok((why == NULL) == cases[i].good, "%s %s%s%s", cases[i].url,
		   cases[i].good ? "is accepted" : "is refused",
		   why ? ": " : "", why ? why : "");
	}
}

#define DIGEST(c) "sha256:" SHA(c)

static const char with_bases[] =
    "{\"bases\": {\n"
    "\"debian:trixie-slim\": {\"digest\": \"" DIGEST("a") "\"},\n"
    "\"debian:bookworm-slim\": {\"digest\": \"" DIGEST("b") "\"}\n"
    "}, \"matrixc\": 1, \"releases\": {}}";

/* Base digests: read, found, replaced, written sorted after releases'
 * keys in the object's key order ("bases" < "matrixc" < "releases"). */
static void bases(arena *a, diag *d)
{
	lockfile lf = {.file = "l.json"};
	ok(lock_parse(a, d, "l.json", with_bases, strlen(with_bases), &lf),
	   "a lock file with bases parses");
	const lock_base *b = lock_find_base(&lf, "debian:bookworm-slim");
	ok(lf.nbases == 2 && b && !strcmp(b->digest.s, DIGEST("b")),
	   "a base is found with its digest");
	ok(b && b->image.at.line == 3 && b->digest.at.line == 3 &&
	       b->digest.at.col > 20,
	   "a base keeps its position (%u:%u)", b ? b->digest.at.line : 0,
	   b ? b->digest.at.col : 0);
	ok(!lock_find_base(&lf, "debian:bullseye-slim"), "others are not");
	lock_set_base(a, &lf, "debian:bullseye-slim", DIGEST("c"));
	lock_set_base(a, &lf, "debian:trixie-slim", DIGEST("d"));
	ok(lf.nbases == 3 && !strcmp(lf.bases[0].image.s, "debian:bookworm-slim") &&
	       !strcmp(lf.bases[1].image.s, "debian:bullseye-slim") &&
	       !strcmp(lock_find_base(&lf, "debian:trixie-slim")->digest.s,
		       DIGEST("d")),
	   "set inserts in order and replaces in place");
	buf out;
	buf_init(&out, 0);
	ok(lock_format(&lf, &out), "the lock file formats");
	is_str(buf_str(&out),
	       "{\n  \"bases\": {\n"
	       "    \"debian:bookworm-slim\": {\n      \"digest\": \"" DIGEST("b") "\"\n    },\n"
	       "    \"debian:bullseye-slim\": {\n      \"digest\": \"" DIGEST("c") "\"\n    },\n"
	       "    \"debian:trixie-slim\": {\n      \"digest\": \"" DIGEST("d") "\"\n    }\n"
	       "  },\n  \"matrixc\": 1,\n  \"releases\": {}\n}\n",
	       "one base a line group, sorted, readable in a diff");
	lock_remove_base(&lf, 1);
	ok(lf.nbases == 2 && !lock_find_base(&lf, "debian:bullseye-slim"),
	   "a base is removed");
	buf_release(&out);
}

int main(void)
{
	source_urls();
	arena *a = arena_new();
	diag *d = diag_new(50);
	parsed_out_of_order(a, d);
	set_in_any_order(a);
	set_between(a, d);
	bases(a, d);
	ok(diag_errors(d) == 0, "no diagnostics");
	diag_free(d);
	arena_free(a);
	return tap_done();
}
