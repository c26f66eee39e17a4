/* watchdog.h - a last resort against hook work nothing else can stop.
 *
 * The instruction budget, the library charges and the CPU-time backstop
 * all act between steps of the Lua VM. A few steps run long inside one C
 * call where none of them looks: a collector cycle over a chain of
 * weak-keyed entries (quadratic in its length), compiling text whose
 * jump lists grow quadratically (a long if ... elseif chain). The
 * watchdog is a timer on the process's CPU time, armed around each such
 * stretch: if it fires, the step has run past every limit, and matrixc
 * writes `file:line: error: ...` to standard error and exits with status
 * 2. Hooks run before any output is written, so nothing is left half
 * done. One watchdog per process; not reentrant.
 */
#ifndef MATRIXC_WATCHDOG_H
#define MATRIXC_WATCHDOG_H

/* Install the signal handler (watchdog_stop restores the previous one). */
void watchdog_start(void);

/* Fire after seconds of CPU time from now, naming file:line (line 0: the
 * file alone) and what ran ("hook cell", "loading the hook file"). The
 * strings must outlive the arming. */
void watchdog_arm(double seconds, const char *file, unsigned line,
		  const char *what);

void watchdog_disarm(void);
void watchdog_stop(void);

#endif
