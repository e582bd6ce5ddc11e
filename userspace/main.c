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
 *	mmapdemo help map
 *
 * This file is the front door: the global options, the command table with
 * each command's options, the help and the version.  options.c parses the
 * options with these tables.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *device_path = "/dev/mmapdemo";

/* For a command with no option of its own, and one with --json only. */
static const struct option common_options[] = {
	COMMON_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static const struct option json_options[] = {
	COMMON_LONG_OPTIONS,
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

/* Before the command. */
static const struct option global_options[] = {
	COMMON_LONG_OPTIONS,
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

#define JSON_HELP "  -j, --json         print it as one JSON object instead\n"

/* clang-format off */
const struct command commands[] = {
	{
		.name = "info",
		.run = cmd_info,
		.summary = "the buffer, the modes and the driver's counters",
		.about = "Show the device buffer (size, chunks, metadata), its default mode, the\n"
			 "modes the driver accepts, fault-around, what huge mode can map 2 MiB at\n"
			 "a time, and the driver's counters (from the STATS ioctl).\n",
		.options = JSON_HELP,
		.long_options = json_options,
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
		.long_options = (const struct option[]){
			COMMON_LONG_OPTIONS,
			{ "mode", required_argument, NULL, 'm' },
			{ "offset", required_argument, NULL, 'o' },
			{ "length", required_argument, NULL, 'l' },
			{ "track", no_argument, NULL, 'T' },
			{ "touch", no_argument, NULL, 't' },
			{ "fill", required_argument, NULL, 'f' },
			{ "sync", no_argument, NULL, 'S' },
			{ "dump", optional_argument, NULL, 'D' },
			{ "hold", no_argument, NULL, 'H' },
			{ NULL, 0, NULL, 0 },
		},
		.takes_size = true,
	},
	{
		.name = "stats",
		.run = cmd_stats,
		.summary = "the driver's counters",
		.about = "Print the driver's counters, from the STATS ioctl.\n",
		.options = JSON_HELP,
		.long_options = json_options,
	},
	{
		.name = "sync",
		.run = cmd_sync,
		.summary = "write the buffer's dirty pages back",
		.about = "fsync() the device: the driver writes back the pages that writes through\n"
			 "mappings with write tracking made dirty. Prints how many it wrote back.\n",
		.long_options = common_options,
	},
	{
		.name = "reset",
		.run = cmd_reset,
		.summary = "reset the device: unmap it everywhere, zero the buffer",
		.about = "Reset the device (MMAPDEMO_IOC_RESET): the driver takes down every mapping\n"
			 "of the buffer in every process, zeroes the buffer and forgets its dirty\n"
			 "pages. Mappings stay valid and fault the zeroed pages back in. Needs\n"
			 "CAP_SYS_ADMIN.\n",
		.long_options = common_options,
	},
	{
		.name = "remove",
		.run = cmd_remove,
		.summary = "remove the device, as if its hardware went away",
		.about = "Remove the device (MMAPDEMO_IOC_REMOVE): the device node goes away, and\n"
			 "every access through an existing mapping raises SIGBUS. The module can be\n"
			 "unloaded once every file and mapping of the device is gone; loading it\n"
			 "again brings the device back. Needs CAP_SYS_ADMIN.\n",
		.long_options = common_options,
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
		.long_options = (const struct option[]){
			COMMON_LONG_OPTIONS,
			{ "length", required_argument, NULL, 'l' },
			{ "json", no_argument, NULL, 'j' },
			{ NULL, 0, NULL, 0 },
		},
		.takes_size = true,
	},
	{
		.name = "bench",
		.run = cmd_bench,
		.summary = "time mappings of every mode against the kernel's own",
		.about = "For each size, map the buffer once per row of the table of modes the driver\n"
			 "has (fault with fault-around off, fault_around with it on), and the kernel's\n"
			 "own memory (anon, thp, memfd, hugetlb-1g; memfd-pop with MAP_POPULATE)\n"
			 "alike; time mmap(), a read of every page and munmap(), and count the\n"
			 "minor faults.\n"
			 "Then the write side: the first write to every page with write tracking\n"
			 "off and on, msync(MS_SYNC) of the dirty pages, and a reset of the device\n"
			 "(which takes down every mapping of it and zeroes it; CAP_SYS_ADMIN).\n"
			 "Prints the medians of the repetitions per 4 KiB page.\n",
		.options = "  -s, --sizes LIST   sizes, \"4K,1M\", or FROM-TO[:FACTOR] going up by FACTOR\n"
			   "                     (default 4); default 4K-256M, within the buffer\n"
			   "  -r, --reps N       repetitions (default 5)\n"
			   "  -m, --modes LIST   rows of the table of modes, \"remap,fault_around\"\n"
			   "                     (default all; none for none)\n"
			   "  -p, --peers LIST   the kernel's memory, \"anon,memfd\" (default all; none)\n"
			   "  -c, --csv[=FILE]   CSV instead of the tables, or into FILE and the tables too\n"
			   "  -q, --quiet        no progress lines on stderr\n",
		.long_options = (const struct option[]){
			COMMON_LONG_OPTIONS,
			{ "sizes", required_argument, NULL, 's' },
			{ "reps", required_argument, NULL, 'r' },
			{ "modes", required_argument, NULL, 'm' },
			{ "peers", required_argument, NULL, 'p' },
			{ "csv", optional_argument, NULL, 'c' },
			{ "quiet", no_argument, NULL, 'q' },
			{ NULL, 0, NULL, 0 },
		},
		.takes_size = true,
	},
	{
		.name = "help",
		.run = cmd_help,
		.summary = "this help, or a command's",
		.about = "Print the list of commands, or with COMMAND, the help of that command\n"
			 "(as \"mmapdemo COMMAND --help\" does).\n",
		.operands = "[COMMAND]",
		.long_options = common_options,
	},
	{
		.name = "version",
		.run = cmd_version,
		.summary = "the tool's version, and the loaded driver's",
		.about = "Print \"mmapdemo VERSION\", and \"driver VERSION\" when the driver is loaded\n"
			 "and says its version (/sys/module/mmapdemo/version).\n",
		.long_options = common_options,
	},
	{
		/* For the bash completion: see complete.c. */
		.name = "complete",
		.run = cmd_complete,
		.about = "What the shell may offer after WORD...: see packaging/mmapdemo.bash-completion.\n",
		.operands = "WORD...",
		.long_options = global_options, /* which it offers before a command */
	},
};
/* clang-format on */

const size_t nr_commands = ARRAY_SIZE(commands);

/* The options before the command. */
static const struct command global = {
	.operands = "COMMAND [OPTION]...",
	.long_options = global_options,
};

static void usage(void)
{
	size_t i;

	printf("usage: mmapdemo [-d PATH] COMMAND [OPTION]...\n\n"
	       "Map the buffer of the mmapdemo device in each of its modes and see\n"
	       "what the kernel does.\n\ncommands:\n");
	for (i = 0; i < nr_commands; i++)
		if (commands[i].summary)
			printf("  %-8s  %s\n", commands[i].name,
			       commands[i].summary);
	printf("\noptions:\n"
	       "  -d, --device PATH  the device node (default /dev/mmapdemo)\n"
	       "  -h, --help         this help; \"mmapdemo help COMMAND\" for one command\n"
	       "  -V, --version      the version of the tool, and of the driver\n\n"
	       "modes this tool knows: %s\n",
	       mode_names(" "));
}

void print_help(const struct command *cmd)
{
	const char *names, *sep = "\n";
	const struct option *o;

	if (!cmd || cmd == &global) {
		usage();
		return;
	}
	printf("usage: mmapdemo [-d PATH] %s [OPTION]...%s%s\n\n%s\noptions:\n%s",
	       cmd->name, cmd->operands ? " " : "",
	       cmd->operands ? cmd->operands : "", cmd->about,
	       cmd->options ? cmd->options : "");
	printf("  -d, --device PATH  the device node (default /dev/mmapdemo)\n"
	       "  -h, --help         this help\n");
	if (cmd->takes_size) {
		printf("%sN takes a K, M or G suffix (powers of 1024).\n", sep);
		sep = "";
	}
	for (o = cmd->long_options; o->name; o++) {
		names = option_names(o, " ");
		if (names) {
			printf("%s--%s: %s\n", sep, o->name, names);
			sep = "";
		}
	}
}

const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < nr_commands; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

const char *command_names(const char *sep)
{
	static char buf[256];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < nr_commands; i++)
		if (commands[i].summary)
			list_add(buf, sizeof(buf), sep, commands[i].name);
	return buf;
}

/* @name, or a mistake on the command line that says what the commands are. */
static const struct command *command_or_die(const char *name)
{
	const struct command *cmd = find_command(name);

	if (!cmd)
		die_usage(NULL, "%s: no such command (the commands: %s)", name,
			  command_names(", "));
	return cmd;
}

int cmd_help(const struct command *cmd, int argc, char **argv)
{
	command_no_options(cmd, argc, argv);
	if (argc - optind > 1)
		die_usage(cmd, "%s: one command at most", argv[optind + 1]);
	print_help(optind < argc ? command_or_die(argv[optind]) : NULL);
	return 0;
}

/* The tool's version, from dkms.conf (see the Makefile), and the driver's. */
static void print_version(void)
{
	char driver[64];

	printf("mmapdemo %s\n", MMAPDEMO_VERSION);
	if (!read_small_file("/sys/module/mmapdemo/version", driver,
			     sizeof(driver)))
		printf("driver %.*s\n", (int)strcspn(driver, "\n"), driver);
}

int cmd_version(const struct command *cmd, int argc, char **argv)
{
	command_no_options(cmd, argc, argv);
	print_version();
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	/* Restarted on the command's arguments, and with the command's options. */
	if (command_getopt(&global, argc, argv) == 'V') {
		print_version();
		return 0;
	}
	if (optind >= argc)
		die_usage(NULL, "no command (the commands: %s)",
			  command_names(", "));
	cmd = command_or_die(argv[optind]);
	argc -= optind;
	argv += optind;
	optind = 0; /* restart getopt_long() on the command's arguments */
	return cmd->run(cmd, argc, argv);
}
