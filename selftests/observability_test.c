// SPDX-License-Identifier: GPL-2.0
/*
 * What the driver lets a person watch: its tracepoints fire for every mmap,
 * fault, fault-around window, batch of inserted pages and VMA open and
 * close, and its debugfs counters agree with the stats ioctl.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "mmapdemo_test.h"

#define NPAGES		4
#define INSTANCE	"mmapdemo_selftest"
#define DEBUGFS		"/sys/kernel/debug/mmapdemo/"

static const char *const tracefs_roots[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

/* A private tracefs instance, so the test sees only its own events. */
static int trace_instance(char *dir, size_t size)
{
	char path[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tracefs_roots); i++) {
		snprintf(path, sizeof(path), "%s/events/mmapdemo", tracefs_roots[i]);
		if (access(path, F_OK))
			continue;
		snprintf(dir, size, "%s/instances/" INSTANCE, tracefs_roots[i]);
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -errno;
		return 0;
	}
	return -ENOENT;
}

static int write_file(const char *dir, const char *name, const char *val)
{
	char path[512];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Read a whole (small) file into a malloc()ed string. */
static char *read_file(const char *dir, const char *name)
{
	size_t len = 0, size = 65536;
	char path[512], *buf = malloc(size);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || !buf) {
		free(buf);
		return NULL;
	}
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	close(fd);
	return buf;
}

/* Lines of @text that contain @what. */
static long count_lines(const char *text, const char *what)
{
	const char *line, *end;
	long n = 0;

	for (line = text; *line; line = end + !!*end) {
		end = strchrnul(line, '\n');
		if (memmem(line, end - line, what, strlen(what)))
			n++;
	}
	return n;
}

/* The sum of the numbers after @key on the lines of @text with @what. */
static long sum_field(const char *text, const char *what, const char *key)
{
	const char *line, *end, *at;
	long n = 0;

	for (line = text; *line; line = end + !!*end) {
		end = strchrnul(line, '\n');
		if (!memmem(line, end - line, what, strlen(what)))
			continue;
		at = memmem(line, end - line, key, strlen(key));
		if (at)
			n += strtol(at + strlen(key), NULL, 10);
	}
	return n;
}

/*
 * Map NPAGES pages, touch them, unmap: each event fires as the mode says, as
 * often as the driver's counters say it mapped something.
 */
TEST_F(mmapdemo, every_tracepoint_fires)
{
	size_t len = NPAGES * self->page;
	struct mmapdemo_stats before, after;
	const char *event = expect_mode_event(variant);
	char dir[256], field[32], *trace;
	unsigned char *p;

	if (trace_instance(dir, sizeof(dir)))
		SKIP(return, "no tracefs with mmapdemo events mounted");
	ASSERT_EQ(0, write_file(dir, "events/mmapdemo/enable", "1"));

	ASSERT_EQ(0, device_stats(self->fd, &before));
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	touch_pages(p, len);
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(MAP_FAILED, map_shared(self, self->info.size + self->page, 0));
	ASSERT_EQ(0, device_stats(self->fd, &after));

	trace = read_file(dir, "trace");
	write_file(dir, "events/mmapdemo/enable", "0");
	rmdir(dir);
	ASSERT_NE(NULL, trace);

	/* Two mmap() calls in the file's mode: one mapped, one refused. */
	snprintf(field, sizeof(field), "mode=%s ", mode_name(variant->mode));
	EXPECT_EQ(2, count_lines(trace, "mmapdemo_mmap: "));
	EXPECT_EQ(2, count_lines(trace, field));
	EXPECT_EQ(1, count_lines(trace, " ret=-22"));
	if (event)
		EXPECT_LE(1, count_lines(trace, event)) TH_LOG("no %s", event);
	EXPECT_EQ(after.faults - before.faults,
		  count_lines(trace, "mmapdemo_fault: ") +
		  count_lines(trace, "mmapdemo_pfn_fault: "));
	EXPECT_EQ(after.around_pages - before.around_pages,
		  sum_field(trace, "mmapdemo_map_pages: ", " mapped="));
	EXPECT_EQ(after.huge_faults - before.huge_faults,
		  count_lines(trace, "result=mapped"));
	EXPECT_EQ(after.huge_fallbacks - before.huge_fallbacks,
		  count_lines(trace, "result=fallback"));
	EXPECT_EQ(variant->pfnmap ? 0 : expect_eager(variant, NPAGES),
		  sum_field(trace, "mmapdemo_insert: ", " pages="));
	EXPECT_EQ(1, count_lines(trace, "mmapdemo_vma_open: "));
	EXPECT_EQ(1, count_lines(trace, "mmapdemo_vma_close: "));
	free(trace);
}

static long debugfs_counter(const char *name)
{
	char *text = read_file(DEBUGFS, name);
	long val = text ? strtol(text, NULL, 10) : -1;

	free(text);
	return val;
}

/* The counters are root's alone, and are the ioctl's numbers. */
TEST_F(mmapdemo, debugfs_counters_match_stats_ioctl)
{
	struct mmapdemo_stats st;
	unsigned char *p;
	struct stat sb;
	char name[32];

	if (access(DEBUGFS, F_OK))
		SKIP(return, DEBUGFS " is missing: is debugfs mounted?");
	p = map_shared(self, NPAGES * self->page, 0);
	ASSERT_NE(MAP_FAILED, p);
	touch_pages(p, NPAGES * self->page);
	ASSERT_EQ(0, device_stats(self->fd, &st));

	EXPECT_EQ((long)st.opens, debugfs_counter("opens"));
	snprintf(name, sizeof(name), "mmaps_%s", mode_name(variant->mode));
	EXPECT_EQ((long)st.mmaps[variant->mode], debugfs_counter(name));
	EXPECT_EQ((long)st.faults, debugfs_counter("faults"));
	EXPECT_EQ((long)st.eager_pages, debugfs_counter("eager_pages"));
	EXPECT_EQ((long)st.live_vmas, debugfs_counter("live_vmas"));
	EXPECT_EQ((long)st.bytes_read, debugfs_counter("bytes_read"));
	EXPECT_EQ((long)st.bytes_written, debugfs_counter("bytes_written"));
	EXPECT_EQ((long)st.vma_lock_faults, debugfs_counter("vma_lock_faults"));
	EXPECT_EQ((long)st.around_pages, debugfs_counter("around_pages"));
	EXPECT_EQ((long)st.huge_faults, debugfs_counter("huge_faults"));
	EXPECT_EQ((long)st.huge_fallbacks, debugfs_counter("huge_fallbacks"));
	ASSERT_EQ(0, stat(DEBUGFS "faults", &sb));
	EXPECT_EQ(0400, sb.st_mode & 0777);
	munmap(p, NPAGES * self->page);
}

TEST_HARNESS_MAIN
