// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo: look at /dev/mmapdemo from userspace.
 *
 *   mmapdemo info      the buffer and the driver's counters
 *   mmapdemo demo      map the same range in each mode and compare
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <linux/mmapdemo.h>

static const char *const mode_names[] = {
	[MMAPDEMO_MODE_REMAP] = "remap",
	[MMAPDEMO_MODE_FAULT] = "fault",
};
#define NR_MODES (sizeof(mode_names) / sizeof(mode_names[0]))

static const char *device = "/dev/mmapdemo";

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fputs("mmapdemo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	exit(1);
}

static int open_device(void)
{
	int fd = open(device, O_RDWR);

	if (fd < 0)
		die("%s", device);
	return fd;
}

static void get_info(int fd, struct mmapdemo_info *info)
{
	if (ioctl(fd, MMAPDEMO_IOC_INFO, info))
		die("%s: MMAPDEMO_IOC_INFO", device);
}

static void get_stats(int fd, struct mmapdemo_stats *st)
{
	if (ioctl(fd, MMAPDEMO_IOC_STATS, st))
		die("%s: MMAPDEMO_IOC_STATS", device);
}

static const char *mode_name(__u32 mode)
{
	return mode < NR_MODES ? mode_names[mode] : "?";
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static int cmd_info(int argc, char **argv)
{
	struct mmapdemo_info info;
	struct mmapdemo_stats st;
	unsigned int mode;
	int fd;

	(void)argc;
	(void)argv;
	fd = open_device();
	get_info(fd, &info);
	get_stats(fd, &st);
	printf("size          %llu bytes (%llu pages)\n", info.size, info.pages);
	printf("chunks        %u (largest: order %u)\n", info.chunks, info.max_order);
	printf("metadata      %llu bytes\n", info.meta_bytes);
	printf("default mode  %s\n", mode_name(info.default_mode));
	printf("opens         %llu\n", st.opens);
	for (mode = 0; mode < NR_MODES; mode++)
		printf("mmaps %-7s %llu\n", mode_names[mode], st.mmaps[mode]);
	printf("faults        %llu\n", st.faults);
	printf("eager pages   %llu\n", st.eager_pages);
	printf("live VMAs     %llu\n", st.live_vmas);
	close(fd);
	return 0;
}

struct demo_row {
	double mmap_us, touch_us;
	long minflt;
	unsigned long long driver_faults, eager_pages;
};

/* Map @len bytes in @mode, touch every page once, and measure. */
static void demo_mode(int fd, __u32 mode, size_t len, struct demo_row *row)
{
	size_t psz = sysconf(_SC_PAGESIZE), i;
	struct mmapdemo_stats before, after;
	volatile unsigned char *p;
	double t0;
	long flt;

	if (ioctl(fd, MMAPDEMO_IOC_SET_MODE, &mode))
		die("%s: MMAPDEMO_IOC_SET_MODE %s", device, mode_name(mode));
	get_stats(fd, &before);

	t0 = now_us();
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	row->mmap_us = now_us() - t0;
	if (p == MAP_FAILED)
		die("%s: mmap %s", device, mode_name(mode));

	flt = minor_faults();
	t0 = now_us();
	for (i = 0; i < len; i += psz)
		(void)p[i];
	row->touch_us = now_us() - t0;
	row->minflt = minor_faults() - flt;

	get_stats(fd, &after);
	row->driver_faults = after.faults - before.faults;
	row->eager_pages = after.eager_pages - before.eager_pages;
	munmap((void *)p, len);
}

static int cmd_demo(int argc, char **argv)
{
	size_t psz = sysconf(_SC_PAGESIZE), len = 1 << 20;
	struct demo_row rows[NR_MODES];
	struct mmapdemo_info info;
	unsigned int mode;
	int fd;

	(void)argc;
	(void)argv;
	fd = open_device();
	get_info(fd, &info);
	if (len > info.size)
		len = info.size;

	for (mode = 0; mode < NR_MODES; mode++)
		demo_mode(fd, mode, len, &rows[mode]);
	close(fd);

	printf("Mapping %zu KiB (%zu pages) of %s and reading each page once:\n\n",
	       len >> 10, len / psz, device);
	printf("%-6s %12s %12s %14s %14s %12s\n", "mode", "mmap() us",
	       "touch us", "minor faults", "driver faults", "eager pages");
	for (mode = 0; mode < NR_MODES; mode++)
		printf("%-6s %12.1f %12.1f %14ld %14llu %12llu\n", mode_names[mode],
		       rows[mode].mmap_us, rows[mode].touch_us, rows[mode].minflt,
		       rows[mode].driver_faults, rows[mode].eager_pages);
	printf("\nremap wrote every page table entry inside mmap(), so touching the\n"
	       "pages took no fault. fault wrote none: each first touch trapped into\n"
	       "the driver's fault handler, which handed the page to the kernel.\n");
	return 0;
}

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "info", cmd_info, "show the buffer and the driver's counters" },
	{ "demo", cmd_demo, "map the same range in each mode and compare" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: mmapdemo [--device PATH] COMMAND\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-6s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\noptions:\n"
		"  -d, --device PATH  the device node (default /dev/mmapdemo)\n"
		"  -h, --help         this help\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t i;
	int opt;

	while ((opt = getopt_long(argc, argv, "+d:h", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			device = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return commands[i].run(argc - optind, argv + optind);
	fprintf(stderr, "mmapdemo: %s: unknown command\n", argv[optind]);
	usage(stderr);
	return 2;
}
