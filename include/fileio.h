/* fileio.h - whole-file reads and atomic file writes (the base layer).
 *
 * Contract: file_read never follows a symlink and reads only a regular
 * file; file_write_atomic replaces a file so that a crash at any moment
 * leaves it with its old or its new content, never a partial one (a
 * temporary file beside it, fsync, rename over it, fsync of the
 * directory). Errors are returned (file_read, with errno) or reported to
 * the diag (the writers); nothing here prints or exits.
 *
 * The file_write_temp, file_write_all and file_sync_dir pieces are what
 * file_write_atomic is made of; outinplace.c batches them for a whole tree.
 *
 * Fault injection (tests/faults.t): in a build with -DMATRIXC_FAULTS,
 * MATRIXC_FAULT=OP:N makes the Nth file_fault(OP) report a failure, as a
 * full disk or a failing device would; OP:N:kill kills the process there
 * instead, as a crash or a power cut would; OP:0:count prints, at exit,
 * how many times OP was reached. OP "any" counts every operation. In
 * release builds file_fault is the constant false: no counter, no getenv.
 */
#ifndef MATRIXC_FILEIO_H
#define MATRIXC_FILEIO_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "diag.h"

/* Read a whole regular file (no symlink) into out, up to max bytes.
 * Returns 0, -1 with errno set, or -2 when over max. */
int file_read(const char *path, buf *out, size_t max);

/* Atomically replace path with data (temp, fsync, rename, fsync dir).
 * Reports to d and returns false on an error; the temporary is removed. */
bool file_write_atomic(const char *path, const char *data, size_t len,
		       diag *d);

/* Write data to a new temporary file ".NAME.tmp.XXXXXX" beside path
 * (mode 0644), its name into tmp (4096 bytes). Returns its descriptor,
 * still open and not synced, or -1 after reporting (the file removed). */
int file_write_temp(const char *path, const char *data, size_t len,
		    char *tmp, diag *d);

/* write(2) all of data to fd, retrying short writes and EINTR. */
bool file_write_all(int fd, const char *data, size_t len);

/* fsync a directory; false with errno set (EINVAL, a file system that
 * cannot sync directories, counts as success). */
bool file_sync_dir(const char *dir);

/* The directory part of path ("." for none, "/" for the root) in out. */
void file_dir_of(const char *path, char *out, size_t size);

#ifdef MATRIXC_FAULTS
/* true when this call of op is the one MATRIXC_FAULT names (errno set to
 * ENOSPC for "write", EIO otherwise); see above. Test builds only. */
bool file_fault(const char *op);
#else
#define file_fault(op) false
#endif

#endif
