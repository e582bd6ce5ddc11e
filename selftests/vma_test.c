// SPDX-License-Identifier: GPL-2.0
/*
 * What the core MM does with a mapping of the device after mmap(): mremap()
 * that shrinks or moves it, partial munmap(), fork(), madvise() (what
 * MADV_DONTNEED and MADV_POPULATE_* do where they are allowed), mlock(),
 * and one buffer used by many threads and processes at once.  Which calls
 * are refused, and with which errno, is semantics_test's.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "mmapdemo_test.h"

#define NPAGES		8
#define NTHREADS	8
#define NPROCS		4
#define ROUNDS		200

/* A counter of the driver, a field of struct mmapdemo_stats, or -1. */
#define DRIVER_STAT(fd, field) ({					\
	struct mmapdemo_stats __st;					\
									\
	device_stats(fd, &__st) ? -1L : (long)__st.field;		\
})

/* Store a pattern at [@off, @off + @len) with write(), then map that range. */
static unsigned char *map_pattern(FIXTURE_DATA(mmapdemo) *self, size_t len,
				  off_t off, unsigned int seed)
{
	if (write_pattern(self->fd, off, len, seed))
		return MAP_FAILED;
	return map_shared(self, len, off);
}

/* Shrinking splits the VMA and unmaps the tail: one open(), one close(). */
TEST_F(mmapdemo, mremap_shrink_unmaps_tail)
{
	size_t len = NPAGES * self->page, half = len / 2;
	unsigned char *p = map_pattern(self, len, 0, 32);
	long vmas = DRIVER_STAT(self->fd, live_vmas);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(p, mremap(p, len, half, 0));
	EXPECT_EQ(SIGSEGV, read_signal(p + half));
	EXPECT_EQ(SIGSEGV, read_signal(p + len - 1));
	EXPECT_EQ(half, check_pattern(p, half, 0, 32));
	EXPECT_EQ(vmas, DRIVER_STAT(self->fd, live_vmas));
	munmap(p, half);
}

/*
 * A move takes the PTEs along: the pages mapped before it (those touched,
 * and those fault-around mapped with them) are not mapped again, the others
 * are mapped at their new address, and the old one is empty.
 */
TEST_F(mmapdemo, mremap_move_keeps_data_and_frees_old_address)
{
	size_t len = NPAGES * self->page;
	unsigned char *p = map_pattern(self, len, 0, 33);
	unsigned char *dst = reserve(len);
	long vmas, lazy, before_move;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, dst);
	lazy = driver_lazy_pages(self->fd);
	touch_pages(p, len / 2);
	vmas = DRIVER_STAT(self->fd, live_vmas);
	before_move = driver_lazy_pages(self->fd) - lazy;
	EXPECT_LE(expect_lazy(variant, NPAGES / 2), before_move);
	ASSERT_EQ(dst, mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst));
	EXPECT_EQ(SIGSEGV, read_signal(p));
	EXPECT_EQ(len, check_pattern(dst, len, 0, 33));
	EXPECT_EQ(expect_lazy(variant, NPAGES), driver_lazy_pages(self->fd) - lazy);
	EXPECT_EQ(vmas, DRIVER_STAT(self->fd, live_vmas));

	/* Writes at the new address still land at the same buffer offsets. */
	fill_pattern(dst, len, 0, 34);
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, 34));
	munmap(dst, len);
}

/*
 * Unmapping the middle splits the VMA twice (an open() each) and closes the
 * middle part, which leaves two VMAs: before + 2.
 */
TEST_F(mmapdemo, munmap_middle_leaves_both_ends_working)
{
	size_t page = self->page, len = NPAGES * page, tail = len - 4 * page;
	long vmas = DRIVER_STAT(self->fd, live_vmas);
	unsigned char *p = map_pattern(self, len, 0, 35);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + 2 * page, 2 * page));
	EXPECT_EQ(vmas + 2, DRIVER_STAT(self->fd, live_vmas));
	EXPECT_EQ(SIGSEGV, read_signal(p + 2 * page));
	EXPECT_EQ(SIGSEGV, read_signal(p + 4 * page - 1));
	EXPECT_EQ(2 * page, check_pattern(p, 2 * page, 0, 35));
	EXPECT_EQ(tail, check_pattern(p + 4 * page, tail, 4 * page, 35));

	fill_pattern(p + 4 * page, tail, 4 * page, 36);
	EXPECT_EQ(0, read_check_pattern(self->fd, 4 * page, tail, 36));
	EXPECT_EQ(0, munmap(p, len));
	EXPECT_EQ(vmas, DRIVER_STAT(self->fd, live_vmas));
}

