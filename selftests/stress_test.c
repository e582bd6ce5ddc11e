// SPDX-License-Identifier: GPL-2.0
/*
 * Threads and processes race mmap(), munmap(), mremap(), mprotect(), fork(),
 * close(), open() and msync() or fsync() on one /dev/mmapdemo, with and
 * without write tracking, in each row of the mode table and in all rows at
 * once.  Each worker owns a region of the buffer, and maps
 * parts of it or the first 2 MiB of the buffer, which hold every region (one
 * PMD in huge mode, which the others' calls split).  After every call it
 * checks its pages, a pattern seed each, through each of its readable
 * mappings and through read().  A racing call may fail (its errno is for the
 * semantics tests); what must not happen is a worker killed by a signal,
 * wrong data, live VMAs that do not come back, or a child left behind.
 *
 * MMAPDEMO_STRESS_SECONDS (default 2) is the time of each variant, and
 * MMAPDEMO_STRESS_SEED (default 1) seeds the workers' choices.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "modes.h"
#include "util.h"

#define NR_THREADS   4
#define NR_PROCS     2
#define NR_WORKERS   (NR_THREADS + NR_PROCS)
#define REGION_PAGES 8	/* each worker's share of the buffer */
#define MAX_MAPS     4	/* mappings a worker holds at most */
#define MAX_NOTES    8	/* wrong pages described */
#define MAX_SECONDS  60 /* of a variant; its timeout is twice that */
#define RW	     (PROT_READ | PROT_WRITE)
#define ADD(x, n)    __atomic_fetch_add(&(x), (n), __ATOMIC_RELAXED)

enum op { MMAP, MUNMAP, MREMAP, MPROTECT, STORE, FORK, REOPEN, SYNC, NR_OPS };
static const char *const op_names[NR_OPS] = {
	"mmap", "munmap", "mremap", "mprotect", "store", "fork", "reopen", "sync",
};

/* What the workers report, in memory they share with the test. */
struct report {
	unsigned int seeds[NR_WORKERS][REGION_PAGES]; /* of each page */
	unsigned long done[NR_OPS], failed[NR_OPS];
	unsigned long checks, mismatches, signals, finished;
};

/* A mapping of @pages pages of the buffer from offset @pos. */
struct map {
	unsigned char *addr; /* NULL: a free slot */
	size_t pos, pages;
	const struct mode_info *row; /* the mode it was made in */
	int prot;
	bool private;
	bool split; /* may be more than one VMA */
};

struct worker {
	int id, fd;
	enum op op;		     /* the current step */
	const struct mode_info *row; /* of the next mmap() */
	struct map maps[MAX_MAPS];
	unsigned char *buf; /* the region, for read() and write() */
	unsigned int *seeds, next_seed;
	uint64_t rng;
	pthread_t thread;
};

/* Set before the workers start, read-only while they run. */
static const struct mode_info *fixed_row; /* NULL: any row */
static size_t page, region_len, wide_pages;
static unsigned long long seed;
static struct report *rep;
static double deadline; /* now_ns() */

static uint64_t rnd_below(struct worker *w, uint64_t n)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng % n;
}

/* Count a call of the current step; whether it worked. */
static bool count(struct worker *w, bool failed)
{
	ADD(rep->done[w->op], 1);
	ADD(rep->failed[w->op], failed);
	return !failed;
}

static size_t page_pos(struct worker *w, size_t i)
{
	return w->id * region_len + i * page;
}

/* Where @m maps page @i of the region, or NULL. */
static unsigned char *map_page(struct worker *w, const struct map *m, size_t i)
{
	size_t pos = page_pos(w, i);

	if (!m->addr || pos < m->pos || pos >= m->pos + m->pages * page)
		return NULL;
	return m->addr + (pos - m->pos);
}

/* Check page @i of the region at @p, mapped by @m or read() if NULL. */
static void check_page(struct worker *w, const unsigned char *p, size_t i,
		       const struct map *m)
{
	if (check_pattern(p, page, page_pos(w, i), w->seeds[i]) == page)
		return;
	/* Not stdio: in a child of fork(), another thread may hold it. */
	if (ADD(rep->mismatches, 1) < MAX_NOTES)
		dprintf(STDERR_FILENO,
			"# worker %d: page %zu wrong through %s%s\n", w->id, i,
			m ? m->row->variant : "read()", m ? " mapping" : "");
}

/* Check the region through each readable mapping of @w. */
static void check_maps(struct worker *w)
{
	const struct map *m;
	unsigned char *p;
	size_t i;

	for (m = w->maps; m < w->maps + MAX_MAPS; m++)
		for (i = 0; (m->prot & PROT_READ) && i < REGION_PAGES; i++)
			if ((p = map_page(w, m, i)))
				check_page(w, p, i, m);
}

