/* fileio.c - whole-file reads and atomic file writes (see fileio.h).
 *
 * The base layer of file I/O: it knows nothing of the output directory,
 * the manifest or the compiler, so that any module (the lock file, hooks,
 * init, outdir) can read and replace a file through it.
 */
#define _DEFAULT_SOURCE
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef MATRIXC_FAULTS
/* The counter is the only global state, and release builds have neither
 * it nor the getenv. */
static unsigned fault_seen;
static char fault_op[32];

static void fault_report(void)
{
	fprintf(stderr, "matrixc: fault count %s %u\n", fault_op, fault_seen);
}

bool file_fault(const char *op)
{
	const char *spec = getenv("MATRIXC_FAULT");
	const char *colon = spec ? strchr(spec, ':') : NULL;
	char *end;
	if (!colon)
		return false;
	size_t n = (size_t)(colon - spec);
	bool any = n == 3 && strncmp(spec, "any", 3) == 0;
	if (!any && (n != strlen(op) || strncmp(spec, op, n) != 0))
		return false;
	unsigned long want = strtoul(colon + 1, &end, 10);
	if (strcmp(end, ":count") == 0) {
		if (!fault_seen++) {
			snprintf(fault_op, sizeof fault_op, "%.*s", (int)n, spec);
			atexit(fault_report);
		}
		return false;
	}
	if (++fault_seen != want)
		return false;
	if (strcmp(end, ":kill") == 0)
		raise(SIGKILL);
	errno = strcmp(op, "write") == 0 ? ENOSPC : EIO;
	return true;
}
#endif

int file_read(const char *path, buf *out, size_t max)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		return -2;
	}
	/* Read straight into out, sized from the file: one allocation and no
	 * copy. Once it is full, one byte more is asked for, which finds the
	 * file's end (or shows that it grew meanwhile). */
	buf_reserve(out, (size_t)st.st_size);
	for (;;) {
		char one;
		size_t room = out->cap > out->len ? out->cap - out->len - 1 : 0;
		ssize_t n = read(fd, room ? out->data + out->len : &one,
				 room ? room : 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = errno;
			close(fd);
			errno = err;
			return n < 0 ? -1 : 0;
		}
		if (out->len + (size_t)n > max) {
			close(fd);
			return -2;
		}
		if (!room) {
			buf_add(out, &one, 1);
			continue;
		}
		out->len += (size_t)n;
		out->data[out->len] = '\0';
	}
}

bool file_write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = file_fault("write") ? -1 : write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		data += n;
		len -= (size_t)n;
	}
	return true;
}

bool file_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = (!file_fault("fsync") && fsync(fd) == 0) || errno == EINVAL;
	close(fd);
	return ok;
}

void file_dir_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, size, ".");
	else if (slash == path)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - path), path);
}

int file_write_temp(const char *path, const char *data, size_t len,
		    char *tmp, diag *d)
{
	const char *slash = strrchr(path, '/');
	int n = slash ? snprintf(tmp, 4096, "%.*s/.%s.tmp.XXXXXX",
				 (int)(slash - path), path, slash + 1)
		      : snprintf(tmp, 4096, ".%s.tmp.XXXXXX", path);
	if (n < 0 || n >= 4096) {
		diag_error(d, srcpos_file(path), "path too long");
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		diag_error(d, srcpos_file(path), "cannot create a temporary file: %s",
			   strerror(errno));
		return -1;
	}
	/* mkstemp makes the file 0600; generated files are for everyone to
	 * read, like the ones they replace */
	if (fchmod(fd, 0644) == 0 && file_write_all(fd, data, len))
		return fd;
	int err = errno;
	close(fd);
	unlink(tmp);
	diag_error(d, srcpos_file(path), "cannot write: %s", strerror(err));
	return -1;
}

/* Write data to a new temporary file beside path, fsync it, then rename
 * it over path. Does not fsync the directory. */
static bool replace_file(const char *path, const char *data, size_t len,
			 diag *d)
{
	char tmp[4096];
	int fd = file_write_temp(path, data, len, tmp, d);
	if (fd < 0)
		return false;
	bool ok = !file_fault("fsync") && fsync(fd) == 0;
	int err = ok ? 0 : errno;
	ok = close(fd) == 0 && ok;
	if (ok && !file_fault("rename") && rename(tmp, path) == 0)
		return true;
	err = err ? err : errno;
	unlink(tmp);
	diag_error(d, srcpos_file(path), "cannot write: %s", strerror(err));
	return false;
}

bool file_write_atomic(const char *path, const char *data, size_t len,
		       diag *d)
{
	char dir[4096];
	if (!replace_file(path, data, len, d))
		return false;
	file_dir_of(path, dir, sizeof dir);
	if (!file_sync_dir(dir)) {
		diag_error(d, srcpos_file(dir), "cannot sync directory: %s",
			   strerror(errno));
		return false;
	}
	return true;
}
