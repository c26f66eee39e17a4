/* digest.h: known vectors, a reset, and two digests alive at once (each
 * holds its own handle on libcrypto; none is shared module state). */
#include "digest.h"
#include "tap.h"

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
	digest_free(sha);
	digest_free(NULL);
	return tap_done();
}