/* The driver's live_vmas counter seen from a child, minus @base; or -1. */
static int child_live_vmas(int fd, long base)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(DRIVER_STAT(fd, live_vmas) - base);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* fork() opens a copy of each VMA for the child; its exit closes them. */
TEST_F(mmapdemo, fork_child_vmas_count_while_it_lives)
{
	size_t len = NPAGES * self->page;
	long vmas = DRIVER_STAT(self->fd, live_vmas);
	unsigned char *a = map_shared(self, len, 0);
	unsigned char *b = map_shared(self, len, len);

	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	EXPECT_EQ(4, child_live_vmas(self->fd, vmas));
	EXPECT_EQ(vmas + 2, DRIVER_STAT(self->fd, live_vmas));
	munmap(a, len);
	munmap(b, len);
	EXPECT_EQ(vmas, DRIVER_STAT(self->fd, live_vmas));
}

/*
 * Page maps: the pages go and come back through the driver (insert mode has
 * a fault handler for this), data intact.  PFN maps refuse and keep theirs.
 */
TEST_F(mmapdemo, madvise_dontneed_works_only_on_page_maps)
{
	size_t len = NPAGES * self->page;
	unsigned char *p = map_pattern(self, len, 0, 37);
	long lazy;

	ASSERT_NE(MAP_FAILED, p);
	touch_pages(p, len);
	EXPECT_EQ(expect_present(variant, NPAGES), pages_present(p, NPAGES));
	EXPECT_EQ(expect_madvise(variant), !madvise(p, len, MADV_DONTNEED));
	EXPECT_EQ(0, pages_present(p, NPAGES));
	lazy = driver_lazy_pages(self->fd);
	EXPECT_EQ(len, check_pattern(p, len, 0, 37));
	EXPECT_EQ(expect_madvise(variant) ? NPAGES : 0,
		  driver_lazy_pages(self->fd) - lazy);
	munmap(p, len);
}

/*
 * MADV_POPULATE_@advice on a fresh mapping: the lazy page maps take every
 * fault up front, so that reading and writing the pages afterwards takes
 * none (even after READ: a shared mapping with no dirty tracking gets
 * writable PTEs).  A lazy PFN map refuses, and faults on first use instead.
 */
static void check_populate(struct __test_metadata *_metadata,
			   FIXTURE_DATA(mmapdemo) *self, VARIANT *variant,
			   int advice, unsigned int seed)
{
	size_t len = NPAGES * self->page;
	unsigned char *p = map_pattern(self, len, 0, seed);
	long lazy = driver_lazy_pages(self->fd), minflt, min = 0, max = 0;

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(expect_madvise(variant), !madvise(p, len, advice));
	EXPECT_EQ(expect_populated(variant, NPAGES),
		  driver_lazy_pages(self->fd) - lazy);
	EXPECT_EQ(expect_present(variant, NPAGES), pages_present(p, NPAGES));

	if (!expect_madvise(variant))
		expect_read_faults(self, variant, p, 0, NPAGES, &min, &max);
	minflt = minor_faults();
	EXPECT_EQ(len, check_pattern(p, len, 0, seed));
	fill_pattern(p, len, 0, seed + 1);
	minflt = minor_faults() - minflt;
	EXPECT_LE(min, minflt);
	EXPECT_GE(max, minflt);
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, seed + 1));
	munmap(p, len);
}

TEST_F(mmapdemo, madvise_populate_read_faults_in_lazy_pages)
{
	check_populate(_metadata, self, variant, MADV_POPULATE_READ, 38);
}

TEST_F(mmapdemo, madvise_populate_write_faults_in_lazy_pages)
{
	check_populate(_metadata, self, variant, MADV_POPULATE_WRITE, 40);
}

/*
 * MAP_POPULATE is mmap()'s own population, the __mm_populate() of mlock():
 * it faults in a lazy page map, and quietly leaves a lazy PFN map to fault on
 * first use, since GUP cannot follow VM_IO | VM_PFNMAP.
 */
TEST_F(mmapdemo, map_populate_faults_in_lazy_page_maps_only)
{
	size_t len = NPAGES * self->page;
	long lazy = driver_lazy_pages(self->fd);
	unsigned char *p;

	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 44));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(expect_populated(variant, NPAGES),
		  driver_lazy_pages(self->fd) - lazy);
	EXPECT_EQ(expect_present(variant, NPAGES), pages_present(p, NPAGES));
	EXPECT_EQ(len, check_pattern(p, len, 0, 44));
	munmap(p, len);
}

/*
 * mlock() faults in what is not mapped yet and succeeds in every mode, but
 * locks nothing: VM_DONTEXPAND, like VM_PFNMAP and VM_IO, is in VM_SPECIAL,
 * on which mlock_fixup() does not set VM_LOCKED.  The population step,
 * __mm_populate(), skips VM_IO | VM_PFNMAP VMAs, whether mmap() wrote their
 * PTEs or faults will.  The driver's pages never reach an LRU, so there is
 * nothing to lock anyway.
 */
