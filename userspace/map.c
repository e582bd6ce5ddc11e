// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo map: map a range of the buffer in one mode, with or without write
 * tracking, then touch, fill, sync, dump and hold it, saying after each step
 * what the kernel and the driver did.  --hold keeps the mapping alive for a
 * person to look at from outside.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"

#define DUMP_DEFAULT 256
#define DUMP_MAX     4096

struct map_args {
	int mode; /* -1: the open file's default */
	uint64_t offset, length;
	bool has_length, track, touch, fill, pattern, sync, hold;
	unsigned char fill_byte;
	size_t dump;
};

struct mapping {
	int fd;
	unsigned char *p;
	size_t len;
	uint64_t offset;
	bool pfnmap, track;
};

/* Faults and time spent in one step, and the driver's counters. */
struct step {
	uint64_t ns;
	long minflt;
	struct mmapdemo_stats st;
};

static void step_start(const struct mapping *m, struct step *s)
{
	device_get_stats(m->fd, &s->st);
	s->minflt = minor_faults();
	s->ns = now_ns();
}

/* From here on, s->st holds the growth of each counter. */
static void step_end(const struct mapping *m, struct step *s)
{
	struct mmapdemo_stats st;

	s->ns = now_ns() - s->ns;
	s->minflt = minor_faults() - s->minflt;
	device_get_stats(m->fd, &st);
	s->st.faults = st.faults - s->st.faults;
	s->st.around_pages = st.around_pages - s->st.around_pages;
	s->st.huge_faults = st.huge_faults - s->st.huge_faults;
	s->st.dirty_pages = st.dirty_pages - s->st.dirty_pages;
	s->st.synced_pages = st.synced_pages - s->st.synced_pages;
}

/* "16 of 16 pages present", from pagemap, which cannot see PFN maps. */
static const char *present_text(const struct mapping *m, char *buf, size_t size)
{
	long n;

	if (m->pfnmap)
		return "PFN map (not in pagemap)";
	n = pages_present(m->p, m->len / page_size());
	if (n < 0)
		snprintf(buf, size, "pagemap: %s", strerror(-n));
	else
		snprintf(buf, size, "%ld of %zu pages present", n,
			 (m->len + page_size() - 1) / page_size());
	return buf;
}

static void step_print(const struct mapping *m, const struct step *s,
		       const char *what)
{
	char buf[64], more[80] = "", dirty[48] = "";

	if (s->st.around_pages || s->st.huge_faults || s->st.pud_faults)
		snprintf(more, sizeof(more),
			 " (+%llu pages around, %llu of 2 MiB, %llu of 1 GiB)",
			 (unsigned long long)s->st.around_pages,
			 (unsigned long long)s->st.huge_faults,
			 (unsigned long long)s->st.pud_faults);
	if (m->track)
		snprintf(dirty, sizeof(dirty), ", %llu pages made dirty",
			 (unsigned long long)s->st.dirty_pages);
	printf("%s: %.1f µs, %ld minor faults, %llu driver faults%s%s, %s\n",
	       what, s->ns / 1e3, s->minflt, (unsigned long long)s->st.faults,
	       more, dirty, present_text(m, buf, sizeof(buf)));
}

static void map_touch(const struct mapping *m)
{
	struct step s;

	step_start(m, &s);
	touch_pages(m->p, m->len);
	step_end(m, &s);
	step_print(m, &s, "touch");
}

/* "pattern": each page counts up from its page number in the buffer. */
static void map_fill(const struct mapping *m, const struct map_args *a)
{
	size_t i, page = page_size();
	uint64_t pos;
	struct step s;
	char what[16];

	step_start(m, &s);
	if (!a->pattern) {
		memset(m->p, a->fill_byte, m->len);
	} else {
		for (i = 0; i < m->len; i++) {
			pos = m->offset + i;
			m->p[i] = pos + pos / page;
		}
	}
	step_end(m, &s);
	if (a->pattern)
		snprintf(what, sizeof(what), "fill pattern");
	else
		snprintf(what, sizeof(what), "fill 0x%02x", a->fill_byte);
	step_print(m, &s, what);
}

/* msync(MS_SYNC) the whole mapping: the driver writes its dirty pages back. */
static void map_sync(const struct mapping *m)
{
	struct step s;

	step_start(m, &s);
	if (msync(m->p, m->len, MS_SYNC))
		die("%s: msync", device_path);
	step_end(m, &s);
	print_written_back("msync", s.ns, s.st.synced_pages,
			   m->track ? "" : " (no write tracking: see --track)");
}

static volatile sig_atomic_t held_signal;

