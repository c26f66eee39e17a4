/* The content identity's sha256 against FIPS 180-4's test vectors and
 * sha256sum's answers at the block boundaries. */
#include <string.h>

#include "contentid.h"
#include "tap.h"

static const char *hash(const char *s, size_t len)
{
	static char out[65];
	contentid_sha256(s, len, out);
	return out;
}

int main(void)
{
	is_str(hash("", 0),
	       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "empty input");
	is_str(hash("abc", 3),
	       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "abc");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	is_str(hash(two, strlen(two)),
	       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	       "448 bits: the padding takes a second block");
	char a[1000];
	memset(a, 'a', sizeof a);
	is_str(hash(a, 55), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
	       "55 bytes: the length fits the last block");
	is_str(hash(a, 56), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
	       "56 bytes: the length needs another block");
	is_str(hash(a, 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
	       "64 bytes: one whole block");
	is_str(hash(a, 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3",
	       "1000 bytes");
	return tap_done();
}
