// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo: look at /dev/mmapdemo from userspace.
 *
 *	mmapdemo info
 *	mmapdemo map --mode fault --length 64K --touch --dump --hold
 *	mmapdemo map --mode pfn --length 64K --track --fill 0xab --sync
 *	mmapdemo stats
 *	mmapdemo demo --json
 *	mmapdemo bench --sizes 4K-64M --csv
 *
 * This file is the front door: the global options, the command table, and
 * the options and help every command shares.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *device_path = "/dev/mmapdemo";

/* clang-format off */
static const struct command commands[] = {
	{
		.name = "info",
		.run = cmd_info,
		.summary = "the buffer, the modes and the driver's counters",
		.about = "Show the device buffer (size, chunks, metadata), its default mode, the\n"
			 "modes the driver accepts, fault-around, what huge mode can map 2 MiB at\n"
			 "a time, and the driver's counters (from the STATS ioctl).\n",
	},
	{
		.name = "map",
		.run = cmd_map,
		.summary = "map the buffer and act on the mapping",
		.about = "Map the buffer MAP_SHARED, read-write, and act on the mapping in this\n"
			 "order: touch, fill, sync, dump, hold.\n",
		.options = "  -m, --mode MODE    mode of the mapping (default: the driver's default)\n"
			   "  -o, --offset N     start N bytes into the buffer (page aligned)\n"
			   "  -l, --length N     bytes to map (default: to the end of the buffer)\n"
			   "  -T, --track        map with write tracking on: the driver counts the\n"
			   "                     pages that writes make dirty\n"
			   "  -t, --touch        read each page once, counting the faults it takes\n"
			   "  -f, --fill BYTE    write BYTE (0xab, 171) to every byte; \"pattern\" makes\n"
			   "                     each page count up from its page number\n"
			   "  -S, --sync         msync(MS_SYNC) the mapping, counting the pages the\n"
			   "                     driver writes back\n"
			   "  -D, --dump[=N]     hexdump the first N bytes (default 256, at most 4K)\n"
			   "  -H, --hold         print the pid and address, then wait for a signal\n",
		.takes_size = true,
		.takes_mode = true,
	},
	{
		.name = "stats",
		.run = cmd_stats,
		.summary = "the driver's counters",
		.about = "Print the driver's counters, from the STATS ioctl.\n",
	},
	{
		.name = "sync",
		.run = cmd_sync,
		.summary = "write the buffer's dirty pages back",
		.about = "fsync() the device: the driver writes back the pages that writes through\n"
			 "mappings with write tracking made dirty. Prints how many it wrote back.\n",
	},
	{
		.name = "reset",
		.run = cmd_reset,
		.summary = "reset the device: unmap it everywhere, zero the buffer",
		.about = "Reset the device (MMAPDEMO_IOC_RESET): the driver takes down every mapping\n"
			 "of the buffer in every process, zeroes the buffer and forgets its dirty\n"
			 "pages. Mappings stay valid and fault the zeroed pages back in. Needs\n"
			 "CAP_SYS_ADMIN.\n",
	},
	{
		.name = "remove",
		.run = cmd_remove,
		.summary = "remove the device, as if its hardware went away",
		.about = "Remove the device (MMAPDEMO_IOC_REMOVE): the device node goes away, and\n"
			 "every access through an existing mapping raises SIGBUS. The module can be\n"
			 "unloaded once every file and mapping of the device is gone; loading it\n"
			 "again brings the device back. Needs CAP_SYS_ADMIN.\n",
	},
	{
		.name = "demo",
		.run = cmd_demo,
		.summary = "map the same range once per mode and compare",
		.about = "Map the same range once in each mode the driver has, read every page,\n"
			 "and compare what happened: timings, pagemap, faults, fault-around, 2 MiB\n"
			 "mappings, VmFlags, GUP. Then show the driver's trace events for a 4-page\n"
			 "mapping in each mode. Then, per mode, write to an 8-page mapping with write\n"
			 "tracking on, msync() it and reset the device (which zeroes the buffer and\n"
			 "takes down every mapping of it), and show what the driver counted and the\n"
			 "faults that followed, with the trace events of one such sequence.\n",
		.options = "  -l, --length N     bytes to map (default 2M, or the buffer if smaller)\n"
			   "  -j, --json         print the facts as one JSON object instead\n",
		.takes_size = true,
	},
	{
		.name = "bench",
		.run = cmd_bench,
		.summary = "time mappings of every mode against the kernel's own",
		.about = "For each size, map the buffer once per row of the table of modes the driver\n"
			 "has (fault with fault-around off, fault_around with it on), and the kernel's\n"
			 "own memory (anon, thp, memfd; memfd-pop with MAP_POPULATE) alike; time\n"
			 "mmap(), a read of every page and munmap(), and count the minor faults.\n"
			 "Then the write side: the first write to every page with write tracking\n"
			 "off and on, msync(MS_SYNC) of the dirty pages, and a reset of the device\n"
			 "(which takes down every mapping of it and zeroes it; CAP_SYS_ADMIN).\n"
			 "Prints the medians of the repetitions per 4 KiB page.\n",
		.options = "  -s, --sizes LIST   sizes, \"4K,1M\", or FROM-TO[:FACTOR] going up by FACTOR\n"
			   "                     (default 4); default 4K-256M, within the buffer\n"
			   "  -r, --reps N       repetitions (default 5)\n"
			   "  -m, --modes LIST   modes, \"remap,fault_around\" (default all, or none)\n"
			   "  -p, --peers LIST   peers: anon thp memfd memfd-pop (default all, or none)\n"
			   "  -c, --csv[=FILE]   CSV instead of the tables, or into FILE and the tables too\n"
			   "  -q, --quiet        no progress lines on stderr\n",
		.takes_size = true,
	},
};
/* clang-format on */