/* ... and through read(), which cannot fail on the region. */
static void verify(struct worker *w)
{
	size_t i;

	ADD(rep->checks, 1);
	check_maps(w);
	if (pread(w->fd, w->buf, region_len, page_pos(w, 0)) !=
	    (ssize_t)region_len)
		memset(w->buf, 0, region_len);
	for (i = 0; i < REGION_PAGES; i++)
		check_page(w, w->buf + i * page, i, NULL);
}

static unsigned int new_seed(struct worker *w)
{
	return (w->id + 1) << 24 | ++w->next_seed;
}

/* Store the pattern @seed as page @i of the region at @p, if not NULL. */
static void store(struct worker *w, unsigned char *p, size_t i,
		  unsigned int seed)
{
	if (p) {
		fill_pattern(p, page, page_pos(w, i), seed);
		w->seeds[i] = seed;
	}
}

/* The mode of the next mmap(): the variant's row, or any row. */
static void set_mode(struct worker *w)
{
	w->row = fixed_row ?: &mode_rows[rnd_below(w, nr_mode_rows)];
	if (!fixed_row)
		write_param("fault_around", w->row->around ? "1" : "0");
	ioctl(w->fd, MMAPDEMO_IOC_SET_MODE, &w->row->mode);
}

/*
 * Map the first 2 MiB of the buffer (kind 0) or a part of the region: shared
 * (1, 5), shared read-only (2), private read-only (3) or private writable (4).
 * That copies the pages written through it, and the buffer keeps its data;
 * PFN maps have no pages to copy and refuse it: they map read-only instead.
 */
static void do_mmap(struct worker *w, struct map *m, size_t i, size_t n)
{
	size_t kind = rnd_below(w, 6), first = rnd_below(w, REGION_PAGES), len;

	if (!fixed_row && rnd_below(w, 2))
		set_mode(w);
	*m = (struct map){ .row = w->row, .prot = RW, .pages = wide_pages };
	if (kind) {
		m->pos = page_pos(w, first);
		m->pages = 1 + rnd_below(w, REGION_PAGES - first);
		m->private = kind == 3 || kind == 4;
		if (kind == 2 || kind == 3 || (kind == 4 && m->row->pfnmap))
			m->prot = PROT_READ;
	}
	len = m->pages * page;
	m->addr = mmap(NULL, len, m->prot,
		       m->private ? MAP_PRIVATE : MAP_SHARED, w->fd, m->pos);
	if (!count(w, m->addr == MAP_FAILED)) {
		m->addr = NULL;
	} else if (m->private && m->prot == RW) {
		fill_pattern(m->addr, len, m->pos, ~0u);
		m->prot = PROT_NONE; /* not the buffer's data: do not check */
		verify(w);
		munmap(m->addr, len);
		m->addr = NULL;
	}
}

/* Unmap pages [i, i + n) of @m: all of them, a head, or a tail. */
static void do_munmap(struct worker *w, struct map *m, size_t i, size_t n)
{
	/* A hole in the middle would make two mappings: unmap the tail too. */
	if (i)
		n = m->pages - i;
	if (!count(w, munmap(m->addr + i * page, n * page)))
		return;
	if (n == m->pages)
		m->addr = NULL;
	m->pages -= n;
	if (!i && m->addr) {
		m->addr += n * page;
		m->pos += n * page;
	}
}

/*
 * Shrink a mapping in place, which unmaps its tail however many VMAs it
 * has, or move a mapping of one VMA onto a range reserved for it.
 */
static void do_mremap(struct worker *w, struct map *m, size_t i, size_t n)
{
	size_t len = m->pages * page;
	void *p;

	if (m->split || rnd_below(w, 2)) {
		p = mremap(m->addr, len, n * page, 0);
	} else {
		n = m->pages;
		p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 0);
		/* If the move fails, another thread may own the range by now. */
		if (p != MAP_FAILED)
			p = mremap(m->addr, len, len,
				   MREMAP_MAYMOVE | MREMAP_FIXED, p);
	}
	if (count(w, p == MAP_FAILED)) {
		m->addr = p;
		m->pages = n;
	}
}

/*
 * Change the protection of a mapping, or of some of its pages and back
 * (which splits its VMA for good: the device's VMAs never merge).  A
 * private mapping never becomes writable: a write would copy the page.
 */
static void do_mprotect(struct worker *w, struct map *m, size_t i, size_t n)
{
	static const int prots[] = { RW, PROT_READ, PROT_NONE };
	int prot = prots[m->private + rnd_below(w, 3 - m->private)];

	if (rnd_below(w, 2)) {
		i = 0;
		n = m->pages;
	}
	m->split |= n < m->pages;
	if (count(w, mprotect(m->addr + i * page, n * page, prot)) &&
	    n == m->pages)
		m->prot = prot;
	else
		count(w, mprotect(m->addr + i * page, n * page, m->prot));
}

