/* cmd_update.c - placeholder until `matrixc update` lands (issue 4). */
#include "cmd.h"

int cmd_update(const cli_opts *o)
{
	fputs("matrixc: error: 'update' is not implemented yet\n", o->err);
	return EXIT_INPUT;
}
