// SPDX-License-Identifier: GPL-2.0
/*
 * Huge mode at the top of the page-table hierarchy: where the kernel can map
 * a PFN with a PUD and the buffer starts with a 1 GiB chunk, one fault maps
 * 1 GiB, at an address the driver picks for that; elsewhere (an address or
 * offset off 1 GiB, a mapping that covers less, no chunk) the fault falls
 * back to 2 MiB.  Cutting a mapping (munmap(), mprotect(), mremap() of
 * part), moving it (mremap()), or a sync re-arming a page under it takes the
 * PUD down without losing data, and the pages fault back; fork() copies it; GUP
 * refuses it and /proc/self/mem reads it.
 *
 * The tests need the module loaded with a buffer of 1 GiB and 2 MiB, which
 * needs a guest of 6 GiB for a free, aligned GiB to be there (qemu/run
 * --memory 6G).  They share one load: each takes seconds, and each finds
 * fewer free GiB, as the kernel's own allocations spread into the pages the
 * last buffer gave back.  The default is back after the last test.  Where
 * the kernel cannot map a PUD, the process has no transparent huge pages,
 * or the buffer got no 1 GiB chunk, the tests are skipped, saying why.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "mmapdemo_test.h"

#define GIB		(1UL << 30)
#define BUFFER_SIZE	1075838976UL		/* 1 GiB + 2 MiB */
#define SAMPLES		256
/* A word that an x86-64 page table would take for a 2 MiB page: P RW U A D PSE NX. */
#define HUGE_PMD	0x80000000000000e7ULL

FIXTURE(pud) {
	int fd;
	size_t page, pmd;	/* bytes */
	struct mmapdemo_info info;
	struct mmapdemo_stats before;
};

/*
 * Why this process cannot get 1 GiB at a time from the loaded driver, or
 * NULL if it can: @info of its buffer.
 */
static const char *no_puds(const struct mmapdemo_info *info)
{
	const char *why = no_pmds(info, 1);

	if (why)
		return why;
	if (!(info->levels & MMAPDEMO_LEVEL_PUD))
		return "this kernel cannot map a PFN with a PUD "
		       "(no CONFIG_ARCH_SUPPORTS_PUD_PFNMAP): huge mode maps 2 MiB at most";
	if (!info->pud_pages)
		return "the buffer got no 1 GiB chunk: no free or movable, "
		       "aligned GiB of RAM at load (qemu/run --memory 6G)";
	return NULL;
}

/* Whether the module is loaded with the tests' buffer, and @gigantic. */
static bool loaded_with(bool gigantic)
{
	char size[32], yes[8];

	return !read_param("size", size, sizeof(size)) &&
	       strtoul(size, NULL, 10) == BUFFER_SIZE &&
	       !read_param("gigantic", yes, sizeof(yes)) &&
	       (yes[0] == 'Y') == gigantic;
}

/* After the last test (in the harness's process): the default module. */
static void __attribute__((destructor)) restore_default_module(void)
{
	if (module_path() && (loaded_with(true) || loaded_with(false))) {
		module_unload();
		module_load("");
	}
}

/*
 * Have the module loaded with the tests' buffer and @gigantic, open it in
 * huge mode and read its info; NULL, or why not.
 */
static const char *load(FIXTURE_DATA(pud) *self, bool gigantic)
{
	static char why[192];
	__u32 mode = MMAPDEMO_MODE_HUGE;
	char params[64];
	int ret;

	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	if (!loaded_with(gigantic)) {
		if (module_unload())
			return "cannot unload the module: is /dev/mmapdemo in use?";
		snprintf(params, sizeof(params), "size=%lu gigantic=%d",
			 BUFFER_SIZE, gigantic);
		ret = module_load(params);
		if (ret) {
			snprintf(why, sizeof(why), "cannot load a buffer of 1 GiB "
				 "and 2 MiB: %s (it takes a guest of 6 GiB: "
				 "qemu/run --memory 6G)", strerror(-ret));
			return why;
		}
	}
	self->fd = open(DEVICE, O_RDWR);
	if (self->fd < 0 || ioctl(self->fd, MMAPDEMO_IOC_SET_MODE, &mode) ||
	    ioctl(self->fd, MMAPDEMO_IOC_INFO, &self->info) ||
	    device_stats(self->fd, &self->before))
		return "cannot open the reloaded device";
	return NULL;
}

