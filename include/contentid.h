/* contentid.h - the content identity of a generated Dockerfile.
 *
 * Every Dockerfile ends with three lines:
 *
 *     # platforms: linux/amd64 linux/arm64
 *     # io.matrixc.input: sha256 of this file without the LABEL line below
 *     LABEL io.matrixc.input=<hex>
 *
 * where <hex> is the lowercase sha256 of the Dockerfile's bytes with the
 * LABEL line (and its newline) left out; no other line starts with the
 * label's prefix. The platforms line names every platform the cell is
 * built for, in matrix.yaml's order, so the identity covers them: an
 * image built as the cell's linux/amd64 image is not the same image as
 * one built for [linux/amd64, linux/arm64], although the build steps
 * are. Anyone can recompute it:
 *
 *     grep -v '^LABEL io\.matrixc\.input=' Dockerfile | sha256sum
 *
 * The publishing job compares it with the label of the image already in
 * the registry, and that image's platforms with the job's, and skips the
 * build when both match (emit_gitlab.c).
 */
#ifndef MATRIXC_CONTENTID_H
#define MATRIXC_CONTENTID_H

#include "buf.h"
#include "cell.h"

/* The label's key, and the prefix of its line in a Dockerfile. */
#define CONTENTID_LABEL "io.matrixc.input"
#define CONTENTID_LINE "LABEL " CONTENTID_LABEL "="
/* The prefix of the platforms line */
#define CONTENTID_PLATFORMS "# platforms:"

/* The last lines of c's Dockerfile b: its platforms, then the label of
 * the sha256 of everything in b so far and the platforms line. */
void contentid_write(buf *b, const cell *c);

#endif
