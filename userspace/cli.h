/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the mmapdemo command-line tool: one section per
 * source file, in the order a command uses them.
 */
#ifndef MMAPDEMO_CLI_H
#define MMAPDEMO_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/mmapdemo.h>

#include "modes.h"
#include "tracefs.h"
#include "util.h"

/* main.c: the commands, their help, --version */
struct command {
	const char *name;
	int (*run)(const struct command *cmd, int argc, char **argv);
	const char *summary; /* one line for "mmapdemo --help"; NULL: unlisted */
	const char *about;   /* a paragraph for "mmapdemo COMMAND --help" */
	const char *options;  /* its own options, one line each */
	const char *operands; /* what follows the options, or NULL for nothing */
	/* Its options for getopt_long(), COMMON_LONG_OPTIONS first. */
	const struct option *long_options;
	bool takes_size; /* options with a size N */
};

extern const char *device_path;
extern const struct command commands[];
extern const size_t nr_commands;

const struct command *find_command(const char *name);
/* "mmapdemo --help" for NULL, else "mmapdemo COMMAND --help", on stdout. */
void print_help(const struct command *cmd);
/* The names of the listed commands, separated by @sep. */
const char *command_names(const char *sep);

/*
 * Every command's option table starts with these.  The short options follow
 * from the table: an option whose val is a character has that letter too.
 */
/* clang-format off */
#define COMMON_LONG_OPTIONS					\
	{ "device", required_argument, NULL, 'd' },		\
	{ "help", no_argument, NULL, 'h' }
/* clang-format on */

int cmd_info(const struct command *cmd, int argc, char **argv);
int cmd_stats(const struct command *cmd, int argc, char **argv);
int cmd_map(const struct command *cmd, int argc, char **argv);
int cmd_sync(const struct command *cmd, int argc, char **argv);
int cmd_reset(const struct command *cmd, int argc, char **argv);
int cmd_remove(const struct command *cmd, int argc, char **argv);
int cmd_demo(const struct command *cmd, int argc, char **argv);
int cmd_bench(const struct command *cmd, int argc, char **argv);
int cmd_help(const struct command *cmd, int argc, char **argv);
int cmd_version(const struct command *cmd, int argc, char **argv);
int cmd_complete(const struct command *cmd, int argc, char **argv);

/*
 * options.c: the options of a command, and what their arguments may be.
 * command_getopt() returns the command's next option of its own as
 * getopt_long() does, or -1 after the last; it handles --device and --help
 * itself, and ends the command on a mistake, saying what was valid.
 */
int command_getopt(const struct command *cmd, int argc, char **argv);
/* For a command with no option of its own. */
void command_no_options(const struct command *cmd, int argc, char **argv);
/* For one whose only option of its own is --json: whether it was given. */
bool command_json_option(const struct command *cmd, int argc, char **argv);
/* The argument @arg of option @opt of @cmd is wrong, and @err says how. */
void die_bad_arg(const struct command *cmd, int opt, const char *arg, int err)
	__attribute__((noreturn));
/* The long option of @cmd that @val stands for, or NULL. */
const struct option *find_option(const struct command *cmd, int val);
/*
 * The names an option takes (modes, peers), separated by @sep, or NULL for
 * an option that takes no list of names; whether it takes a file name.
 */
const char *option_names(const struct option *o, const char *sep);
bool option_takes_path(const struct option *o);
/* Add @item to the list in @buf, after @sep unless it is the first. */
void list_add(char *buf, size_t size, const char *sep, const char *item);

