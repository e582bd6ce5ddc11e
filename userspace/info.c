// SPDX-License-Identifier: GPL-2.0
/* mmapdemo info: what the device says about its buffer and itself. */
#include <unistd.h>

#include "cli.h"

static void print_modes(uint32_t modes)
{
	unsigned int mode;
	const char *sep = "";

	printf("%-16s", "modes");
	for (mode = 0; mode < nr_modes(); mode++) {
		if (modes & (1u << mode)) {
			printf("%s%s", sep, mode_name(mode));
			sep = " ";
		}
	}
	printf("\n");
}

static void print_fault_around(void)
{
	int on = module_param_bool("fault_around");

	printf("%-16s%s\n", "fault-around", on < 0 ? "?" : on ? "on" : "off");
}

int cmd_info(const struct command *cmd, int argc, char **argv)
{
	struct mmapdemo_info info;
	struct counters c;
	char size[32];
	int fd;

	command_no_options(cmd, argc, argv);

	fd = device_open();
	device_info(fd, &info);
	counters_ioctl(fd, &c);
	close(fd);

	printf("%-16s%s\n", "device", device_path);
	printf("%-16s%llu bytes (%s)\n", "size", (unsigned long long)info.size,
	       format_size(size, sizeof(size), info.size));
	printf("%-16s%llu\n", "pages", (unsigned long long)info.pages);
	printf("%-16s%u\n", "chunks", info.chunks);
	printf("%-16sorder %u (%s)\n", "largest chunk", info.max_order,
	       format_size(size, sizeof(size),
			   (uint64_t)page_size() << info.max_order));
	printf("%-16s%llu bytes\n", "metadata",
	       (unsigned long long)info.meta_bytes);
	printf("%-16s%s\n", "default mode", mode_name(info.default_mode));
	print_modes(c.modes);
	print_fault_around();
	if (info.huge_pages)
		printf("%-16s%u pages (%s) mapped 2 MiB at a time\n",
		       "huge mode", info.huge_pages,
		       format_size(size, sizeof(size),
				   (uint64_t)info.huge_pages * page_size()));
	else
		printf("%-16s4 KiB pages only: no PFN mapping by PMD on this kernel,\n"
		       "%-16sor no 2 MiB chunk in the buffer\n",
		       "huge mode", "");
	counters_print(&c);
	return 0;
}
