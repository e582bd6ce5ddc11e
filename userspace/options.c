// SPDX-License-Identifier: GPL-2.0
/*
 * The options of a command: getopt_long() over the command's table in
 * main.c, with --device and --help handled here, and every mistake reported
 * with what would have been valid: the options of the command, the names
 * or the range an argument may take.  complete.c offers the same names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define STR(x)	     #x
#define XSTR(x)	     STR(x)
#define SIZE_EXAMPLE "4096, 64K, 2M; K, M and G are powers of 1024"
#define SIZES_VALID                                                    \
	"sizes above 0, a list \"4K,1M\" or FROM-TO[:FACTOR] (FACTOR " \
	"2 or more), " XSTR(MAX_SIZES) " sizes at most"

/*
 * What the argument of each option may be, by the option's long name (which
 * means the same in every command that has it): a phrase, or the names it
 * takes, or a file name.
 */
static const struct option_arg {
	const char *option;
	const char *valid;
	const char *(*names)(const char *sep);
	bool path;
} option_args[] = {
	{ "device", .valid = "a device node", .path = true },
	{ "mode", .names = mode_names },
	{ "offset",
	  .valid = "a size, a multiple of the page size: 0, 64K, 2M" },
	{ "length", .valid = "a size above 0: " SIZE_EXAMPLE },
	{ "fill", .valid = "a byte, 0 to 255 (0xab, 171), or pattern" },
	{ "dump", .valid = "a size (4K at most): " SIZE_EXAMPLE },
	{ "sizes", .valid = SIZES_VALID },
	{ "reps", .valid = "1 to " XSTR(MAX_REPS) },
	{ "modes", .names = bench_row_names },
	{ "peers", .names = bench_peer_names },
	{ "csv", .valid = "a file", .path = true },
};

static const struct option_arg *option_arg(const struct option *o)
{
	size_t i;

	for (i = 0; o && i < ARRAY_SIZE(option_args); i++)
		if (!strcmp(o->name, option_args[i].option))
			return &option_args[i];
	return NULL;
}

const char *option_names(const struct option *o, const char *sep)
{
	const struct option_arg *a = option_arg(o);

	return a && a->names ? a->names(sep) : NULL;
}

bool option_takes_path(const struct option *o)
{
	const struct option_arg *a = option_arg(o);

	return a && a->path;
}

/* " (valid: ...)" for the argument of @o, or "". */
static const char *valid_text(const struct option *o)
{
	const struct option_arg *a = option_arg(o);
	static char buf[256];

	if (!a)
		return "";
	snprintf(buf, sizeof(buf), " (valid: %s)",
		 a->names ? a->names(", ") : a->valid);
	return buf;
}

void list_add(char *buf, size_t size, const char *sep, const char *item)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s%s", len ? sep : "", item);
}

const struct option *find_option(const struct command *cmd, int val)
{
	const struct option *o;

	for (o = cmd->long_options; o->name; o++)
		if (o->val == val)
			return o;
	return NULL;
}

void die_bad_arg(const struct command *cmd, int opt, const char *arg, int err)
{
	const struct option *o = find_option(cmd, opt);

	die_usage(cmd, "--%s '%s': %s%s", o ? o->name : "?", arg, strerror(err),
		  valid_text(o));
}

/* getopt_long()'s short options for @cmd: "+:" then a letter per option. */
static const char *short_options(const struct command *cmd)
{
	static const char *const colons[] = {
		[no_argument] = "",
		[required_argument] = ":",
		[optional_argument] = "::",
	};
	static char buf[64];
	const struct option *o;
	char letter[2] = "";

	snprintf(buf, sizeof(buf), "+:");
	for (o = cmd->long_options; o->name; o++) {
		letter[0] = o->val;
		list_add(buf, sizeof(buf), "", letter);
		list_add(buf, sizeof(buf), "", colons[o->has_arg]);
	}
	return buf;
}

/* An option getopt_long() does not know, in argv[optind - 1]. */
static void __attribute__((noreturn))
die_unknown(const struct command *cmd, char **argv)
{
	const struct option *o = optopt ? find_option(cmd, optopt) : NULL;
	char opts[256] = "", word[64], name[32];

	if (o)
		die_usage(cmd, "--%s: takes no argument", o->name);
	if (optopt)
		snprintf(word, sizeof(word), "-%c", optopt);
	else
		snprintf(word, sizeof(word), "%s", argv[optind - 1]);
	for (o = cmd->long_options; o->name; o++) {
		snprintf(name, sizeof(name), "--%s", o->name);
		list_add(opts, sizeof(opts), ", ", name);
	}
	die_usage(cmd, "%s: no such option %s%s (the options: %s)", word,
		  cmd->name ? "of " : "before the command",
		  cmd->name ? cmd->name : "", opts);
}

int command_getopt(const struct command *cmd, int argc, char **argv)
{
	int opt;

	opterr = 0; /* the mistakes are reported below */
	for (;;) {
		opt = getopt_long(argc, argv, short_options(cmd),
				  cmd->long_options, NULL);
		switch (opt) {
		case 'd':
			device_path = optarg;
			break;
		case 'h':
			print_help(cmd);
			exit(0);
		case ':':
			die_usage(cmd, "--%s: needs an argument%s",
				  find_option(cmd, optopt)->name,
				  valid_text(find_option(cmd, optopt)));
		case '?':
			die_unknown(cmd, argv);
		case -1:
			if (optind < argc && !cmd->operands)
				die_usage(
					cmd,
					"%s: unexpected argument (%s takes options only)",
					argv[optind], cmd->name);
			return -1;
		default:
			return opt;
		}
	}
}

void command_no_options(const struct command *cmd, int argc, char **argv)
{
	/* It has none of its own: the first call goes to the end of them. */
	command_getopt(cmd, argc, argv);
}

bool command_json_option(const struct command *cmd, int argc, char **argv)
{
	bool json = false;
	int opt;

	while ((opt = command_getopt(cmd, argc, argv)) != -1)
		json |= opt == 'j';
	return json;
}