static void hold_handler(int sig)
{
	held_signal = sig;
}

/* Wait for SIGINT, SIGTERM or SIGHUP, so that the mapping can be looked at. */
static void map_hold(const struct mapping *m)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = hold_handler };
	pid_t pid = getpid();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(signals); i++)
		sigaction(signals[i], &sa, NULL);
	printf("hold: pid %d maps %p-%p; see /proc/%d/smaps\n"
	       "      (Ctrl-C or kill %d unmaps and exits)\n",
	       pid, (void *)m->p, (void *)(m->p + m->len), pid, pid);
	fflush(stdout);
	while (!held_signal)
		pause();
	printf("hold: signal %d, unmapping\n", held_signal);
}

static void map_open(const struct command *cmd, struct mapping *m,
		     const struct map_args *a)
{
	struct mmapdemo_info info;
	char flags[256], size[32], buf[64];
	uint64_t ns;
	int ret;

	m->fd = device_open();
	device_info(m->fd, &info);
	if (a->mode >= 0 && device_set_mode(m->fd, a->mode))
		die_usage(cmd,
			  "--mode %s: the driver has no such mode (it has: %s)",
			  mode_name(a->mode),
			  mode_mask_names(modes_present(m->fd), ", "));
	m->track = a->track;
	ret = a->track ? device_set_track(m->fd, true) : 0;
	if (ret)
		die_ioctl(-ret, "MMAPDEMO_IOC_SET_TRACK");

	m->offset = a->offset;
	m->len = a->length;
	if (!a->has_length)
		m->len = a->offset < info.size ? info.size - a->offset :
						 page_size();
	ns = now_ns();
	m->p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd,
		    a->offset);
	ns = now_ns() - ns;
	if (m->p == MAP_FAILED)
		die("%s: mmap offset %llu length %zu", device_path,
		    (unsigned long long)a->offset, m->len);

	if (vma_flags(m->p, flags, sizeof(flags)))
		snprintf(flags, sizeof(flags), "?");
	m->pfnmap = has_vma_flag(flags, "pf");
	printf("map: %s of %s at offset %llu in mode %s%s: %.1f µs\n"
	       "     %p-%p, VmFlags %s\n     %s\n",
	       format_size(size, sizeof(size), m->len), device_path,
	       (unsigned long long)m->offset, mode_name(device_get_mode(m->fd)),
	       m->track ? ", tracking writes" : "", ns / 1e3, (void *)m->p,
	       (void *)(m->p + m->len), flags,
	       present_text(m, buf, sizeof(buf)));
}

static void parse_args(const struct command *cmd, int argc, char **argv,
		       struct map_args *a)
{
	uint64_t dump;
	int opt, ret;

	*a = (struct map_args){ .mode = -1 };
	while ((opt = command_getopt(cmd, argc, argv)) != -1) {
		ret = 0;
		switch (opt) {
		case 'm':
			a->mode = mode_parse(optarg);
			ret = a->mode < 0 ? a->mode : 0;
			break;
		case 'o':
			ret = parse_size(optarg, &a->offset);
			if (!ret && a->offset % page_size())
				ret = -EINVAL;
			break;
		case 'l':
			ret = parse_size(optarg, &a->length);
			if (!ret && !a->length)
				ret = -EINVAL;
			a->has_length = true;
			break;
		case 'T':
			a->track = true;
			break;
		case 't':
			a->touch = true;
			break;
		case 'f':
			a->fill = true;
			a->pattern = !strcmp(optarg, "pattern");
			if (!a->pattern)
				ret = parse_byte(optarg, &a->fill_byte);
			break;
		case 'S':
			a->sync = true;
			break;
		case 'D':
			dump = DUMP_DEFAULT;
			if (optarg)
				ret = parse_size(optarg, &dump);
			a->dump = dump < DUMP_MAX ? dump : DUMP_MAX;
			break;
		case 'H':
			a->hold = true;
			break;
		}
		if (ret < 0)
			die_bad_arg(cmd, opt, optarg, -ret);
	}
}

int cmd_map(const struct command *cmd, int argc, char **argv)
{
	struct map_args a;
	struct mapping m;

	parse_args(cmd, argc, argv, &a);
	map_open(cmd, &m, &a);
	if (a.touch)
		map_touch(&m);
	if (a.fill)
		map_fill(&m, &a);
	if (a.sync)
		map_sync(&m);
	if (a.dump)
		hexdump(stdout, m.p, a.dump < m.len ? a.dump : m.len, m.offset);
	if (a.hold)
		map_hold(&m);
	munmap(m.p, m.len);
	close(m.fd);
	return 0;
}
