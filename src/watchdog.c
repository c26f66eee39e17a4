/* watchdog.c - a last resort against hook work nothing else can stop (see
 * watchdog.h). */
#include "watchdog.h"

#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* What the handler reports: set before the timer is armed. */
static const char *volatile w_file;
static volatile unsigned w_line;
static const char *volatile w_what;
static volatile unsigned w_seconds;
static struct sigaction w_old;

/* Only async-signal-safe calls from here to fire's end. */
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

static void fire(int sig)
{
	(void)sig;
	put(w_file ? w_file : "matrixc");
	if (w_line) {
		put(":");
		put_unsigned(w_line);
	}
	put(": error: ");
	put(w_what ? w_what : "a hook");
	put(" ran for more than ");
	put_unsigned(w_seconds);
	put(" s of CPU time in one step that no limit can stop (the "
	    "garbage collector, compiling, or a library call)\n");
	_exit(2);
}

void watchdog_start(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fire;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPROF, &sa, &w_old);
}

static void set_timer(double seconds)
{
	struct itimerval t;
	memset(&t, 0, sizeof t);
	t.it_value.tv_sec = (time_t)seconds;
	t.it_value.tv_usec = (suseconds_t)((seconds - (double)t.it_value.tv_sec) * 1e6);
	setitimer(ITIMER_PROF, &t, NULL);
}

void watchdog_arm(double seconds, const char *file, unsigned line,
		  const char *what)
{
	w_file = file;
	w_line = line;
	w_what = what;
	w_seconds = (unsigned)seconds;
	set_timer(seconds);
}

void watchdog_disarm(void)
{
	set_timer(0);
}

void watchdog_stop(void)
{
	watchdog_disarm();
	sigaction(SIGPROF, &w_old, NULL);
}
