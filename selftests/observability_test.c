// SPDX-License-Identifier: GPL-2.0
/*
 * What the driver lets a person watch: its tracepoints fire for every mmap,
 * fault, fault-around window, batch of inserted pages and VMA open and
 * close, as often as its counters (MMAPDEMO_IOC_STATS) say.
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

TEST_HARNESS_MAIN
