// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo complete WORD... CURRENT: what a shell may offer for the word
 * CURRENT of "mmapdemo WORD... CURRENT", one a line, from the tables the
 * tool parses its own command line with: the commands, a command's long
 * options, the names an option takes (modes, peers).  "<file>" alone means
 * a file name.  The shell filters them by CURRENT; see
 * packaging/mmapdemo.bash-completion.  Not listed in the help.
 */
#include <string.h>

#include "cli.h"

/* The option that @word is, if it takes its argument from the next word. */
static const struct option *takes_next(const struct command *cmd,
				       const char *word)
{
	const struct option *o;

	for (o = cmd->long_options; o->name; o++) {
		if (o->has_arg != required_argument)
			continue;
		if ((word[1] == '-' && !strcmp(word + 2, o->name)) ||
		    (word[1] == o->val && !word[2]))
			return o;
	}
	return NULL;
}

static void print_options(const struct command *cmd)
{
	const struct option *o;

	for (o = cmd->long_options; o->name; o++)
		printf("--%s\n", o->name);
}

int cmd_complete(const struct command *self, int argc, char **argv)
{
	const struct command *cmd = self, *named = NULL;
	const struct option *pending = NULL;
	const char *cur = argc > 1 ? argv[argc - 1] : "";
	int i, operands = 0;

	/* Before a command, the options are those of "complete": the global ones. */
	for (i = 1; i < argc - 1; i++) {
		if (pending)
			pending = NULL;
		else if (argv[i][0] == '-')
			pending = takes_next(cmd, argv[i]);
		else if (named)
			operands++;
		else if (!(named = find_command(argv[i])))
			return 0;
		else
			cmd = named;
	}
	if (pending && option_takes_path(pending))
		printf("<file>\n");
	else if (pending && option_names(pending, "\n"))
		printf("%s\n", option_names(pending, "\n"));
	else if (pending)
		return 0;
	else if (cur[0] == '-')
		print_options(cmd);
	else if (!named || (named->run == cmd_help && !operands))
		printf("%s\n", command_names("\n"));
	return 0;
}
