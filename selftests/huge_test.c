// SPDX-License-Identifier: GPL-2.0
/*
 * What only huge mode does: one fault maps 2 MiB with a PMD where the
 * mapping and the buffer allow it, at an address the driver picks for
 * that; 4 KiB pages where they do not (an offset or address off 2 MiB,
 * MADV_NOHUGEPAGE); the core splits such a PMD, never losing data or
 * memory, when a mapping is cut (munmap(), mprotect()) or moved (mremap()),
 * and copies it on fork(); GUP refuses it, /proc/self/mem reads it.
 *
 * Where the process cannot get PMDs - a kernel that cannot map a PFN with
 * one, or transparent huge pages disabled for the process - each test that
 * needs them is skipped, saying why (no_pmds()), and one test checks that
 * huge mode maps 4 KiB pages instead.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "mmapdemo_test.h"

FIXTURE(huge) {
	int fd;
	size_t page, pmd;	/* bytes */
	struct mmapdemo_info info;
	struct mmapdemo_stats before;
};

/* Skip unless huge mode can map the first @n PMDs of the buffer for us. */
#define NEED_PMDS(n) do {						\
	const char *__why = no_pmds(&self->info, (n));			\
									\
	if (__why)							\
		SKIP(return, "%s", __why);				\
} while (0)

/* Reading the fresh mapping @p of @len bytes takes a 4 KiB fault a page. */
#define EXPECT_4K_FAULTS(p, len) do {					\
	long __pages = (len) / self->page;				\
									\
	EXPECT_EQ(__pages, read_faults(p, len));			\
	EXPECT_EQ(__pages, GREW(faults));				\
	EXPECT_EQ(0, GREW(huge_faults));				\
} while (0)

FIXTURE_SETUP(huge)
{
	__u32 mode = MMAPDEMO_MODE_HUGE;

	self->page = page_size();
	self->pmd = pmd_pages() * self->page;
	self->fd = OPEN_OR_SKIP(O_RDWR);
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_SET_MODE, &mode));
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_INFO, &self->info));
	ASSERT_EQ(0, device_stats(self->fd, &self->before));
}

FIXTURE_TEARDOWN(huge)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * The driver places the mapping at an address that agrees with its offset
 * modulo 2 MiB, when it covers a whole 2 MiB of the buffer.
 */
TEST_F(huge, mapping_address_agrees_with_offset)
{
	unsigned char *p;

	NEED_PMDS(2);
	p = map_at(self->fd, NULL, self->pmd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, (uintptr_t)p % self->pmd) TH_LOG("%p", p);
	munmap(p, self->pmd);

	/*
	 * Offset 4 KiB, up to 4 MiB (the buffer's second 2 MiB): address
	 * 4 KiB past a 2 MiB boundary.  A shorter mapping covers no whole
	 * 2 MiB of the buffer and is placed as any other.
	 */
	p = map_at(self->fd, NULL, 2 * self->pmd - self->page, self->page);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(self->page, (uintptr_t)p % self->pmd) TH_LOG("%p", p);
	munmap(p, 2 * self->pmd - self->page);
}

/*
 * One minor fault, one PMD and no 4 KiB fault per 2 MiB, over every whole
 * 2 MiB of the buffer; data intact both ways.
 */
TEST_F(huge, one_fault_maps_2mib)
{
	size_t len = (size_t)self->info.huge_pages * self->page;
	long pmds = len / self->pmd;
	unsigned char *p;

	NEED_PMDS(1);
	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 50));
	p = map_at(self->fd, NULL, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(pmds, read_faults(p, len));
	EXPECT_EQ(pmds, GREW(huge_faults));
	EXPECT_EQ(0, GREW(huge_fallbacks));
	EXPECT_EQ(0, GREW(faults));
	EXPECT_EQ(len, check_pattern(p, len, 0, 50));
	fill_pattern(p, len, 0, 51);
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, 51));
	munmap(p, len);
}

/*
 * The address agrees with the offset, but the offset is no multiple of
 * 2 MiB: the 2 MiB around a fault span two PMD-sized blocks of the buffer,
 * so every fault falls back to 4 KiB.
 */
TEST_F(huge, misaligned_offset_falls_back_to_4k)
{
	size_t len = self->pmd;
	unsigned char *area, *p;

	NEED_PMDS(2);
	area = reserve_aligned(len, self->pmd);
	ASSERT_NE(MAP_FAILED, area);
	p = map_at(self->fd, area, len, self->page);
	ASSERT_EQ(area, p);
	EXPECT_4K_FAULTS(p, len);
	EXPECT_LE(1, GREW(huge_fallbacks));
	munmap(p, len);
}

