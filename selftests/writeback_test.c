// SPDX-License-Identifier: GPL-2.0
/*
 * Write tracking and write-back: a mapping made after
 * MMAPDEMO_IOC_SET_TRACK(1) sends the first write to each page into the
 * driver, which counts the page dirty (stats.dirty_pages) once until a
 * sync; fsync() and fdatasync() write back every dirty page of the buffer,
 * msync(MS_SYNC) those of its range (stats.synced_pages), and re-arm them:
 * page maps keep their PTEs, write-protected, PFN maps lose them.  Reads,
 * write() and private copy-on-write writes never dirty a page; without
 * tracking a sync writes back nothing.
 *
 * The dirty pages belong to the buffer, not to a file or a test: each test
 * first writes back what others left, then checks deltas of the counters.
 */
#include <stdint.h>

#include "mmapdemo_test.h"

#define NPAGES	16

/* Whether this file's next mmap()s track writes; 0 or -errno. */
static int set_track(int fd, __u32 on)
{
	return ioctl(fd, MMAPDEMO_IOC_SET_TRACK, &on) ? -errno : 0;
}

/*
 * Set tracking to @on for the test's mappings, write back what earlier
 * tests left dirty, and read the counters into @st: what the test checks
 * are deltas from there.
 */
#define TRACK_FROM_CLEAN(on, st) do {					\
	int __err = set_track(self->fd, (on));				\
									\
	ASSERT_EQ(0, __err)						\
		TH_LOG("MMAPDEMO_IOC_SET_TRACK: %s (does the driver "	\
		       "track writes?)", errno_name(-__err));		\
	ASSERT_EQ(0, fsync(self->fd));					\
	ASSERT_EQ(0, device_stats(self->fd, &(st)));			\
} while (0)

/* How much the device's counter @field grew since @st was read, or -1. */
#define GREW_SINCE(st, field) ({					\
	struct mmapdemo_stats __now;					\
									\
	device_stats(self->fd, &__now) ? -1L :				\
		(long)(__now.field - (st).field);			\
})

/*
 * Fill page @i of the mapping @p, which maps the buffer from offset @off,
 * with the pattern of @seed.
 */
static void write_page(unsigned char *p, off_t off, unsigned long i,
		       unsigned int seed)
{
	size_t page = page_size();

	fill_pattern(p + i * page, page, off + i * page, seed);
}

/* The minor faults that writing page @i of @p takes. */
static long write_faults(unsigned char *p, off_t off, unsigned long i,
			 unsigned int seed)
{
	long before = minor_faults();

	write_page(p, off, i, seed);
	return minor_faults() - before;
}

/*
 * Without tracking, writes go straight to the buffer: a read maps a page
 * writable, so writing it takes no fault, and nothing is dirty.  The syncs
 * still succeed, with nothing to write back.
 */
TEST_F(mmapdemo, untracked_writes_dirty_nothing_sync_writes_back_0)
{
	static const unsigned long idx[] = { 0, 3, 7, 8, 15 };
	size_t len = NPAGES * self->page, i;
	struct mmapdemo_stats st, mapped;
	long faults = 0;
	unsigned char *p;

	TRACK_FROM_CLEAN(0, st);
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	touch_pages(p, len);
	/* Once untimed: the test's own code may fault in on the first call. */
	write_page(p, 0, idx[0], 70);
	ASSERT_EQ(0, device_stats(self->fd, &mapped));
	for (i = 0; i < ARRAY_SIZE(idx); i++)
		faults += write_faults(p, 0, idx[i], 70);
	EXPECT_EQ(0, faults);
	EXPECT_EQ(0, GREW_SINCE(mapped, faults));
	EXPECT_EQ(0, GREW_SINCE(st, dirty_pages));

	EXPECT_EQ(0, msync(p, len, MS_SYNC));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(0, fdatasync(self->fd));
	EXPECT_EQ(0, GREW_SINCE(st, synced_pages));
	for (i = 0; i < ARRAY_SIZE(idx); i++)
		EXPECT_EQ(0, read_check_pattern(self->fd, idx[i] * self->page,
						self->page, 70))
			TH_LOG("page %lu", idx[i]);
	munmap(p, len);
}

/*
 * A mapping keeps the tracking it was made with: only the one made while
 * the file had it on counts its write.
 */
