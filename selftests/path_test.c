// SPDX-License-Identifier: GPL-2.0
/*
 * The page-table path of each mode: what pagemap shows before and after a
 * touch, the minor faults a first read takes, the pages the driver maps in
 * mmap() or lazily, the VmFlags, the mapcount of a page as mappings come and
 * go; and the data through mappings of every shape: at each page offset
 * (the last one too), shorter than a page, the whole buffer both ways, two
 * at once.
 */
#include "mmapdemo_test.h"

#define NPAGES	32

/*
 * Lazy modes: nothing is present right after mmap(), every touched page
 * after.  insert: everything from mmap() on.  PFN maps: the PTEs are there
 * once mapped, but pagemap cannot show them (see expect_present()), so it
 * reports none either way.
 */
TEST_F(mmapdemo, pagemap_shows_pages_once_mapped)
{
	unsigned char *p = map_shared(self, NPAGES * self->page, 0);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(expect_present_after_mmap(variant, NPAGES), pages_present(p, NPAGES));
	touch_pages(p, NPAGES * self->page);
	EXPECT_EQ(expect_present(variant, NPAGES), pages_present(p, NPAGES));
	munmap(p, NPAGES * self->page);
}

/*
 * One minor fault per page, per fault-around window or per 2 MiB PMD (this
 * mapping is too small for one); none for an eager mode.
 */
TEST_F(mmapdemo, read_touch_minor_faults_match_mode)
{
	unsigned char *p = map_shared(self, NPAGES * self->page, 0);
	long faults, min, max;

	ASSERT_NE(MAP_FAILED, p);
	expect_read_faults(self, variant, p, 0, NPAGES, &min, &max);
	faults = read_faults(p, NPAGES * self->page);
	TH_LOG("%ld minor faults for %d pages at %p", faults, NPAGES, p);
	EXPECT_LE(min, faults);
	EXPECT_GE(max, faults);
	/* A second touch finds every PTE in place. */
	EXPECT_EQ(0, read_faults(p, NPAGES * self->page));
	munmap(p, NPAGES * self->page);
}

/* The driver's handlers map each page once, even if touched twice. */
TEST_F(mmapdemo, fault_handlers_map_each_lazy_page_once)
{
	struct mmapdemo_stats before, after;
	unsigned char *p;

	ASSERT_EQ(0, device_stats(self->fd, &before));
	p = map_shared(self, NPAGES * self->page, 0);
	ASSERT_NE(MAP_FAILED, p);
	touch_pages(p, NPAGES * self->page);
	touch_pages(p, NPAGES * self->page);
	ASSERT_EQ(0, device_stats(self->fd, &after));
	EXPECT_EQ(expect_lazy(variant, NPAGES), lazy_pages(&before, &after));
	munmap(p, NPAGES * self->page);
}

TEST_F(mmapdemo, mmap_maps_eager_pages_at_once)
{
	struct mmapdemo_stats before, after;
	unsigned char *p;

	ASSERT_EQ(0, device_stats(self->fd, &before));
	p = map_shared(self, NPAGES * self->page, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, device_stats(self->fd, &after));
	EXPECT_EQ(expect_eager(variant, NPAGES),
		  after.eager_pages - before.eager_pages);
	EXPECT_EQ(before.mmaps[variant->mode] + 1, after.mmaps[variant->mode]);
	EXPECT_EQ(before.live_vmas + 1, after.live_vmas);
	munmap(p, NPAGES * self->page);
}

TEST_F(mmapdemo, smaps_vmflags_match_mode)
{
	unsigned char *p = map_shared(self, NPAGES * self->page, 0);
	char flags[256];

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, vma_flags(p, flags, sizeof(flags)));
	TH_LOG("VmFlags:%s", flags);
	EXPECT_STREQ("", vma_flag_mismatch(flags, expect_vmflags(variant), true));
	EXPECT_STREQ("", vma_flag_mismatch(flags, expect_no_vmflags(variant), false));
	munmap(p, NPAGES * self->page);
}

TEST_F(mmapdemo, mapping_at_each_page_offset_starts_there)
{
	size_t page = self->page, pgoff, bad = 0;
	unsigned char *p;

	ASSERT_EQ(0, write_pattern(self->fd, 0, self->info.size, 3));
	for (pgoff = 0; pgoff < self->info.pages; pgoff++) {
		p = map_shared(self, page, pgoff * page);
		ASSERT_NE(MAP_FAILED, p) TH_LOG("page offset %zu", pgoff);
		if (check_pattern(p, page, pgoff * page, 3) != page && !bad++)
			TH_LOG("wrong data at page offset %zu", pgoff);
		munmap(p, page);
	}
	EXPECT_EQ(0, bad);
}

/* mmap() rounds the length up: the whole page is mapped, and its data. */
TEST_F(mmapdemo, sub_page_length_maps_whole_page)
{
	size_t off = 3 * self->page;
	unsigned char *p;

	ASSERT_EQ(0, write_pattern(self->fd, off, self->page, 4));
	p = map_shared(self, 100, off);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(self->page, check_pattern(p, self->page, off, 4));
	munmap(p, 100);
}

/* What write() stored shows in the mapping, and what it stores, in read(). */
TEST_F(mmapdemo, whole_buffer_maps)
{
	size_t len = self->info.size;
	unsigned char *p;

	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 5));
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(len, check_pattern(p, len, 0, 5));
	fill_pattern(p, len, 0, 6);
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, 6));
	munmap(p, len);
}

/*
 * The core counts the mappings of a struct page (its mapcount, which
 * /proc/kpagecount shows) as PTEs come and go, whoever wrote them: the
 * core for ->fault, vm_insert_pages() for insert and fault-around.  A PFN
 * map is a hole to pagemap, so there is no frame number to look at.
 */
TEST_F(mmapdemo, mapcount_follows_mappings_of_page_maps)
{
	size_t len = 4 * self->page;
	unsigned char *a = map_shared(self, len, 0), *b;
	unsigned long pfn;

	ASSERT_NE(MAP_FAILED, a);
	touch_pages(a, len);
	pfn = page_pfn(a + self->page);
	EXPECT_EQ(expect_present(variant, 1), !!pfn);
	if (!pfn) {
		munmap(a, len);
		return;
	}
	EXPECT_EQ(1, page_mapcount(pfn));
	b = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, b);
	touch_pages(b, len);
	EXPECT_EQ(pfn, page_pfn(b + self->page));
	EXPECT_EQ(2, page_mapcount(pfn));
	ASSERT_EQ(0, munmap(a, len));
	EXPECT_EQ(1, page_mapcount(pfn));
	ASSERT_EQ(0, munmap(b, len));
	EXPECT_EQ(0, page_mapcount(pfn));
}

/* Two mappings of one range are two views of the same memory. */
TEST_F(mmapdemo, two_mappings_see_each_others_writes)
{
	size_t len = NPAGES * self->page;
	unsigned char *a = map_shared(self, len, 0);
	unsigned char *b = map_shared(self, len, 0);

	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	fill_pattern(a, len, 0, 8);
	EXPECT_EQ(len, check_pattern(b, len, 0, 8));
	munmap(a, len);
	munmap(b, len);
}

TEST_HARNESS_MAIN
