// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo stats: the driver's counters from debugfs, which needs neither
 * the device nor an open file; from MMAPDEMO_IOC_STATS when debugfs cannot
 * be read (not mounted, not root, or a driver without the files).
 */
#include <unistd.h>

#include "cli.h"

int cmd_stats(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct counters c;
	char path[256];
	int fd, opt, ret;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT_OPTIONS, options,
				  NULL)) != -1)
		command_option(cmd, opt);
	command_no_args(cmd, argc, argv);

	ret = counters_debugfs(&c, path, sizeof(path));
	if (ret) {
		warn_err(-ret, "%s", path);
		fd = device_open();
		counters_ioctl(fd, &c);
		close(fd);
	}
	counters_print(&c);
	return 0;
}