TEST_F(mmapdemo, tracking_is_fixed_at_mmap_time)
{
	unsigned char *before_on, *tracked, *after_off;
	struct mmapdemo_stats st;
	size_t page = self->page;

	TRACK_FROM_CLEAN(0, st);
	before_on = map_shared(self, page, 0);
	ASSERT_NE(MAP_FAILED, before_on);
	ASSERT_EQ(0, set_track(self->fd, 1));
	tracked = map_shared(self, page, page);
	ASSERT_NE(MAP_FAILED, tracked);
	ASSERT_EQ(0, set_track(self->fd, 0));
	after_off = map_shared(self, page, 2 * page);
	ASSERT_NE(MAP_FAILED, after_off);

	write_page(before_on, 0, 0, 71);
	write_page(tracked, page, 0, 71);
	write_page(after_off, 2 * page, 0, 71);
	EXPECT_EQ(1, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(1, GREW_SINCE(st, synced_pages));
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, 3 * page, 71));
	munmap(after_off, page);
	munmap(tracked, page);
	munmap(before_on, page);
}

/* N pages written, N pages dirty, N pages written back, data intact. */
TEST_F(mmapdemo, written_pages_dirty_and_fsync_writes_them_back)
{
	static const unsigned long idx[] = { 0, 3, 7, 8, 15 };
	size_t len = NPAGES * self->page, i;
	long nr = ARRAY_SIZE(idx);
	struct mmapdemo_stats st;
	unsigned char *p;

	TRACK_FROM_CLEAN(1, st);
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < ARRAY_SIZE(idx); i++)
		write_page(p, 0, idx[i], 72);
	EXPECT_EQ(nr, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(0, GREW_SINCE(st, synced_pages));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(nr, GREW_SINCE(st, synced_pages));
	EXPECT_EQ(nr, GREW_SINCE(st, dirty_pages));
	for (i = 0; i < ARRAY_SIZE(idx); i++)
		EXPECT_EQ(self->page, check_pattern(p + idx[i] * self->page,
						    self->page,
						    idx[i] * self->page, 72))
			TH_LOG("page %lu", idx[i]);
	munmap(p, len);
}

/*
 * A page counts once between two syncs, however often and through however
 * many mappings it is written: a second mapping's first write enters the
 * driver again (its PTE is its own), and finds the page dirty already.
 */
TEST_F(mmapdemo, page_written_twice_counts_once)
{
	size_t len = NPAGES * self->page, page = self->page;
	struct mmapdemo_stats st;
	unsigned char *p, *q;

	TRACK_FROM_CLEAN(1, st);
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	q = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, q);

	write_page(p, 0, 2, 73);
	write_page(p, 0, 2, 74);
	EXPECT_EQ(1, GREW_SINCE(st, dirty_pages));
	write_page(q, 0, 2, 75);
	q[2 * page] ^= 0xff;
	q[2 * page] ^= 0xff;
	EXPECT_EQ(1, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(page, check_pattern(p + 2 * page, page, 2 * page, 75));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(1, GREW_SINCE(st, synced_pages));
	munmap(q, len);
	munmap(p, len);
}

/*
 * A sync re-arms the pages it writes back: the next write is tracked
 * again, whichever call wrote the page back; a sync with no write since
 * the last one writes back nothing.
 */