/* Store a new pattern: through a shared writable mapping, or by write(). */
static void do_store(struct worker *w, struct map *m, size_t i, size_t n)
{
	bool mapped = m->addr && m->prot == RW && !m->private &&
		      rnd_below(w, 2);
	size_t first = rnd_below(w, REGION_PAGES), j;
	size_t len = (1 + rnd_below(w, REGION_PAGES - first)) * page;
	unsigned int seed = new_seed(w);

	for (j = first; j < first + len / page; j++)
		store(w, mapped ? map_page(w, m, j) : w->buf + j * page, j,
		      seed);
	count(w, !mapped && pwrite(w->fd, w->buf + first * page, len,
				   page_pos(w, first)) != (ssize_t)len);
}

/*
 * A child shares the mappings: it checks the region through them and
 * stores a new pattern through @m, if writable, for the parent to see.
 */
static void do_fork(struct worker *w, struct map *m, size_t i, size_t n)
{
	unsigned int seed = new_seed(w);
	pid_t pid = fork();
	int status;

	if (!pid) {
		check_maps(w);
		for (i = 0; m->prot == RW && !m->private && i < REGION_PAGES;
		     i++)
			store(w, map_page(w, m, i), i, seed);
		_exit(0);
	}
	if (count(w, pid < 0) && waitpid(pid, &status, 0) == pid &&
	    WIFSIGNALED(status))
		ADD(rep->signals, 1);
}

/*
 * close() the file while mappings hold it: they keep working.  Then open
 * another, which starts in the module's default mode.
 */
static void do_reopen(struct worker *w, struct map *m, size_t i, size_t n)
{
	close(w->fd);
	w->fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (count(w, w->fd < 0))
		set_mode(w);
}

/*
 * msync(MS_SYNC) a mapping, or fsync() the file: that write-protects or zaps
 * the PTEs of the pages written through tracked mappings.  Whether the next
 * mmap() tracks writes is drawn anew.
 */
static void do_sync(struct worker *w, struct map *m, size_t i, size_t n)
{
	__u32 track = rnd_below(w, 2);

	ioctl(w->fd, MMAPDEMO_IOC_SET_TRACK, &track);
	if (m->addr)
		count(w, msync(m->addr, m->pages * page, MS_SYNC));
	else
		count(w, fsync(w->fd));
}

/* The calls, by enum op. */
static void (*const ops[NR_OPS])(struct worker *w, struct map *m, size_t i,
				 size_t n) = {
	do_mmap,  do_munmap, do_mremap, do_mprotect,
	do_store, do_fork,   do_reopen, do_sync,
};

/* A random call on pages [i, i + n) of a random slot; then a check. */
static void step(struct worker *w)
{
	struct map *m = &w->maps[rnd_below(w, MAX_MAPS)];
	size_t i = m->addr ? rnd_below(w, m->pages) : 0;
	size_t n = m->addr ? 1 + rnd_below(w, m->pages - i) : 0;

	w->op = rnd_below(w, NR_OPS);
	if (w->op == MMAP && m->addr)
		return;
	if (!m->addr && w->op < STORE)
		w->op = MMAP;
	ops[w->op](w, m, i, n);
	if (w->fd >= 0)
		verify(w);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct map *m;
	size_t i;

	w->rng = (seed * NR_WORKERS + w->id) * 0x9e3779b97f4a7c15ULL | 1;
	w->seeds = rep->seeds[w->id];
	w->buf = malloc(region_len);
	w->fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (!w->buf || w->fd < 0)
		return NULL;
	set_mode(w);
	for (i = 0; i < REGION_PAGES; i++)
		store(w, w->buf + i * page, i, new_seed(w));
	if (pwrite(w->fd, w->buf, region_len, page_pos(w, 0)) ==
	    (ssize_t)region_len)
		while (now_ns() < deadline && w->fd >= 0)
			step(w);
	w->op = MUNMAP;
	for (m = w->maps; m < w->maps + MAX_MAPS; m++)
		if (m->addr)
			do_munmap(w, m, 0, m->pages);
	close(w->fd);
	free(w->buf);
	ADD(rep->finished, 1);
	return NULL;
}

FIXTURE(stress)
{
	int fd;
	struct mmapdemo_stats before;
	char fault_around[8]; /* the parameter before setup, to restore */
};

/* A row of the mode table, by its name; NULL: every row at once. */
FIXTURE_VARIANT(stress)
{
	const char *row;
};