/* Nor when the offset is aligned and the address is not. */
TEST_F(huge, misaligned_address_falls_back_to_4k)
{
	size_t len = self->pmd;
	unsigned char *area, *p;

	NEED_PMDS(1);
	area = reserve_aligned(len + self->pmd, self->pmd);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, munmap(area, len + self->pmd));
	p = map_at(self->fd, area + self->page, len, 0);
	ASSERT_EQ(area + self->page, p);
	EXPECT_4K_FAULTS(p, len);
	munmap(p, len);
}

/*
 * Unmapping one page out of a PMD splits it (thp_split_pmd): for a PFN map
 * the core just drops the PMD, and the pages left fault back 4 KiB each.
 * The other PMD stays, and no data is lost.
 */
TEST_F(huge, munmap_of_one_page_splits_the_pmd)
{
	size_t len = 2 * self->pmd, page = self->page;
	long splits = vmstat("thp_split_pmd");
	unsigned char *p;

	NEED_PMDS(2);
	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 52));
	p = map_at(self->fd, NULL, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(2, read_faults(p, len));
	ASSERT_EQ(0, munmap(p + 5 * page, page));
	EXPECT_EQ(splits + 1, vmstat("thp_split_pmd"));
	EXPECT_EQ(SIGSEGV, read_signal(p + 5 * page));
	/* Pages 0-4 and 6-511 fault again, 4 KiB each; the second PMD does not. */
	EXPECT_EQ((long)(self->pmd / page - 1), read_faults(p, 5 * page) +
		  read_faults(p + 6 * page, self->pmd - 6 * page) +
		  read_faults(p + self->pmd, self->pmd));
	EXPECT_EQ(5 * page, check_pattern(p, 5 * page, 0, 52));
	EXPECT_EQ(len - 6 * page,
		  check_pattern(p + 6 * page, len - 6 * page, 6 * page, 52));
	munmap(p, 5 * page);
	munmap(p + 6 * page, len - 6 * page);
	EXPECT_EQ(0, GREW(live_vmas));
}

/*
 * mprotect() of one page splits the PMD and the VMA: that page refuses
 * writes, the rest of the mapping takes them.  Making a whole 2 MiB
 * read-only and then writable again keeps its PMD: mprotect() changes the
 * PMD itself, both ways (a shared mapping without dirty tracking needs no
 * write fault to become writable), so writing takes no fault.
 */
TEST_F(huge, mprotect_of_part_splits_of_all_keeps_the_pmd)
{
	size_t len = 2 * self->pmd, page = self->page;
	long splits = vmstat("thp_split_pmd"), before;
	unsigned char *p;

	NEED_PMDS(2);
	p = map_at(self->fd, NULL, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(2, read_faults(p, len));
	ASSERT_EQ(0, mprotect(p + page, page, PROT_READ));
	EXPECT_EQ(splits + 1, vmstat("thp_split_pmd"));
	EXPECT_EQ(SIGSEGV, write_signal(p + page));
	EXPECT_EQ(0, write_signal(p + 2 * page));

	ASSERT_EQ(0, mprotect(p + self->pmd, self->pmd, PROT_READ));
	EXPECT_EQ(SIGSEGV, write_signal(p + self->pmd));
	ASSERT_EQ(0, mprotect(p + self->pmd, self->pmd, PROT_READ | PROT_WRITE));
	before = minor_faults();
	fill_pattern(p + self->pmd, self->pmd, self->pmd, 53);
	EXPECT_EQ(0, minor_faults() - before);
	EXPECT_EQ(0, read_check_pattern(self->fd, self->pmd, self->pmd, 53));
	EXPECT_EQ(splits + 1, vmstat("thp_split_pmd"));
	EXPECT_EQ(2, GREW(huge_faults));
	munmap(p, len);
	EXPECT_EQ(0, GREW(live_vmas));
}

/*
 * mremap() to a 2 MiB-aligned address moves the PMD as it is; to any other
 * address it splits it, and the pages fault back at their new place.
 */
TEST_F(huge, mremap_moves_or_splits_the_pmd)
{
	size_t len = self->pmd;
	unsigned char *p, *dst, *dst2;
	long faults;

	NEED_PMDS(1);
	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 54));
	p = map_at(self->fd, NULL, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(1, read_faults(p, len));

	dst = reserve_aligned(len, self->pmd);
	ASSERT_NE(MAP_FAILED, dst);
	ASSERT_EQ(dst, mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst));
	EXPECT_EQ(0, read_faults(dst, len));
	EXPECT_EQ(len, check_pattern(dst, len, 0, 54));

	dst2 = reserve_aligned(len + self->pmd, self->pmd);
	ASSERT_NE(MAP_FAILED, dst2);
	dst2 += self->page;
	ASSERT_EQ(dst2, mremap(dst, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst2));
	faults = GREW(faults);
	EXPECT_EQ((long)(len / self->page), read_faults(dst2, len));
	EXPECT_EQ((long)(len / self->page), GREW(faults) - faults);
	EXPECT_EQ(len, check_pattern(dst2, len, 0, 54));
	munmap(dst2 - self->page, len + self->pmd);
	EXPECT_EQ(0, GREW(live_vmas));
}

