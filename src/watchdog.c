/* watchdog.c - a last resort against hook work nothing else can stop (see
 * watchdog.h). */
#include "watchdog.h"

#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define TICKS 4 /* per period */

/* The step in progress, written by watchdog_step, read by the handler. */
static const char *volatile w_file;
static volatile unsigned w_line;
static const char *volatile w_what;
static volatile sig_atomic_t w_steps; /* steps begun */
static sig_atomic_t w_seen;           /* w_steps at the last tick */
static unsigned w_idle;   /* ticks since, without a new step */
static unsigned w_tenths; /* the period, in tenths of a second */
static int w_status;
static struct sigaction w_old;

/* Only async-signal-safe calls from here to tick's end. */
static void put(const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t k = write(STDERR_FILENO, s, n);
		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

static void put_unsigned(unsigned v)
{
	char digits[16];
	char *p = digits + sizeof digits;
	*--p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	put(p);
}

/* Every quarter of a period of CPU time: a step that began before the
 * first of the last four ticks and is still running has run for more
 * than a period (and less than a period and a quarter). */
static void tick(int sig)
{
	(void)sig;
	if (w_steps != w_seen) {
		w_seen = w_steps;
		w_idle = 0;
		return;
	}
	if (++w_idle < TICKS)
		return;
	put(w_file ? w_file : "matrixc");
	if (w_file && w_line) {
		put(":");
		put_unsigned(w_line);
	}
	put(": error: ");
	put(w_what ? w_what : "the hooks");
	put(" ran for more than ");
	put_unsigned(w_tenths / 10);
	if (w_tenths % 10) {
		put(".");
		put_unsigned(w_tenths % 10);
	}
	put(" s of CPU time in one step that no limit can stop (the "
	    "garbage collector, compiling, or a library call)\n");
	_exit(w_status); /* the one exit outside main: a handler cannot
			  * return an error */
}

static void set_timer(double seconds)
{
	struct itimerval t;
	memset(&t, 0, sizeof t);
	t.it_value.tv_sec = (time_t)seconds;
	t.it_value.tv_usec =
	    (suseconds_t)((seconds - (double)t.it_value.tv_sec) * 1e6);
	t.it_interval = t.it_value;
	setitimer(ITIMER_PROF, &t, NULL);
}

void watchdog_start(double period, int status)
{
	w_tenths = (unsigned)(period * 10 + 0.5);
	w_status = status;
	w_file = NULL;
	w_what = NULL;
	w_seen = w_steps;
	w_idle = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tick;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPROF, &sa, &w_old);
	set_timer(period / TICKS);
}

void watchdog_step(const char *file, unsigned line, const char *what)
{
	w_steps++; /* first: a tick from here on sees progress */
	w_file = file;
	w_line = line;
	w_what = what;
}

void watchdog_stop(void)
{
	set_timer(0);
	sigaction(SIGPROF, &w_old, NULL);
}