FIXTURE_SETUP(pud)
{
	const char *why;

	self->page = page_size();
	self->pmd = pmd_pages() * self->page;
	self->fd = OPEN_OR_SKIP(O_RDWR);
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_INFO, &self->info));
	if (!(self->info.levels & MMAPDEMO_LEVEL_PUD))
		SKIP(return, "%s", no_puds(&self->info));
	if (!module_path())
		SKIP(return, "MMAPDEMO_KO is not set: the module cannot be reloaded");
	why = load(self, true);
	if (!why)
		why = no_puds(&self->info);
	if (why)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(pud)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Byte offset of sample @i in a GiB: one per 4 MiB, at a varying place. */
static size_t sample_off(unsigned int i)
{
	size_t span = GIB / SAMPLES;

	return i * span + ((size_t)i * 4099 * 8) % span;
}

/* The value of sample @i for buffer offset @off and @seed. */
static uint64_t sample_val(size_t off, unsigned int i, unsigned int seed)
{
	return (off + sample_off(i)) * 2654435761u + seed;
}

/* Write the samples of the GiB at buffer offset @off with write(). */
static int write_samples(int fd, size_t off, unsigned int seed)
{
	uint64_t v;
	unsigned int i;

	for (i = 0; i < SAMPLES; i++) {
		v = sample_val(off, i, seed);
		if (pwrite(fd, &v, sizeof(v), off + sample_off(i)) != sizeof(v))
			return -1;
	}
	return 0;
}

/* How many samples the mapping @p of buffer offset @off shows right. */
static unsigned int mapped_samples(const unsigned char *p, size_t off,
				   unsigned int seed)
{
	unsigned int i, right = 0;

	for (i = 0; i < SAMPLES; i++)
		right += *(const uint64_t *)(p + sample_off(i)) ==
			 sample_val(off, i, seed);
	return right;
}

/* Write the samples through the mapping @p; read() must see them. */
static unsigned int write_mapped_samples(int fd, unsigned char *p, size_t off,
					 unsigned int seed)
{
	unsigned int i, right = 0;
	uint64_t v;

	for (i = 0; i < SAMPLES; i++)
		*(uint64_t *)(p + sample_off(i)) = sample_val(off, i, seed);
	for (i = 0; i < SAMPLES; i++)
		right += pread(fd, &v, sizeof(v), off + sample_off(i)) == sizeof(v) &&
			 v == sample_val(off, i, seed);
	return right;
}

/* A 1 GiB mapping of offset 0 that the driver placed. */
static unsigned char *map_gib(FIXTURE_DATA(pud) *self)
{
	return map_at(self->fd, NULL, GIB, 0);
}

/*
 * The driver places a mapping that covers a whole GiB of the buffer 1 GiB
 * aligned, and one that does not 2 MiB aligned only.
 */
TEST_F(pud, mapping_address_agrees_with_offset_modulo_1gib)
{
	unsigned char *p;

	p = map_gib(self);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, (uintptr_t)p % GIB) TH_LOG("%p", p);
	munmap(p, GIB);

	p = map_at(self->fd, NULL, GIB, self->pmd);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, (uintptr_t)p % self->pmd) TH_LOG("%p", p);
	munmap(p, GIB);
}

/*
 * One minor fault and one PUD map the whole GiB: no 2 MiB or 4 KiB fault,
 * and the data are the buffer's, both ways.
 */
TEST_F(pud, one_fault_maps_1gib)
{
	unsigned char *p;

	ASSERT_EQ(0, write_samples(self->fd, 0, 1));
	p = map_gib(self);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(1, read_faults(p, GIB));
	EXPECT_EQ(1, GREW(pud_faults));
	EXPECT_EQ(0, GREW(pud_fallbacks));
	EXPECT_EQ(0, GREW(huge_faults));
	EXPECT_EQ(0, GREW(faults));
	EXPECT_EQ(SAMPLES, mapped_samples(p, 0, 1));
	EXPECT_EQ(SAMPLES, write_mapped_samples(self->fd, p, 0, 2));
	munmap(p, GIB);
}

/*
 * Read the fresh mapping @p of @len bytes at buffer offset @off: no PUD, a
 * PMD for at least each of its whole 2 MiB in a 2 MiB chunk (smaller chunks
 * that happen to lie in a row may make more), 4 KiB pages for the rest.
 */
