// SPDX-License-Identifier: GPL-2.0
/* mmapdemo stats: the driver's counters, from MMAPDEMO_IOC_STATS. */
#include <unistd.h>

#include "cli.h"

int cmd_stats(const struct command *cmd, int argc, char **argv)
{
	struct counters c;
	int fd;

	command_no_options(cmd, argc, argv);

	fd = device_open();
	counters_ioctl(fd, &c);
	close(fd);
	counters_print(&c);
	return 0;
}
