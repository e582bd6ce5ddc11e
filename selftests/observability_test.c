// SPDX-License-Identifier: GPL-2.0
/*
 * What the driver lets a person watch: its tracepoints fire for every mmap,
 * fault, fault-around window, batch of inserted pages, VMA open and close,
 * tracked write, written-back run and reset, as often as its counters
 * (MMAPDEMO_IOC_STATS) say.
 */
#include <stdlib.h>

#include "mmapdemo_test.h"
#include "tracefs.h"

#define NPAGES		4

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
	char root[256], field[32], *trace;
	struct trace t;
	unsigned char *p;
	int ret;

	ret = trace_start(&t, root, sizeof(root));
	if (ret)
		SKIP(return, "%s: %s: no tracefs with mmapdemo events", root,
		     strerror(-ret));

	ASSERT_EQ(0, device_stats(self->fd, &before));
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	touch_pages(p, len);
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(MAP_FAILED, map_shared(self, self->info.size + self->page, 0));
	ASSERT_EQ(0, device_stats(self->fd, &after));

	trace = trace_read(t.dir, "trace");
	trace_stop(&t);
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
	/* Huge mode's handler: an event per call, at 1 GiB or 2 MiB. */
	EXPECT_EQ(after.pud_faults - before.pud_faults +
		  after.huge_faults - before.huge_faults,
		  count_lines(trace, "result=mapped"));
	EXPECT_EQ(after.pud_fallbacks - before.pud_fallbacks +
		  after.huge_fallbacks - before.huge_fallbacks,
		  count_lines(trace, "result=fallback"));
	EXPECT_EQ(after.pud_faults - before.pud_faults +
		  after.pud_fallbacks - before.pud_fallbacks,
		  count_lines(trace, "mmapdemo_huge_fault: level=1G "));
	EXPECT_EQ(after.huge_faults - before.huge_faults +
		  after.huge_fallbacks - before.huge_fallbacks,
		  count_lines(trace, "mmapdemo_huge_fault: level=2M "));
	EXPECT_EQ(variant->pfnmap ? 0 : expect_eager(variant, NPAGES),
		  sum_field(trace, "mmapdemo_insert: ", " pages="));
	EXPECT_EQ(1, count_lines(trace, "mmapdemo_vma_open: "));
	EXPECT_EQ(1, count_lines(trace, "mmapdemo_vma_close: "));
	free(trace);
}

/*
 * Write NPAGES pages of a tracked mapping, twice, msync() it and reset the
 * device: a write event per page made dirty, written-back runs that add up
 * to the pages msync() wrote back, and a reset event.
 */
TEST_F(mmapdemo, write_side_tracepoints_fire)
{
	size_t len = NPAGES * self->page;
	struct mmapdemo_stats before, after;
	char root[256], *trace;
	__u32 track = 1;
	struct trace t;
	unsigned char *p;
	int ret;

	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_SET_TRACK, &track));
	ret = trace_start(&t, root, sizeof(root));
	if (ret)
		SKIP(return, "%s: %s: no tracefs with mmapdemo events", root,
		     strerror(-ret));

	ASSERT_EQ(0, device_stats(self->fd, &before));
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 1, len);
	memset(p, 2, len);
	EXPECT_EQ(0, msync(p, len, MS_SYNC));
	ret = ioctl(self->fd, MMAPDEMO_IOC_RESET);
	EXPECT_EQ(0, ret ? errno : 0) TH_LOG("reset: %s", strerror(errno));
	ASSERT_EQ(0, munmap(p, len));
	ASSERT_EQ(0, device_stats(self->fd, &after));

	trace = trace_read(t.dir, "trace");
	trace_stop(&t);
	ASSERT_NE(NULL, trace);

	EXPECT_EQ(NPAGES, after.dirty_pages - before.dirty_pages);
	EXPECT_EQ(after.dirty_pages - before.dirty_pages,
		  count_lines(trace, " dirty=now"));
	EXPECT_EQ(0, count_lines(trace, " dirty=already"));
	EXPECT_EQ(count_lines(trace, "mmapdemo_mkwrite: "),
		  count_lines(trace, variant->pfnmap ? " map=pfn " : " map=page "));
	EXPECT_EQ(NPAGES, after.synced_pages - before.synced_pages);
	EXPECT_EQ(after.synced_pages - before.synced_pages,
		  sum_field(trace, "mmapdemo_writeback: ", " written="));
	EXPECT_EQ(1, after.resets - before.resets);
	EXPECT_EQ(1, count_lines(trace, "mmapdemo_reset: "));
	free(trace);
}

TEST_HARNESS_MAIN