TEST_F(mmapdemo, write_after_sync_is_tracked_again)
{
	size_t len = NPAGES * self->page;
	struct mmapdemo_stats st;
	unsigned char *p;

	TRACK_FROM_CLEAN(1, st);
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);

	write_page(p, 0, 5, 76);
	EXPECT_EQ(1, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(1, GREW_SINCE(st, synced_pages));

	write_page(p, 0, 5, 77);
	EXPECT_EQ(2, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(0, fdatasync(self->fd));
	EXPECT_EQ(2, GREW_SINCE(st, synced_pages));

	write_page(p, 0, 5, 78);
	EXPECT_EQ(3, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(0, msync(p, len, MS_SYNC));
	EXPECT_EQ(3, GREW_SINCE(st, synced_pages));

	/* Nothing written since. */
	EXPECT_EQ(0, msync(p, len, MS_SYNC));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(0, fdatasync(self->fd));
	EXPECT_EQ(3, GREW_SINCE(st, synced_pages));
	EXPECT_EQ(3, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(0, read_check_pattern(self->fd, 5 * self->page, self->page, 78));
	munmap(p, len);
}

/*
 * msync(MS_SYNC) writes back the dirty pages of its own range of the
 * buffer: b's, at offset 8 pages, and not a's, which stay dirty for the
 * next fsync().  The offset makes a range taken from the start of the
 * buffer rather than of the mapping's offset fail too.
 */
TEST_F(mmapdemo, msync_writes_back_only_its_range)
{
	size_t half = NPAGES / 2 * self->page;
	struct mmapdemo_stats st;
	unsigned char *a, *b;

	TRACK_FROM_CLEAN(1, st);
	a = map_shared(self, half, 0);
	ASSERT_NE(MAP_FAILED, a);
	b = map_shared(self, half, half);
	ASSERT_NE(MAP_FAILED, b);

	write_page(a, 0, 1, 79);
	write_page(a, 0, 4, 79);
	write_page(a, 0, 6, 79);
	write_page(b, half, 0, 79);
	write_page(b, half, 7, 79);
	EXPECT_EQ(5, GREW_SINCE(st, dirty_pages));

	EXPECT_EQ(0, msync(b, half, MS_SYNC));
	EXPECT_EQ(2, GREW_SINCE(st, synced_pages));
	EXPECT_EQ(0, msync(b, half, MS_SYNC));
	EXPECT_EQ(2, GREW_SINCE(st, synced_pages));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(5, GREW_SINCE(st, synced_pages));
	munmap(b, half);
	munmap(a, half);
}

/*
 * fsync() writes back the whole buffer, whichever file it is called on:
 * here one opened after the writes, which mapped nothing, for pages at
 * both ends of the buffer written through two mappings of the first file.
 */
TEST_F(mmapdemo, fsync_of_any_file_writes_back_the_whole_buffer)
{
	off_t last = (self->info.pages - 1) * self->page;
	struct mmapdemo_stats st;
	unsigned char *first, *end;
	int fd;

	TRACK_FROM_CLEAN(1, st);
	first = map_shared(self, self->page, 0);
	ASSERT_NE(MAP_FAILED, first);
	end = map_shared(self, self->page, last);
	ASSERT_NE(MAP_FAILED, end);
	write_page(first, 0, 0, 80);
	write_page(end, last, 0, 80);
	EXPECT_EQ(2, GREW_SINCE(st, dirty_pages));

	fd = open(DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fsync(fd));
	EXPECT_EQ(2, GREW_SINCE(st, synced_pages));
	close(fd);
	munmap(end, self->page);
	munmap(first, self->page);
}

/*
 * Reading a tracked mapping, before a sync or after it, dirties nothing;
 * a sync keeps the data (it is in the buffer, which a sync only counts),
 * and a write to a page that a read mapped is tracked like any other.
 */
TEST_F(mmapdemo, reads_never_dirty_and_data_survives_sync)
{
	size_t len = NPAGES * self->page;
	struct mmapdemo_stats st;
	unsigned char *p;

	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 81));
	TRACK_FROM_CLEAN(1, st);
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(len, check_pattern(p, len, 0, 81));
	EXPECT_EQ(0, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(0, GREW_SINCE(st, synced_pages));

	fill_pattern(p, len, 0, 82);
	EXPECT_EQ(NPAGES, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(NPAGES, GREW_SINCE(st, synced_pages));
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, 82));
	EXPECT_EQ(len, check_pattern(p, len, 0, 82));
	EXPECT_EQ(NPAGES, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(NPAGES, GREW_SINCE(st, synced_pages));
	munmap(p, len);
}

/* Only writes through a mapping dirty a page, not write() to the file. */
TEST_F(mmapdemo, write_to_the_file_dirties_nothing)
{
	size_t len = NPAGES * self->page;
	struct mmapdemo_stats st;
	unsigned char *p;

	TRACK_FROM_CLEAN(1, st);
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	touch_pages(p, len);
	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 83));
	EXPECT_EQ(len, check_pattern(p, len, 0, 83));
	EXPECT_EQ(0, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(0, GREW_SINCE(st, synced_pages));
	munmap(p, len);
}

/*
 * A private write copies the page into the process's own memory and never
 * reaches the buffer, so there is nothing to write back: no page counts,
 * read before the write (the copy of a mapped page) or not (a fresh one).
 * The one shared write afterwards shows that the file tracks.
 */
TEST_F(mmapdemo, private_cow_writes_never_count)
{
	size_t len = NPAGES * self->page;
	struct mmapdemo_stats st;
	unsigned char *priv, *shared;

	if (!expect_cow(variant))
		SKIP(return, "%s refuses writable MAP_PRIVATE mappings: "
		     "no copy on write to count", mode_name(variant->mode));
	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 84));
	TRACK_FROM_CLEAN(1, st);
	priv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, priv);
	touch_pages(priv, len / 2);
	fill_pattern(priv, len, 0, 85);
	EXPECT_EQ(0, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(0, GREW_SINCE(st, synced_pages));
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, 84));

	shared = map_shared(self, self->page, 0);
	ASSERT_NE(MAP_FAILED, shared);
	write_page(shared, 0, 0, 86);
	EXPECT_EQ(1, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(1, GREW_SINCE(st, synced_pages));
	EXPECT_EQ(len, check_pattern(priv, len, 0, 85));
	munmap(shared, self->page);
	munmap(priv, len);
}

