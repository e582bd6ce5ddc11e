// SPDX-License-Identifier: GPL-2.0
/* mmapdemo stats: the driver's counters, from MMAPDEMO_IOC_STATS. */
#include <unistd.h>

#include "cli.h"

int cmd_stats(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct counters c;
	int fd, opt;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT_OPTIONS, options,
				  NULL)) != -1)
		command_option(cmd, opt);
	command_no_args(cmd, argc, argv);

	fd = device_open();
	counters_ioctl(fd, &c);
	close(fd);
	counters_print(&c);
	return 0;
}