static void expect_2mib_faults(struct __test_metadata *_metadata,
			       FIXTURE_DATA(pud) *self, unsigned char *p,
			       size_t off, size_t len)
{
	size_t chunked = self->info.pmd_pages * self->page;
	size_t pmd_len = chunked > off ? (chunked - off < len ? chunked - off : len) : 0;
	long minflt = read_faults(p, len);
	long pmds = GREW(huge_faults), ptes = GREW(faults);

	EXPECT_EQ(0, GREW(pud_faults));
	EXPECT_LE(1, GREW(pud_fallbacks));
	EXPECT_LE((long)(pmd_len / self->pmd), pmds);
	EXPECT_EQ((long)(len / self->page), pmds * (long)(self->pmd / self->page) + ptes);
	EXPECT_EQ(pmds + ptes, minflt);
}

/*
 * Address aligned, offset 2 MiB: the GiB at the address is 2 MiB into a GiB
 * of the buffer, so PMDs map it.
 */
TEST_F(pud, misaligned_offset_falls_back_to_2mib)
{
	unsigned char *area, *p;

	ASSERT_EQ(0, write_samples(self->fd, self->pmd, 3));
	area = reserve_aligned(GIB, GIB);
	ASSERT_NE(MAP_FAILED, area);
	p = map_at(self->fd, area, GIB, self->pmd);
	ASSERT_EQ(area, p);
	expect_2mib_faults(_metadata, self, p, self->pmd, GIB);
	EXPECT_EQ(SAMPLES, mapped_samples(p, self->pmd, 3));
	munmap(p, GIB);
}

/*
 * Offset 0, address 2 MiB past a GiB: no whole GiB of the mapping is
 * aligned, so PMDs map it.
 */
TEST_F(pud, misaligned_address_falls_back_to_2mib)
{
	unsigned char *area, *p;

	ASSERT_EQ(0, write_samples(self->fd, 0, 4));
	area = reserve_aligned(2 * GIB, GIB);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, munmap(area, 2 * GIB));
	p = map_at(self->fd, area + self->pmd, GIB, 0);
	ASSERT_EQ(area + self->pmd, p);
	expect_2mib_faults(_metadata, self, p, 0, GIB);
	EXPECT_EQ(SAMPLES, mapped_samples(p, 0, 4));
	munmap(p, GIB);
}

/* A mapping 2 MiB short of a GiB, at an aligned address: PMDs. */
TEST_F(pud, mapping_short_of_1gib_falls_back_to_2mib)
{
	unsigned char *area, *p;

	area = reserve_aligned(GIB, GIB);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, munmap(area + GIB - self->pmd, self->pmd));
	p = map_at(self->fd, area, GIB - self->pmd, 0);
	ASSERT_EQ(area, p);
	expect_2mib_faults(_metadata, self, p, 0, GIB - self->pmd);
	munmap(p, GIB - self->pmd);
}

/*
 * Unmapping one page takes the PUD down: the driver does so before the core
 * cuts the VMA (->may_split), which in 6.12 would take the first page under
 * the PUD for a PMD table and clear a word of it that looks like a huge PMD.
 * Sample 0 is such a word.  The pages left fault back, 4 KiB in the first
 * 2 MiB, which the hole cuts, and 2 MiB elsewhere.
 */
TEST_F(pud, munmap_of_one_page_takes_the_pud_down)
{
	size_t page = self->page;
	unsigned char *p;

	ASSERT_EQ(0, write_samples(self->fd, 0, 6));
	p = map_gib(self);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(1, read_faults(p, GIB));
	*(uint64_t *)p = HUGE_PMD;
	ASSERT_EQ(0, munmap(p + 5 * page, page));
	EXPECT_EQ(SIGSEGV, read_signal(p + 5 * page));
	EXPECT_EQ((long)(2 * (self->pmd / page - 1)),
		  read_faults(p, 5 * page) +
		  read_faults(p + 6 * page, GIB - 6 * page));
	EXPECT_EQ(HUGE_PMD, *(uint64_t *)p);
	EXPECT_EQ(1, GREW(pud_faults));
	EXPECT_EQ((long)(self->pmd / page - 1), GREW(huge_faults));
	EXPECT_EQ((long)(self->pmd / page - 1), GREW(faults));
	EXPECT_EQ(SAMPLES - 1, mapped_samples(p, 0, 6));
	munmap(p, 5 * page);
	munmap(p + 6 * page, GIB - 6 * page);
	EXPECT_EQ(0, GREW(live_vmas));
}

/*
 * mprotect() of the whole GiB changes the PUD in place, both ways, with no
 * fault; of one page, it takes the PUD down (keeping a word that looks like
 * a huge PMD, as munmap() does), and the rest faults back.
 */
