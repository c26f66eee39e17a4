/* hooks.c - placeholder until the hook runtime lands (issue 3). */
#include "hooks.h"

bool hooks_run(arena *a, diag *d, const matrix *m, cellset *cs)
{
	(void)a;
	(void)cs;
	if (m->hooks.n == 0)
		return true;
	diag_error(d, m->hooks.v[0].at, "hooks are not supported yet");
	return false;
}