/* In a child: check the first 2 MiB of the buffer at @p, abort() if wrong. */
static void check_first_pmd(void *p)
{
	size_t len = pmd_pages() * page_size();

	if (check_pattern(p, len, 0, 55) != len)
		abort();
}

/*
 * fork() copies the PMD (copy_huge_pmd() of a special one): the child reads
 * the 2 MiB without calling into the driver.
 */
TEST_F(huge, fork_child_inherits_the_pmd)
{
	size_t len = self->pmd;
	unsigned char *p;

	NEED_PMDS(1);
	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 55));
	p = map_at(self->fd, NULL, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(1, read_faults(p, len));
	EXPECT_EQ(0, child_signal(check_first_pmd, p));
	EXPECT_EQ(1, GREW(huge_faults));
	EXPECT_EQ(0, GREW(huge_fallbacks));
	EXPECT_EQ(0, GREW(faults));
	munmap(p, len);
}

/*
 * A PMD that maps a PFN is special (pmd_special()): GUP-fast skips it and
 * slow GUP refuses the VM_PFNMAP VMA, so vmsplice() and process_vm_readv()
 * fail as for 4 KiB PFN maps (semantics_test).  /proc/self/mem goes
 * through ->access.
 */
TEST_F(huge, gup_refuses_the_pmd_proc_mem_does_not)
{
	size_t len = self->pmd;
	struct iovec iov, local;
	unsigned char *p, buf[64];
	int pipefd[2], mem;

	NEED_PMDS(1);
	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 56));
	p = map_at(self->fd, NULL, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(1, read_faults(p, len));

	ASSERT_EQ(0, pipe(pipefd));
	iov = (struct iovec){ p + self->page, self->page };
	EXPECT_EQ(-1, vmsplice(pipefd[1], &iov, 1, SPLICE_F_NONBLOCK));
	close(pipefd[0]);
	close(pipefd[1]);

	local = (struct iovec){ buf, sizeof(buf) };
	EXPECT_EQ(-1, process_vm_readv(getpid(), &local, 1, &iov, 1, 0));

	mem = open("/proc/self/mem", O_RDONLY);
	ASSERT_LE(0, mem);
	EXPECT_EQ((ssize_t)sizeof(buf), pread(mem, buf, sizeof(buf),
					      (uintptr_t)p + self->page));
	EXPECT_EQ(sizeof(buf), check_pattern(buf, sizeof(buf), self->page, 56));
	close(mem);
	munmap(p, len);
}

/* MADV_NOHUGEPAGE turns the PMDs off for the VMA: 4 KiB pages only. */
TEST_F(huge, madvise_nohugepage_maps_4k)
{
	size_t len = self->pmd;
	unsigned char *p;

	NEED_PMDS(1);
	p = map_at(self->fd, NULL, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, madvise(p, len, MADV_NOHUGEPAGE));
	EXPECT_4K_FAULTS(p, len);
	munmap(p, len);
}

/*
 * Where the process cannot get PMDs (no_pmds()), huge mode is pfn mode: a
 * mapping that would take PMDs elsewhere takes a 4 KiB fault per page.
 */
TEST_F(huge, without_pmd_support_falls_back_to_4k)
{
	size_t len = 2 * self->pmd < self->info.size ? 2 * self->pmd : self->info.size;
	unsigned char *area, *p;

	if (!no_pmds(&self->info, 1))
		SKIP(return, "this process gets PMDs (%u pages by PMD)",
		     self->info.huge_pages);
	area = reserve_aligned(len, self->pmd);
	ASSERT_NE(MAP_FAILED, area);
	p = map_at(self->fd, area, len, 0);
	ASSERT_EQ(area, p);
	EXPECT_4K_FAULTS(p, len);
	munmap(p, len);
}

TEST_HARNESS_MAIN
