/* cmd_init.c - placeholder until `matrixc init` lands (issue 3). */
#include "cmd.h"

int cmd_init(const cli_opts *o)
{
	fputs("matrixc: error: 'init' is not implemented yet\n", o->err);
	return EXIT_INPUT;
}
