/* digest.h: known vectors, a reset, and two digests alive at once (each
 * md5 holds its own handle on libcrypto; none is shared module state);
 * sha256 is sha256.h's, streamed, and loads no libcrypto. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "tap.h"

/* Whether libcrypto is mapped into this process. */
static int libcrypto_mapped(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int found = 0;
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, "libcrypto"))
			found = 1;
	if (f)
		fclose(f);
	return found;
}

/* A million 'a' (FIPS 180-4's third example) fed in pieces of 4093. */
static void million_a(digest *d)
{
	char piece[4093], out[65];
	memset(piece, 'a', sizeof piece);
	size_t left = 1000000;
	int fed = digest_reset(d);
	while (fed && left > 0) {
		size_t n = left < sizeof piece ? left : sizeof piece;
		fed = digest_update(d, piece, n);
		left -= n;
	}
	is_str(fed && digest_hex(d, out, sizeof out) ? out : NULL,
	       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	       "sha256 of a million 'a', streamed");
}

static const char *hex_of(digest *d, const char *text, char *out, size_t size)
{
	if (!digest_update(d, text, strlen(text)) || !digest_hex(d, out, size))
		return NULL;
	return out;
}

int main(void)
{
	char err[256] = "", a[65], b[65];
	digest *sha = digest_new(DIGEST_SHA256, err, sizeof err);
	ok(sha && !libcrypto_mapped(), "a sha256 digest loads no libcrypto");
	digest *md5 = digest_new(DIGEST_MD5, err, sizeof err);
	if (!ok(sha && md5, "libcrypto loads (%s)", err))
		return tap_done();
	is_str(hex_of(sha, "abc", a, sizeof a),
	       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "sha256 of abc");
	is_str(hex_of(md5, "abc", b, sizeof b),
	       "900150983cd24fb0d6963f7d28e17f72", "md5 of abc");
	digest_free(md5);
	ok(digest_reset(sha), "reset after a free of the other digest");
	is_str(hex_of(sha, "", a, sizeof a),
	       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "sha256 of nothing, after a reset");
	ok(digest_reset(sha) && !digest_hex(sha, a, 64),
	   "hex refuses a buffer without room for the NUL");
	million_a(sha);
	digest_free(sha);
	digest_free(NULL);
	return tap_done();
}
