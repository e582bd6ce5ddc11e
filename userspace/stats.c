// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo stats: the driver's counters, from MMAPDEMO_IOC_STATS, as a list
 * or (--json) as one JSON object:
 *
 *	{ "format": 1, "device": "/dev/mmapdemo",
 *	  "counters": { "opens": 3, "mmaps": { "remap": 1, ... }, ... } }
 */
#include <unistd.h>

#include "cli.h"

int cmd_stats(const struct command *cmd, int argc, char **argv)
{
	bool json = command_json_option(cmd, argc, argv);
	struct counters c;
	struct json j;
	int fd;

	fd = device_open();
	counters_ioctl(fd, &c);
	close(fd);
	if (!json) {
		counters_print(&c);
		return 0;
	}
	json_begin(&j, stdout);
	json_str(&j, "device", device_path);
	counters_json(&j, &c);
	json_end(&j);
	return 0;
}
