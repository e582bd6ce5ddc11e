// SPDX-License-Identifier: GPL-2.0
/*
 * fault mode's fault-around: a read fault maps the window of pages around it
 * (fault_around_bytes, cut to the VMA and to its page table), the
 * fault_around parameter turns that off for new mappings, write faults
 * never fault around, and a private mapping's fault-around pages are still
 * copied on write.  Also which lock the core holds when it calls the
 * driver's ->fault: with ->map_pages present, only the VMA's own lock (on a
 * kernel with per-VMA locks); without, the core gives up on that lock and
 * retries the fault under mmap_lock.
 */
#include "mmapdemo_test.h"

#define NPAGES	256

FIXTURE(around) {
	int fd;
	size_t page, pmd;
	unsigned long window;	/* pages */
	char fault_around[8];
	struct mmapdemo_stats before;
};

FIXTURE_SETUP(around)
{
	__u32 mode = MMAPDEMO_MODE_FAULT;
	struct mmapdemo_info info;

	self->page = page_size();
	self->pmd = pmd_pages() * self->page;
	self->fd = OPEN_OR_SKIP(O_RDWR);
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_SET_MODE, &mode));
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_INFO, &info));
	ASSERT_LE(NPAGES, info.pages);
	ASSERT_EQ(0, read_param("fault_around", self->fault_around,
				sizeof(self->fault_around)));
	self->window = fault_around_pages();
	TH_LOG("fault_around_bytes: %lu pages", self->window);
}

FIXTURE_TEARDOWN(around)
{
	if (self->fault_around[0])
		write_param("fault_around", self->fault_around);
	if (self->fd >= 0)
		close(self->fd);
}

static void snapshot(FIXTURE_DATA(around) *self)
{
	device_stats(self->fd, &self->before);
}

/*
 * Map @nr pages of the buffer at offset 0 in fault mode with fault_around
 * set to @on, at the start of a 2 MiB-aligned stretch of address space that
 * nothing else uses, so that its page table is new: then the counts below
 * do not depend on where mmap() would have put it.
 */
static unsigned char *map_fresh(FIXTURE_DATA(around) *self, bool on,
				unsigned long nr, unsigned long shift)
{
	unsigned char *area;

	if (write_param("fault_around", on ? "1" : "0"))
		return MAP_FAILED;
	area = reserve_aligned(self->pmd, self->pmd);
	if (area == MAP_FAILED)
		return area;
	return map_at(self->fd, area + shift * self->page, nr * self->page, 0);
}

static void unmap_fresh(FIXTURE_DATA(around) *self, unsigned char *p,
			unsigned long shift)
{
	munmap(p - shift * self->page, self->pmd);
}

/*
 * The first fault in the new page table maps its page only (->map_pages
 * cannot install the table, see fault.c); each one after that maps the rest
 * of its window: 1 + (NPAGES - 1) / window faults, 17 for the default
 * 64 KiB.  ->fault runs once; fault-around maps the other pages.
 */
TEST_F(around, read_fault_maps_the_window)
{
	unsigned long expect = 1 + (NPAGES - 1 + self->window - 1) / self->window;
	unsigned char *p;

	snapshot(self);
	p = map_fresh(self, true, NPAGES, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ((long)expect, read_faults(p, NPAGES * self->page));
	EXPECT_EQ(1, GREW(faults));
	EXPECT_EQ(NPAGES - 1, GREW(around_pages));
	EXPECT_EQ(NPAGES, pages_present(p, NPAGES));
	unmap_fresh(self, p, 0);
}

/*
 * The window is aligned in the address space, but kept inside the VMA
 * (do_fault_around()): a mapping that starts 3 pages into an aligned window
 * gets a window that starts with it, and a last window cut at its end.
 */
TEST_F(around, window_stays_inside_the_vma)
{
	unsigned long shift = 3, w = self->window, nr = 2 * w;
	struct fault_model m = { .window = w };
	unsigned char *p;
	long min, max;

	if (w < 8)
		SKIP(return, "fault_around_bytes is %lu pages", w);
	p = map_fresh(self, true, nr, shift);
	ASSERT_NE(MAP_FAILED, p);
	/* Page 0 alone (new page table), then pages 1 to w - 1 at once. */
	EXPECT_EQ(2, read_faults(p, w * self->page));
	EXPECT_EQ((long)w, pages_present(p, nr));
	/* The aligned window that page w is in, then the cut one after it. */
	EXPECT_EQ(2, read_faults(p + w * self->page, w * self->page));
	EXPECT_EQ((long)nr, pages_present(p, nr));
	/* The model the tests of every mode use (read_fault_range()). */
	read_fault_range(&m, p, 0, nr, &min, &max);
	EXPECT_LE(min, 4);
	EXPECT_GE(max, 4);
	unmap_fresh(self, p, shift);
}

/*
 * Write faults go to ->fault page by page: fault-around is for reads.  So do
 * reads with fault_around=0.  A fault the core first tries under the
 * per-VMA lock calls ->fault there only if the VMA has ->map_pages; without
 * it, the core drops that lock and retries the fault under mmap_lock
 * (vmf_can_call_fault()).  So with fault_around=1 every ->fault runs under
 * the VMA lock, with 0 none does.  A kernel without per-VMA locks never does.
 */
TEST_F(around, fault_runs_under_the_vma_lock_only_with_map_pages)
{
	bool vma_locks = kernel_has_per_vma_locks();
	size_t len = NPAGES * self->page;
	unsigned char *p;
	long before;

	snapshot(self);
	p = map_fresh(self, true, NPAGES, 0);
	ASSERT_NE(MAP_FAILED, p);
	before = minor_faults();
	fill_pattern(p, len, 0, 60);
	EXPECT_EQ(NPAGES, minor_faults() - before);
	EXPECT_EQ(NPAGES, GREW(faults));
	EXPECT_EQ(0, GREW(around_pages));
	EXPECT_EQ(vma_locks ? NPAGES : 0, GREW(vma_lock_faults));
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, 60));
	unmap_fresh(self, p, 0);

	snapshot(self);
	p = map_fresh(self, false, NPAGES, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(NPAGES, read_faults(p, len));
	EXPECT_EQ(NPAGES, GREW(faults));
	EXPECT_EQ(0, GREW(around_pages));
	EXPECT_EQ(0, GREW(vma_lock_faults));
	unmap_fresh(self, p, 0);
	TH_LOG("per-VMA locks: %s", vma_locks ? "yes" : "no");
}

/*
 * A private mapping's fault-around maps the buffer's pages read-only, so
 * that a write still copies: the buffer keeps its data.
 */
TEST_F(around, private_fault_around_pages_copy_on_write)
{
	size_t len = 32 * self->page;
	unsigned char *p;

	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 63));
	ASSERT_EQ(0, write_param("fault_around", "1"));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	snapshot(self);
	EXPECT_EQ(len, check_pattern(p, len, 0, 63));
	EXPECT_LE(1, GREW(around_pages));
	fill_pattern(p, len, 0, 64);
	EXPECT_EQ(len, check_pattern(p, len, 0, 64));
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, 63));
	munmap(p, len);
}

TEST_HARNESS_MAIN