/*
 * How a sync re-arms a page it wrote back.  A page map write-protects its
 * PTE (folio_mkclean()): the page stays mapped, reading it takes no fault,
 * writing it a write fault that the driver counts.  A PFN map has no
 * struct page to clean, so it zaps the PTE: reading the page faults into
 * the driver (stats.faults), and a write after that is tracked as well.
 * Either way a page the sync did not write back keeps its PTE.
 */
TEST_F(mmapdemo, sync_zaps_pfn_maps_and_write_protects_page_maps)
{
	size_t len = NPAGES * self->page, page = self->page;
	struct mmapdemo_stats st, synced;
	long refault = variant->pfnmap ? 1 : 0;
	unsigned char *p;

	TRACK_FROM_CLEAN(1, st);
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	write_page(p, 0, 5, 87);
	touch_pages(p, len);
	EXPECT_EQ(1, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(1, GREW_SINCE(st, synced_pages));

	ASSERT_EQ(0, device_stats(self->fd, &synced));
	EXPECT_EQ(expect_present(variant, 1), pages_present(p + 5 * page, 1));
	EXPECT_EQ(refault, read_faults(p + 5 * page, page));
	EXPECT_EQ(refault, GREW_SINCE(synced, faults));
	EXPECT_EQ(0, read_faults(p + 6 * page, page));
	EXPECT_EQ(refault, GREW_SINCE(synced, faults));
	EXPECT_EQ(0, GREW_SINCE(synced, dirty_pages));

	EXPECT_EQ(1, write_faults(p, 0, 5, 88));
	EXPECT_EQ(1, GREW_SINCE(synced, dirty_pages));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(1, GREW_SINCE(synced, synced_pages));
	EXPECT_EQ(0, read_check_pattern(self->fd, 5 * page, page, 88));
	munmap(p, len);
}

/*
 * Huge mode with tracking still reads 2 MiB with one read-only PMD, but
 * never maps a write with a PMD: the write splits it, and the written
 * 4 KiB pages count, each once, not the 2 MiB around them.
 */
TEST_F(mmapdemo, huge_write_dirties_only_the_written_4k_pages)
{
	static const unsigned long idx[] = { 1, 200, 511 };
	size_t pmd = pmd_pages() * self->page, i;
	long nr = ARRAY_SIZE(idx);
	struct mmapdemo_stats st;
	const char *why;
	unsigned char *p;

	if (!variant->huge)
		SKIP(return, "%s maps no PMDs", mode_name(variant->mode));
	why = no_pmds(&self->info, 1);
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, write_pattern(self->fd, 0, pmd, 89));
	TRACK_FROM_CLEAN(1, st);
	p = map_shared(self, pmd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(pmd, check_pattern(p, pmd, 0, 89));
	EXPECT_EQ(1, GREW_SINCE(st, huge_faults));
	EXPECT_EQ(0, GREW_SINCE(st, dirty_pages));

	for (i = 0; i < ARRAY_SIZE(idx); i++)
		write_page(p, 0, idx[i], 90);
	write_page(p, 0, idx[1], 90);
	EXPECT_EQ(nr, GREW_SINCE(st, dirty_pages));
	EXPECT_EQ(1, GREW_SINCE(st, huge_faults));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(nr, GREW_SINCE(st, synced_pages));
	for (i = 0; i < ARRAY_SIZE(idx); i++)
		EXPECT_EQ(0, read_check_pattern(self->fd, idx[i] * self->page,
						self->page, 90))
			TH_LOG("page %lu", idx[i]);
	EXPECT_EQ(0, read_check_pattern(self->fd, 2 * self->page,
					self->page, 89));
	munmap(p, pmd);
}

TEST_HARNESS_MAIN
