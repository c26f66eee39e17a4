/* watchdog.h - a last resort against hook work nothing else can stop.
 *
 * The instruction budget, the library charges and the CPU-time backstop
 * all act between steps of the Lua VM. A few steps run long inside one C
 * call where none of them looks: a collector cycle over a chain of
 * weak-keyed entries (quadratic in its length), compiling text whose
 * jump lists grow quadratically (a long if ... elseif chain). The
 * watchdog is a repeating timer on the process's CPU time: the hook phase
 * reports progress (watchdog_step) at each hook call's start and end and
 * around each compilation, and if a whole period passes without any, the
 * step in progress has run past every limit: matrixc writes
 * `file:line: error: ...` to standard error and exits with the status
 * given to watchdog_start. Hooks run before any output is written, so
 * nothing is left half done; diagnostics gathered before are not
 * printed.
 *
 * A signal handler can only reach what it needs through globals: one
 * watchdog per process, not reentrant (the hook phase is neither).
 */
#ifndef MATRIXC_WATCHDOG_H
#define MATRIXC_WATCHDOG_H

/* Start: a step of more than period seconds of CPU time (and less than
 * a period and a quarter) ends the process with exit status status.
 * The caller (cmd) starts it around the hook phase. */
void watchdog_start(double period, int status);

/* A new step begins: what it is, at file:line (line 0: the file alone;
 * file NULL: no file), as the message will name it ("hook cell",
 * "compiling the hook file"). The strings must outlive the step. No
 * system call. */
void watchdog_step(const char *file, unsigned line, const char *what);

/* Stop the timer and restore the previous handler. */
void watchdog_stop(void);

#endif