#define STRESS_VARIANT(variant_, ...) \
	FIXTURE_VARIANT_ADD(stress, variant_){ .row = #variant_ };
MMAPDEMO_MODES(STRESS_VARIANT)

FIXTURE_VARIANT_ADD(stress, mixed){ .row = NULL };

FIXTURE_SETUP(stress)
{
	struct mmapdemo_info info;
	unsigned int i;

	page = page_size();
	region_len = REGION_PAGES * page;
	self->fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, DEVICE ": %s (is mmapdemo.ko loaded?)",
			   strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_INFO, &info));
	if (info.size < NR_WORKERS * region_len)
		SKIP(return, "the workers need a buffer of %zu bytes",
			   NR_WORKERS * region_len);
	wide_pages = pmd_pages() < info.pages ? pmd_pages() : info.pages;
	fixed_row = NULL;
	for (i = 0; variant->row && i < nr_mode_rows; i++)
		if (!strcmp(mode_rows[i].variant, variant->row))
			fixed_row = &mode_rows[i];
	ASSERT_EQ(0, device_stats(self->fd, &self->before));
	ASSERT_EQ(0, read_param("fault_around", self->fault_around,
				sizeof(self->fault_around)));
	ASSERT_EQ(0, write_param("fault_around",
				 !fixed_row || fixed_row->around ? "1" : "0"));
}

FIXTURE_TEARDOWN(stress)
{
	write_param("fault_around", self->fault_around);
	close(self->fd);
}

TEST_F_TIMEOUT(stress, workers_race_keeping_data_and_vmas, 2 * MAX_SECONDS)
{
	const char *env = getenv("MMAPDEMO_STRESS_SECONDS");
	double seconds = env ? strtod(env, NULL) : 2;
	struct worker ws[NR_WORKERS] = {};
	unsigned long bad_pages = 0;
	pid_t pids[NR_PROCS];
	struct mmapdemo_stats st;
	char line[256];
	int i, j, status;

	ASSERT_TRUE(seconds > 0 && seconds <= MAX_SECONDS)
	TH_LOG("MMAPDEMO_STRESS_SECONDS must be in (0, %d]", MAX_SECONDS);
	env = getenv("MMAPDEMO_STRESS_SEED");
	seed = env ? strtoull(env, NULL, 0) : 1;
	TH_LOG("%d threads and %d processes for %.1f s, MMAPDEMO_STRESS_SEED=%llu",
	       NR_THREADS, NR_PROCS, seconds, seed);
	rep = mmap(NULL, sizeof(*rep), RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rep);
	deadline = now_ns() + seconds * 1e9;
	/* The processes first, while the test has one thread. */
	for (i = 0; i < NR_WORKERS; i++) {
		ws[i].id = i;
		if (i < NR_PROCS && !(pids[i] = fork())) {
			worker_run(&ws[i]);
			_exit(0);
		}
	}
	for (i = NR_PROCS; i < NR_WORKERS; i++)
		if (pthread_create(&ws[i].thread, NULL, worker_run, &ws[i]))
			ws[i].thread = 0;
	for (i = 0; i < NR_WORKERS; i++)
		if (i >= NR_PROCS && ws[i].thread)
			pthread_join(ws[i].thread, NULL);
		else if (i < NR_PROCS && pids[i] > 0 &&
			 waitpid(pids[i], &status, 0) == pids[i])
			rep->signals += WIFSIGNALED(status);

	for (i = 0, j = 0; i < NR_OPS; i++)
		j += snprintf(line + j, sizeof(line) - j, " %s %lu/%lu",
			      op_names[i], rep->done[i], rep->failed[i]);
	TH_LOG("calls done/failed:%s; %lu checks", line, rep->checks);
	ASSERT_EQ(0, device_stats(self->fd, &st));
	TH_LOG("the driver: %llu faults, %llu pages faulted around, %llu PMD faults, %llu pages mapped by mmap()",
	       st.faults - self->before.faults,
	       st.around_pages - self->before.around_pages,
	       st.huge_faults - self->before.huge_faults,
	       st.eager_pages - self->before.eager_pages);
	/* What each region holds at the end, through a file of the test. */
	for (i = 0; i < NR_WORKERS; i++)
		for (j = 0; j < REGION_PAGES; j++)
			bad_pages +=
				!!read_check_pattern(self->fd,
						     i * region_len + j * page,
						     page, rep->seeds[i][j]);
	EXPECT_EQ(NR_WORKERS, rep->finished);
	EXPECT_EQ(0, rep->signals);
	EXPECT_EQ(0, rep->mismatches);
	EXPECT_EQ(0, bad_pages);
	EXPECT_LT(rep->failed[MMAP], rep->done[MMAP]);
	EXPECT_EQ(self->before.live_vmas, st.live_vmas);
	/* No child is left: there is none to wait for. */
	EXPECT_EQ(-1, waitpid(-1, NULL, WNOHANG));
	munmap(rep, sizeof(*rep));
}

TEST_HARNESS_MAIN
