/* cmd_explain.c - placeholder until `matrixc explain` lands (issue 3). */
#include "cmd.h"

int cmd_explain(const cli_opts *o)
{
	fputs("matrixc: error: 'explain' is not implemented yet\n", o->err);
	return EXIT_INPUT;
}