TEST_F(mmapdemo, mlock_populates_lazy_pages_without_locking)
{
	size_t len = NPAGES * self->page;
	unsigned char *p = map_pattern(self, len, 0, 42);
	long lazy = driver_lazy_pages(self->fd);
	char flags[256];

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mlock(p, len));
	EXPECT_EQ(expect_populated(variant, NPAGES),
		  driver_lazy_pages(self->fd) - lazy);
	EXPECT_EQ(expect_present(variant, NPAGES), pages_present(p, NPAGES));
	ASSERT_EQ(0, vma_flags(p, flags, sizeof(flags)));
	EXPECT_FALSE(has_vma_flag(flags, "lo")) TH_LOG("VmFlags:%s", flags);

	ASSERT_EQ(0, munlock(p, len));
	EXPECT_EQ(len, check_pattern(p, len, 0, 42));
	fill_pattern(p, len, 0, 43);
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, 43));
}

struct toucher {
	pthread_t thread;
	pthread_barrier_t *start;
	unsigned char *map;
	size_t len, page;
	unsigned int id;
	size_t bad_pages;
};

/*
 * Write, then check, slice @id of every page.  All threads walk the pages in
 * the same order from the same start, so they fault on each page together.
 */
static void *touch_slices(void *arg)
{
	struct toucher *t = arg;
	size_t slice = t->page / NTHREADS, pos;

	pthread_barrier_wait(t->start);
	for (pos = t->id * slice; pos < t->len; pos += t->page)
		fill_pattern(t->map + pos, slice, pos, 44);
	for (pos = t->id * slice; pos < t->len; pos += t->page)
		if (check_pattern(t->map + pos, slice, pos, 44) != slice)
			t->bad_pages++;
	return NULL;
}

/*
 * Lazy modes: threads that fault on one page at once each call the fault
 * handler, and all but the first find the PTE (or PMD) installed and drop
 * their work again, so the driver maps between one and NTHREADS times each
 * page (2 MiB at once where huge mode can).
 */
TEST_F(mmapdemo, threads_first_touching_one_mapping_share_its_pages)
{
	size_t len = self->info.size, pages = self->info.pages;
	long lazy = driver_lazy_pages(self->fd);
	struct toucher t[NTHREADS];
	pthread_barrier_t start;
	unsigned char *p;
	int i;

	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, NTHREADS));
	for (i = 0; i < NTHREADS; i++) {
		t[i] = (struct toucher){ .start = &start, .map = p, .len = len,
					 .page = self->page, .id = i };
		ASSERT_EQ(0, pthread_create(&t[i].thread, NULL, touch_slices,
					    &t[i]));
	}
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_EQ(0, pthread_join(t[i].thread, NULL));
		EXPECT_EQ(0, t[i].bad_pages) TH_LOG("thread %d", i);
	}
	lazy = driver_lazy_pages(self->fd) - lazy;
	TH_LOG("%ld pages mapped lazily for %zu pages", lazy, pages);
	EXPECT_LE(expect_lazy(variant, pages), lazy);
	EXPECT_GE(expect_lazy(variant, NTHREADS * pages), lazy);
	pthread_barrier_destroy(&start);
	munmap(p, len);
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, 44));
}

/* The pattern process @id leaves in its region after round @round. */
static unsigned int round_seed(int id, int round)
{
	return 1000 * (id + 1) + round;
}

/*
 * In child @id: wait for @gate to close, then map region @id of @len bytes
 * ROUNDS times, each time checking the previous round's pattern and writing
 * the next.  Returns the number of bad rounds.
 */
static int churn_region(FIXTURE_DATA(mmapdemo) *self, int gate, int id,
			size_t len)
{
	unsigned int seed = round_seed(id, 0);
	size_t off = id * len;
	unsigned char *p, c;
	int round, bad = 0;

	while (read(gate, &c, 1) > 0)
		;
	for (round = 1; round <= ROUNDS; round++) {
		p = map_shared(self, len, off);
		if (p == MAP_FAILED)
			return ROUNDS;
		bad += check_pattern(p, len, off, seed) != len;
		seed = round_seed(id, round);
		fill_pattern(p, len, off, seed);
		munmap(p, len);
	}
	return bad;
}

TEST_F(mmapdemo, processes_mapping_own_regions_at_once_keep_data)
{
	size_t len = NPAGES * self->page;
	long vmas = DRIVER_STAT(self->fd, live_vmas);
	pid_t pids[NPROCS];
	int i, status, gate[2];

	ASSERT_EQ(0, pipe(gate));
	for (i = 0; i < NPROCS; i++) {
		ASSERT_EQ(0, write_pattern(self->fd, i * len, len,
					   round_seed(i, 0)));
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			close(gate[1]);
			_exit(churn_region(self, gate[0], i, len));
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (i = 0; i < NPROCS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("process %d: status %#x", i, status);
	}
	EXPECT_EQ(vmas, DRIVER_STAT(self->fd, live_vmas));
	for (i = 0; i < NPROCS; i++)
		EXPECT_EQ(0, read_check_pattern(self->fd, i * len, len,
						round_seed(i, ROUNDS)));
}

TEST_HARNESS_MAIN
