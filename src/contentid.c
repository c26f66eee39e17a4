/* contentid.c - the content identity of a generated Dockerfile: its
 * sha256, by matrixc's one SHA-256 (sha256.h). */
#include "contentid.h"

#include "sha256.h"

void contentid_sha256(const void *data, size_t len, char out[65])
{
	sha256_hex_of(data, len, out);
}
