/* tap.h - the Test Anything Protocol, for prove.
 *
 * ok(cond, "title", ...) prints "ok N - title" or "not ok N - title";
 * tap_done() prints the plan and returns the exit status. Header-only so
 * each unit test is one file that links the same library as matrixc.
 */
#ifndef MATRIXC_TAP_H
#define MATRIXC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3))) static int ok(int cond,
						      const char *fmt, ...)
{
	char title[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(title, sizeof title, fmt, ap);
	va_end(ap);
	for (char *p = title; *p; p++) /* a newline would end the TAP line */
		if ((unsigned char)*p < 0x20)
			*p = '?';
	printf("%sok %d - %s\n", cond ? "" : "not ", ++tap_n, title);
	if (!cond)
		tap_failed++;
	return cond;
}

__attribute__((unused)) static int is_str(const char *got, const char *want, const char *title)
{
	int same = got && want ? strcmp(got, want) == 0 : got == want;
	if (!ok(same, "%s", title))
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	return same;
}

static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
