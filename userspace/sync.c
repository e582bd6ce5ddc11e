// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo sync: fsync() the device, which writes back the pages that writes
 * through mappings with write tracking made dirty, and say how many pages
 * that was.  The count is the growth of the driver's device-wide counter, so
 * a sync by another process at the same moment counts too.
 */
#include <unistd.h>

#include "cli.h"

/* "fsync: 12.5 µs, 3 pages written back" */
void print_written_back(const char *what, uint64_t ns, uint64_t pages,
			const char *note)
{
	printf("%s: %.1f µs, %llu page%s written back%s\n", what, ns / 1e3,
	       (unsigned long long)pages, pages == 1 ? "" : "s", note);
}

int cmd_sync(const struct command *cmd, int argc, char **argv)
{
	struct mmapdemo_stats before, after;
	uint64_t ns;
	int fd;

	command_no_options(cmd, argc, argv);
	fd = device_open();
	device_get_stats(fd, &before);
	ns = now_ns();
	if (fsync(fd))
		die("%s: fsync", device_path);
	ns = now_ns() - ns;
	device_get_stats(fd, &after);
	close(fd);
	print_written_back("fsync", ns,
			   after.synced_pages - before.synced_pages, "");
	return 0;
}