/* error.c: "mmapdemo: <what>: <strerror>" and exit */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void die_err(int err, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
/* die_err(), and what @err means for the device: device_err_hint(). */
void die_device(int err, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
void warn_err(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void die_usage(const struct command *cmd, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* parse.c: option arguments */
int parse_size(const char *s, uint64_t *val);
int parse_byte(const char *s, unsigned char *val);
char *format_size(char *buf, size_t size, uint64_t bytes);

/* bench.c: its limits; the names --modes and --peers take, by @sep */
#define MAX_REPS  1000
#define MAX_SIZES 32
const char *bench_row_names(const char *sep);
const char *bench_peer_names(const char *sep);

/* The modes: lib/modes.h.  struct mmapdemo_stats counts this many at most. */
#define MAX_MODES ARRAY_SIZE(((struct mmapdemo_stats *)0)->mmaps)

/* device.c: the device node and its ioctls; failures are fatal */
int device_open(void);
/* Of this driver or an older one: device_read_info(). */
void device_info(int fd, struct mmapdemo_info *info);
void device_get_stats(int fd, struct mmapdemo_stats *st);
/* 0, or -EINVAL for a mode this driver does not have. */
int device_set_mode(int fd, unsigned int mode);
unsigned int device_get_mode(int fd);
/* The modes of the table the driver has, as a bit mask. */
uint32_t modes_present(int fd);
/*
 * The ioctls of write tracking, reset and removal: 0 or -errno, for the
 * caller to judge.  Reset and removal need CAP_SYS_ADMIN.
 */
int device_set_track(int fd, bool track);
int device_reset(int fd);
int device_remove(int fd);
/* The names of the modes in @mask, separated by @sep. */
const char *mode_mask_names(uint32_t mask, const char *sep);

/* The page-table levels huge mode maps at, smallest first. */
struct map_level {
	unsigned int bit;   /* MMAPDEMO_LEVEL_* */
	const char *size;   /* what one entry maps: "2 MiB" */
	const char *entry;  /* "PMD" */
	const char *name;   /* in JSON: "pmd" */
	const char *arg;    /* as --length takes it: "2M" */
	unsigned int shift; /* log2 of the bytes one entry maps */
};

extern const struct map_level map_levels[];
extern const size_t nr_map_levels;

/* Pages of the buffer in chunks that @l can map whole: all at 4 KiB. */
uint64_t level_pages(const struct mmapdemo_info *info,
		     const struct map_level *l);
/* What @err from the node or an ioctl means, for a message: "" or " (why)". */
const char *device_err_hint(int err);
/* "mmapdemo: /dev/mmapdemo: @ioctl: <strerror> (why)", and exit. */
void die_ioctl(int err, const char *ioctl) __attribute__((noreturn));

/* sync.c: "@what: 12.5 µs, 3 pages written back@note" */
void print_written_back(const char *what, uint64_t ns, uint64_t pages,
			const char *note);

/*
 * json.c: write one JSON object, indented.  json_begin() opens it with its
 * "format": JSON_FORMAT, json_end() closes it.  JSON_FORMAT changes when a
 * member of what the tool prints changes its meaning or goes away.
 */
#define JSON_FORMAT 1

struct json {
	FILE *f;
	int depth;
	bool first[8];
};

void json_begin(struct json *j, FILE *f);
void json_end(struct json *j);
void json_open(struct json *j, const char *key, char bracket);
void json_close(struct json *j, char bracket);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_str(struct json *j, const char *key, const char *s);
void json_null(struct json *j, const char *key);

/* info.c: "levels", "pmd_pages" and "pud_pages" of a JSON object */
void info_levels_json(struct json *j, const struct mmapdemo_info *info);

/* counters.c: the driver's counters, from the STATS ioctl */
struct counters {
	struct mmapdemo_stats st;
	uint32_t modes; /* bit mask of the modes in st.mmaps */
};

void counters_ioctl(int fd, struct counters *c);
void counters_print(const struct counters *c);
/* The same as the member "counters" of a JSON object. */
void counters_json(struct json *j, const struct counters *c);

/* probe.c: what the tool asks beyond lib/util.h */
/* The flags of @want that @flags has, space-separated, or "-". */
void vma_flags_pick(const char *flags, const char *want, char *out,
		    size_t size);
/* Copy one byte out of @addr with process_vm_readv(); 0 or -errno. */
int gup_read(const void *addr);
/* A Y/N parameter of the mmapdemo module: 1, 0, or -errno; set it, 0 or -errno. */
int module_param_bool(const char *name);
int module_param_set_bool(const char *name, bool val);

/* hexdump.c */
void hexdump(FILE *f, const unsigned char *p, size_t len, uint64_t base);

/* demo.c, demo_table.c, demo_json.c: the same range once per mode */
struct demo_mode {
	unsigned int mode;
	int mmap_err; /* errno of a failed mmap(); the rest is unset */
	uintptr_t address;
	uint64_t mmap_ns, touch_ns;
	bool pfnmap;
	long present_after_mmap; /* -1: unknown, or a PFN map */
	long present_after_touch;
	long minor_faults;
	long populate_faults; /* of reading a MAP_POPULATE mapping; -1: failed */
	/* The driver's counters' growth: see struct mmapdemo_stats. */
	uint64_t driver_faults, eager_pages, around_pages;
	uint64_t huge_faults, huge_fallbacks, vma_lock_faults;
	uint64_t pud_faults, pud_fallbacks;
	char vmflags[16]; /* the flags of DEMO_VMFLAGS it has */
	int gup_err;	  /* of process_vm_readv(): 0 or errno */
	char **trace;	  /* the trace of a small mapping */
	size_t trace_nr;
};

#define DEMO_VMFLAGS "pf io dd de mm"

/*
 * The write side, per row of the table of modes: writes to a mapping with
 * write tracking on, msync(MS_SYNC), then MMAPDEMO_IOC_RESET.
 */
struct demo_write {
	const struct mode_info *row;
	const char *failed; /* the step that failed, or NULL */
	int err;	    /* its errno; the rest is unset */
	/* The driver's counters' growth over the writes and the msync(). */
	uint64_t dirty_pages, synced_pages;
	long synced_read_faults; /* minor faults of reading a synced page */
	int reset_byte;		 /* what a written page reads after the reset */
	long reset_read_faults;	 /* minor faults of that read */
};
/* Rows of the table of modes: one without fault-around, one with, per mode. */
#define MAX_MODE_ROWS (2 * MAX_MODES)

struct demo {
	uint64_t length, pages;
	int fault_around; /* the module parameter: 0, 1, or -1 unknown */
	struct mmapdemo_info info;
	struct demo_mode modes[MAX_MODES];
	unsigned int nr_modes;
	uint64_t trace_pages;
	int trace_err; /* why there is no trace, or 0 */
	char trace_root[256];
	/* The write side: @nr_writes writes to @written_pages of @write_pages. */
	unsigned int write_pages, nr_writes, written_pages;
	struct demo_write write_rows[MAX_MODE_ROWS];
	unsigned int nr_write_rows;
	int write_err; /* why there is no write side, or 0 */
	int reset_err; /* of MMAPDEMO_IOC_RESET: no reset facts, or 0 */
	unsigned int write_trace_mode;
	char **write_trace; /* the trace of one write, msync and reset */
	size_t write_trace_nr;
};

/* Record the driver's events while @act(@arg) runs; fatal on failure. */
void demo_record(struct trace *t, void (*act)(void *arg), void *arg,
		 char ***lines, size_t *nr);
void demo_write_run(struct demo *d);
/* The trace of one sequence of the write side. */
void demo_write_trace(struct demo *d, struct trace *t);
void demo_print_table(const struct demo *d);
void demo_print_json(const struct demo *d);

#endif /* MMAPDEMO_CLI_H */
