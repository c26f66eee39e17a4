/* sha256.h against FIPS 180-4's examples and sha256sum's answers around
 * the block and padding boundaries, fed whole and in pieces; and the
 * one-shot sha256_hex_of that the content identity uses. Every case runs
 * through the portable compression and, where the CPU has the SHA
 * extensions, through SHA-NI; then the two are compared on 2,000
 * pseudo-random inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "tap.h"

static const char *hash(const void *p, size_t len)
{
	static char out[65];
	sha256_hex_of(p, len, out);
	return out;
}

/* The same bytes fed in pieces of step bytes (the last one shorter). */
static const char *hash_by(const char *p, size_t len, size_t step)
{
	static char out[65];
	sha256_ctx c;
	sha256_init(&c);
	for (size_t at = 0; at < len; at += step)
		sha256_update(&c, p + at, len - at < step ? len - at : step);
	sha256_update(&c, NULL, 0);
	sha256_hex(&c, out);
	return out;
}

/* sha256sum of n times 'a', where n sits at a boundary: 55 is the most
 * a last block holds with the padding's 0x80 and the length, 56 needs a
 * second block for the length, 64 fills one exactly; the same again one
 * block further on. */
static const struct {
	size_t n;
	const char *hex;
} runs[] = {
    {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
    {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
    {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
    {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
    {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
    {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
    {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    {127, "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a"},
    {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
    {129, "c12cb024a2e5551cca0e08fce8f1c5e314555cc3fef6329ee994a3db752166ae"},
    {1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"},
};

static void fips_examples(void)
{
	is_str(hash("", 0),
	       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "empty input");
	is_str(hash("abc", 3),
	       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "abc (FIPS 180-4 example, one block)");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	is_str(hash(two, strlen(two)),
	       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	       "448 bits (FIPS 180-4 example, two blocks)");
	const char *four = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			   "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	is_str(hash(four, strlen(four)),
	       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
	       "896 bits");
}

static void million_a(void)
{
	size_t n = 1000000;
	char *a = malloc(n);
	if (!ok(a != NULL, "memory for a million bytes"))
		return;
	memset(a, 'a', n);
	const char *want =
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	is_str(hash(a, n), want, "a million 'a' (FIPS 180-4 example), whole");
	is_str(hash_by(a, n, 1000), want, "a million 'a', in pieces of 1000");
	is_str(hash_by(a, n, 4093), want, "a million 'a', in pieces of 4093");
	free(a);
}

/* Every case above, through the compression in use (path names it). */
static void all_cases(const char *path)
{
	printf("# the %s compression\n", path);
	fips_examples();
	char a[1000];
	memset(a, 'a', sizeof a);
	for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
		size_t n = runs[i].n;
		char title[64];
		snprintf(title, sizeof title, "%zu bytes 'a', whole", n);
		is_str(hash(a, n), runs[i].hex, title);
		/* every split of the input into a first piece and the rest,
		 * and pieces of every size up to 65 */
		int same = 1;
		for (size_t cut = 0; cut <= n && same; cut++) {
			sha256_ctx c;
			char out[65];
			sha256_init(&c);
			sha256_update(&c, a, cut);
			sha256_update(&c, a + cut, n - cut);
			sha256_hex(&c, out);
			same = strcmp(out, runs[i].hex) == 0;
		}
		for (size_t step = 1; step <= 65 && same; step++)
			same = strcmp(hash_by(a, n, step), runs[i].hex) == 0;
		ok(same, "%zu bytes, in two pieces cut anywhere and in pieces "
			 "of 1 to 65 bytes", n);
	}
	million_a();

	sha256_ctx c;
	char out[65];
	sha256_init(&c);
	sha256_update(&c, "xyz", 3);
	sha256_init(&c);
	sha256_update(&c, "abc", 3);
	sha256_hex(&c, out);
	is_str(out, hash("abc", 3), "init starts over");

	char id[65];
	const char *text = "FROM scratch\n";
	sha256_hex_of(text, strlen(text), id);
	is_str(id, hash(text, strlen(text)),
	       "the content identity is the sha256 of the bytes");
}

/* xorshift64: the same bytes on every run and machine. */
static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* 2,000 inputs of pseudo-random length 0..5000 and bytes, each hashed by
 * both compressions, whole and in two pieces cut at a pseudo-random
 * point (so that the buffered partial block is exercised too). */
static void differential(void)
{
	static unsigned char buf[5000];
	uint64_t s = 0x9e3779b97f4a7c15u;
	int same = 1, n = 0;
	for (; n < 2000 && same; n++) {
		size_t len = (size_t)(next(&s) % 5001);
		size_t cut = (size_t)(next(&s) % (len + 1));
		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char)(next(&s) >> 56);
		char want[65], got[65], split[65];
		sha256_use_portable(true);
		sha256_hex_of(buf, len, want);
		sha256_use_portable(false);
		sha256_hex_of(buf, len, got);
		sha256_ctx c;
		sha256_init(&c);
		sha256_update(&c, buf, cut);
		sha256_update(&c, buf + cut, len - cut);
		sha256_hex(&c, split);
		same = strcmp(want, got) == 0 && strcmp(want, split) == 0;
		if (!same)
			printf("# length %zu, cut %zu: portable %s, SHA-NI %s "
			       "whole, %s in two pieces\n",
			       len, cut, want, got, split);
	}
	ok(same, "SHA-NI and portable agree on %d pseudo-random inputs of "
		 "0 to 5000 bytes",
	   n);
}

int main(void)
{
	ok(!sha256_use_portable(true), "the portable compression can be forced");
	all_cases("portable");
	if (sha256_use_portable(false)) {
		all_cases("SHA-NI");
		differential();
	} else {
		ok(1, "# skip the CPU has no SHA extensions (SHA-NI)");
	}
	return tap_done();
}