TEST_F(pud, mprotect_of_all_keeps_of_part_takes_the_pud_down)
{
	size_t page = self->page;
	unsigned char *p;
	long before;

	p = map_gib(self);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(1, read_faults(p, GIB));
	ASSERT_EQ(0, mprotect(p, GIB, PROT_READ));
	EXPECT_EQ(SIGSEGV, write_signal(p + self->pmd));
	ASSERT_EQ(0, mprotect(p, GIB, PROT_READ | PROT_WRITE));
	before = minor_faults();
	EXPECT_EQ(SAMPLES, write_mapped_samples(self->fd, p, 0, 7));
	EXPECT_EQ(0, minor_faults() - before);

	*(uint64_t *)p = HUGE_PMD;
	ASSERT_EQ(0, mprotect(p + page, page, PROT_READ));
	EXPECT_EQ(SIGSEGV, write_signal(p + page));
	EXPECT_EQ(0, write_signal(p + 2 * page));
	EXPECT_EQ(1, GREW(pud_faults));
	EXPECT_LE(1, GREW(faults));
	EXPECT_EQ(HUGE_PMD, *(uint64_t *)p);
	EXPECT_EQ(SAMPLES - 1, mapped_samples(p, 0, 7));
	munmap(p, GIB);
	EXPECT_EQ(0, GREW(live_vmas));
}

/*
 * mremap() cannot move the PUD in 6.12: the driver takes it down first, so
 * that the core neither reports a "bad pud" nor reads the buffer as page
 * tables.  Moved to a 1 GiB-aligned address, the mapping faults back one
 * PUD; moved 4 KiB past one, 4 KiB at a time.
 */
TEST_F(pud, mremap_takes_the_pud_down)
{
	unsigned char *p, *dst, *dst2;
	long faults;

	ASSERT_EQ(0, write_samples(self->fd, 0, 8));
	p = map_gib(self);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(1, read_faults(p, GIB));

	dst = reserve_aligned(GIB, GIB);
	ASSERT_NE(MAP_FAILED, dst);
	ASSERT_EQ(dst, mremap(p, GIB, GIB, MREMAP_MAYMOVE | MREMAP_FIXED, dst));
	EXPECT_EQ(1, read_faults(dst, GIB));
	EXPECT_EQ(2, GREW(pud_faults));
	EXPECT_EQ(SAMPLES, mapped_samples(dst, 0, 8));

	dst2 = reserve_aligned(GIB + self->pmd, GIB);
	ASSERT_NE(MAP_FAILED, dst2);
	dst2 += self->page;
	ASSERT_EQ(dst2, mremap(dst, GIB, GIB, MREMAP_MAYMOVE | MREMAP_FIXED, dst2));
	faults = GREW(faults);
	EXPECT_EQ((long)(GIB / self->page), read_faults(dst2, GIB));
	EXPECT_EQ((long)(GIB / self->page), GREW(faults) - faults);
	EXPECT_EQ(2, GREW(pud_faults));
	EXPECT_EQ(SAMPLES, mapped_samples(dst2, 0, 8));
	munmap(dst2 - self->page, GIB + self->pmd);
	EXPECT_EQ(0, GREW(live_vmas));
}

/*
 * mremap() of one page out of the GiB cuts the VMA twice: the driver takes
 * the PUD down before (->may_split), so the word that looks like a huge
 * PMD stays, the page shows the same buffer page at its new place, and the
 * rest faults back.
 */
TEST_F(pud, mremap_of_one_page_takes_the_pud_down)
{
	size_t page = self->page;
	unsigned char *p, *dst;
	uint64_t v;

	ASSERT_EQ(0, write_samples(self->fd, 0, 11));
	p = map_gib(self);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(1, read_faults(p, GIB));
	*(uint64_t *)p = HUGE_PMD;
	dst = reserve(page);
	ASSERT_NE(MAP_FAILED, dst);
	ASSERT_EQ(dst, mremap(p + 5 * page, page, page,
			      MREMAP_MAYMOVE | MREMAP_FIXED, dst));
	EXPECT_EQ(HUGE_PMD, *(uint64_t *)p);
	EXPECT_EQ(SIGSEGV, read_signal(p + 5 * page));
	ASSERT_EQ((ssize_t)sizeof(v), pread(self->fd, &v, sizeof(v), 5 * page));
	EXPECT_EQ(v, *(uint64_t *)dst);
	EXPECT_EQ(SAMPLES - 1, mapped_samples(p, 0, 11));
	EXPECT_EQ(1, GREW(pud_faults));
	munmap(p, 5 * page);
	munmap(p + 6 * page, GIB - 6 * page);
	munmap(dst, page);
	EXPECT_EQ(0, GREW(live_vmas));
}

