/* contentid.h - the content identity of a generated Dockerfile.
 *
 * Every Dockerfile carries one line `LABEL io.matrixc.input=<hex>`, where
 * <hex> is the lowercase sha256 of the Dockerfile's bytes with that line
 * (and its newline) left out; no other line starts with the label's
 * prefix. Anyone can recompute it:
 *
 *     grep -v '^LABEL io\.matrixc\.input=' Dockerfile | sha256sum
 *
 * The publishing job compares it with the label of the image already in
 * the registry and skips the build when they match. The hash is
 * sha256_hex_of (sha256.h): this header only names the label.
 */
#ifndef MATRIXC_CONTENTID_H
#define MATRIXC_CONTENTID_H

/* The label's key, and the prefix of its line in a Dockerfile. */
#define CONTENTID_LABEL "io.matrixc.input"
#define CONTENTID_LINE "LABEL " CONTENTID_LABEL "="

#endif