static void print_modes(FILE *f)
{
	unsigned int mode;

	fprintf(f, "modes this tool knows:");
	for (mode = 0; mode < nr_modes(); mode++)
		fprintf(f, " %s", mode_name(mode));
	fprintf(f, "\n");
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: mmapdemo [-d PATH] COMMAND [OPTION]...\n\n"
		"Map the buffer of the mmapdemo device in each of its modes and see\n"
		"what the kernel does.\n\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-6s  %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f,
		"\noptions:\n"
		"  -d, --device PATH  the device node (default /dev/mmapdemo)\n"
		"  -h, --help         this help; \"mmapdemo COMMAND --help\" for one command\n\n");
	print_modes(f);
}

static void command_usage(const struct command *cmd)
{
	printf("usage: mmapdemo [-d PATH] %s [OPTION]...\n\n%s\noptions:\n%s",
	       cmd->name, cmd->about, cmd->options ? cmd->options : "");
	printf("  -d, --device PATH  the device node (default /dev/mmapdemo)\n"
	       "  -h, --help         this help\n");
	if (cmd->takes_size || cmd->takes_mode)
		printf("\n");
	if (cmd->takes_size)
		printf("N takes a K, M or G suffix (powers of 1024).\n");
	if (cmd->takes_mode)
		print_modes(stdout);
}

/* Handle an option that is not the command's own: -d, -h, or a mistake. */
void command_option(const struct command *cmd, int opt)
{
	switch (opt) {
	case 'd':
		device_path = optarg;
		return;
	case 'h':
		command_usage(cmd);
		exit(0);
	default:
		/* getopt_long() has said what is wrong. */
		fprintf(stderr, "Try 'mmapdemo %s --help'.\n", cmd->name);
		exit(2);
	}
}

/* Commands take options only. */
void command_no_args(const struct command *cmd, int argc, char **argv)
{
	if (optind < argc)
		die_usage(cmd, "%s: unexpected argument", argv[optind]);
}

/* For a command with no options of its own. */
void command_no_options(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, COMMON_SHORT_OPTIONS, options,
				  NULL)) != -1)
		command_option(cmd, opt);
	command_no_args(cmd, argc, argv);
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		COMMON_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd;
	static char prog[32];
	int opt;

	/* getopt_long() names the program after argv[0] in its messages. */
	argv[0] = "mmapdemo";
	while ((opt = getopt_long(argc, argv, COMMON_SHORT_OPTIONS, options,
				  NULL)) != -1) {
		switch (opt) {
		case 'd':
			device_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'mmapdemo --help'.\n");
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = find_command(argv[optind]);
	if (!cmd)
		die_usage(NULL, "%s: unknown command", argv[optind]);

	argc -= optind;
	argv += optind;
	snprintf(prog, sizeof(prog), "mmapdemo %s", cmd->name);
	argv[0] = prog;
	optind = 0; /* restart getopt_long() on the command's arguments */
	return cmd->run(cmd, argc, argv);
}