/*
 * A sync re-arms a page that a tracked mapping wrote by zapping it in every
 * mapping, the untracked 1 GiB one too.  In a 1 GiB chunk it zaps whole
 * GiB: the core may cut a PUD only under the mmap_lock of its process, which
 * a sync does not hold.  The 1 GiB mapping faults its PUD back, and shows
 * the write.
 */
TEST_F(pud, sync_takes_a_pud_down_whole)
{
	__u32 mode = MMAPDEMO_MODE_HUGE, track = 1;
	unsigned char *p, *q;
	int fd;

	fd = open(DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_SET_MODE, &mode));
	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_SET_TRACK, &track));
	q = map_at(fd, NULL, self->pmd, self->pmd);
	ASSERT_NE(MAP_FAILED, q);
	p = map_gib(self);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(1, read_faults(p, GIB));
	q[0] = 0x5a;
	EXPECT_EQ(1, GREW(dirty_pages));
	ASSERT_EQ(0, fsync(fd));
	EXPECT_EQ(1, GREW(synced_pages));
	EXPECT_EQ(1, read_faults(p, GIB));
	EXPECT_EQ(2, GREW(pud_faults));
	EXPECT_EQ(0x5a, p[self->pmd]);
	munmap(q, self->pmd);
	close(fd);
	munmap(p, GIB);
}

/* In a child: check the samples of seed 9 at @p, abort() if wrong. */
static void check_samples_9(void *p)
{
	if (mapped_samples(p, 0, 9) != SAMPLES)
		abort();
}

/* fork() copies the PUD: the child reads the GiB without a fault. */
TEST_F(pud, fork_child_inherits_the_pud)
{
	unsigned char *p;

	ASSERT_EQ(0, write_samples(self->fd, 0, 9));
	p = map_gib(self);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(1, read_faults(p, GIB));
	EXPECT_EQ(0, child_signal(check_samples_9, p));
	EXPECT_EQ(1, GREW(pud_faults));
	EXPECT_EQ(0, GREW(huge_faults));
	EXPECT_EQ(0, GREW(faults));
	munmap(p, GIB);
}

/*
 * A PUD that maps a PFN is special (pud_special()): GUP-fast, which walks
 * the page tables without looking at the VMA, refuses it, and so does slow
 * GUP, at the VM_PFNMAP VMA; so vmsplice() and process_vm_readv() fail.
 * /proc/self/mem goes through ->access.
 */
TEST_F(pud, gup_refuses_the_pud_proc_mem_does_not)
{
	size_t off = sample_off(SAMPLES / 2);
	struct iovec iov, local;
	unsigned char *p;
	uint64_t v;
	int pipefd[2], mem;

	ASSERT_EQ(0, write_samples(self->fd, 0, 10));
	p = map_gib(self);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(1, read_faults(p, GIB));

	ASSERT_EQ(0, pipe(pipefd));
	iov = (struct iovec){ p + off, sizeof(v) };
	EXPECT_EQ(-1, vmsplice(pipefd[1], &iov, 1, SPLICE_F_NONBLOCK));
	close(pipefd[0]);
	close(pipefd[1]);

	local = (struct iovec){ &v, sizeof(v) };
	EXPECT_EQ(-1, process_vm_readv(getpid(), &local, 1, &iov, 1, 0));

	mem = open("/proc/self/mem", O_RDONLY);
	ASSERT_LE(0, mem);
	EXPECT_EQ((ssize_t)sizeof(v), pread(mem, &v, sizeof(v), (uintptr_t)p + off));
	EXPECT_EQ(sample_val(0, SAMPLES / 2, 10), v);
	close(mem);
	EXPECT_EQ(1, GREW(pud_faults));
	munmap(p, GIB);
}

/*
 * Loaded with gigantic=0, the buffer has no 1 GiB chunk: PMDs.  Last, so
 * that the other tests share the load with 1 GiB chunks.
 */
TEST_F(pud, without_a_1gib_chunk_falls_back_to_2mib)
{
	const char *why = load(self, false);
	unsigned char *p;

	ASSERT_TRUE(why == NULL) TH_LOG("%s", why);
	EXPECT_EQ(0, self->info.pud_pages);
	ASSERT_EQ(0, write_samples(self->fd, 0, 5));
	p = map_gib(self);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, (uintptr_t)p % GIB) TH_LOG("%p", p);
	expect_2mib_faults(_metadata, self, p, 0, GIB);
	EXPECT_EQ(SAMPLES, mapped_samples(p, 0, 5));
	munmap(p, GIB);
}

TEST_HARNESS_MAIN
