// SPDX-License-Identifier: GPL-2.0
/*
 * Taking the buffer away from under its mappings, as a driver does when its
 * hardware resets (MMAPDEMO_IOC_RESET: every mapping reads zeros, faults back
 * in and keeps later writes; private copies stay) or disappears
 * (MMAPDEMO_IOC_REMOVE: every access raises SIGBUS, every call but
 * MMAPDEMO_IOC_INFO fails with ENODEV, and the module unloads once the last
 * file and mapping are gone).  The removal tests load the module themselves
 * ($MMAPDEMO_KO) and go through every row of the mode table; security_test
 * proves that both ioctls need CAP_SYS_ADMIN.  MMAPDEMO_TAKEDOWN_SECONDS
 * (default 2) is the time of each variant's race.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <linux/io_uring.h>

#include "mmapdemo_test.h"

#define NPAGES		16
#define NR_THREADS	8
#define MAX_SECONDS	60	/* of a race; its timeout is twice that */
#define RW		(PROT_READ | PROT_WRITE)

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define ADD(x, n)	__atomic_fetch_add(&(x), (n), __ATOMIC_RELAXED)
#define FENCE()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

/* How much the device's counter @field grew since @st was read, or -1. */
#define GROWN(st, field) ({						\
	struct mmapdemo_stats __now;					\
	device_stats(self->fd, &__now) ? -1L :				\
		(long)(__now.field - (st).field);			\
})

/* Pages of the mappings that cover one PMD, or the whole buffer if smaller. */
static size_t wide_pages(const struct mmapdemo_info *info)
{
	return pmd_pages() < info->pages ? pmd_pages() : info->pages;
}

/* The index of the first byte of @p that is not zero, or @len. */
static size_t zero_prefix(const volatile unsigned char *p, size_t len)
{
	size_t i = 0;

	while (i < len && !p[i])
		i++;
	return i;
}

/* Reset, FIXTURE(mmapdemo): in every variant. */

/*
 * After a reset, every mapping shows zeros: what one wrote (with one PMD in
 * huge mode where the kernel can), and what write() stored in the rest of
 * the buffer, which a read-only mapping of all of it shows.
 */
TEST_F(mmapdemo, reset_zeroes_what_every_mapping_shows)
{
	size_t len = wide_pages(&self->info) * self->page, size = self->info.size;
	struct mmapdemo_stats before;
	unsigned char *p, *ro;

	ASSERT_EQ(0, write_pattern(self->fd, 0, size, 1));
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	ro = mmap(NULL, size, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, ro);
	fill_pattern(p, len, 0, 2);
	EXPECT_EQ(len, check_pattern(ro, len, 0, 2));
	ASSERT_EQ(0, device_stats(self->fd, &before));

	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_RESET));
	EXPECT_EQ(1, GROWN(before, resets));
	EXPECT_EQ(len, zero_prefix(p, len));
	EXPECT_EQ(size, zero_prefix(ro, size));
	munmap(ro, size);
	munmap(p, len);
}

/*
 * The reset took every PTE down: the next touch of each page faults it back
 * in through each mapping, in eager modes too (remap through the fault
 * handler a reset needs, insert through its ->fault), once: by its fault,
 * fault-around or a PMD (lazy_pages() counts all three).  What is written
 * afterwards stays, for every mapping and read().
 */
TEST_F(mmapdemo, reset_faults_pages_back_and_keeps_later_writes)
{
	size_t nr = wide_pages(&self->info), len = nr * self->page;
	long pmds = variant->huge && !no_pmds(&self->info, 1), lazy;
	struct mmapdemo_stats before;
	unsigned char *p, *q;

	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	q = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, q);
	fill_pattern(p, len, 0, 3);
	EXPECT_EQ(len, check_pattern(q, len, 0, 3));
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_RESET));

	/* Read faults through one mapping, write faults through the other. */
	ASSERT_EQ(0, device_stats(self->fd, &before));
	lazy = driver_lazy_pages(self->fd);
	touch_pages(p, len);
	EXPECT_EQ(nr, driver_lazy_pages(self->fd) - lazy);
	fill_pattern(q, len, 0, 4);
	EXPECT_EQ(2 * nr, driver_lazy_pages(self->fd) - lazy);
	EXPECT_EQ(2 * pmds, GROWN(before, huge_faults));
	EXPECT_EQ(0, GROWN(before, eager_pages));

	EXPECT_EQ(len, check_pattern(p, len, 0, 4));
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, 4));
	munmap(q, len);
	munmap(p, len);
}

/*
 * A reset takes the buffer's pages out of a private mapping, not the copies
 * its writes made (where it may write: not in PFN maps), which are the
 * process's memory.  Its pages never written read the zeroed buffer.
 */
TEST_F(mmapdemo, reset_keeps_private_copies_zeroes_the_rest)
{
	size_t len = NPAGES * self->page, i;
	bool cow = expect_cow(variant);
	unsigned char *priv, *pg;

	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 5));
	priv = mmap(NULL, len, cow ? RW : PROT_READ, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, priv);
	EXPECT_EQ(len, check_pattern(priv, len, 0, 5));
	/* Copies of the even pages; the odd ones stay the buffer's. */
	for (i = 0; cow && i < NPAGES; i += 2)
		fill_pattern(priv + i * self->page, self->page, i * self->page, 6);

	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_RESET));
	for (i = 0; i < NPAGES; i++) {
		pg = priv + i * self->page;
		if (cow && !(i % 2)) {
			EXPECT_EQ(self->page, check_pattern(pg, self->page,
							    i * self->page, 6))
				TH_LOG("the copy of page %zu", i);
		} else {
			EXPECT_EQ(self->page, zero_prefix(pg, self->page))
				TH_LOG("page %zu, never written", i);
		}
	}
	munmap(priv, len);
}

/*
 * Dirty pages are the buffer's state, which a reset throws away: the next
 * sync writes nothing back.  The pages are clean, so a write after the
 * reset is tracked again, and the sync after it writes every page back.
 */
TEST_F(mmapdemo, reset_forgets_dirty_pages)
{
	size_t len = NPAGES * self->page;
	struct mmapdemo_stats before;
	__u32 track = 1;
	unsigned char *p;

	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_SET_TRACK, &track));
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, device_stats(self->fd, &before));
	fill_pattern(p, len, 0, 7);
	EXPECT_EQ(NPAGES, GROWN(before, dirty_pages));

	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_RESET));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(0, msync(p, len, MS_SYNC));
	EXPECT_EQ(0, GROWN(before, synced_pages));

	fill_pattern(p, len, 0, 8);
	EXPECT_EQ(2 * NPAGES, GROWN(before, dirty_pages));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(NPAGES, GROWN(before, synced_pages));
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, 8));
	munmap(p, len);
}

/*
 * vmsplice() (without SPLICE_F_GIFT) puts the pages themselves into a pipe,
 * which holds them as I/O in flight would.  A reset zeroes them in place and
 * they stay the buffer's: the pipe reads zeros for a page written before it,
 * and what write() stored after it for another.  Pages replaced would show
 * the old data; pages freed would be a use after free.
 */
TEST_F(mmapdemo, reset_zeroes_pinned_pages_in_place)
{
	size_t len = 2 * self->page;
	unsigned char *p, buf[len];
	struct iovec iov;
	int pipefd[2];

	if (!expect_gup(variant))
		SKIP(return, "GUP cannot follow a PFN map: nothing to vmsplice()");
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, pipe(pipefd));
	fill_pattern(p, len, 0, 9);
	iov = (struct iovec){ .iov_base = p, .iov_len = len };
	ASSERT_EQ((ssize_t)len, vmsplice(pipefd[1], &iov, 1, 0));

	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_RESET));
	ASSERT_EQ(0, write_pattern(self->fd, self->page, self->page, 10));
	ASSERT_EQ((ssize_t)len, read(pipefd[0], buf, len));
	EXPECT_EQ(self->page, zero_prefix(buf, self->page));
	EXPECT_EQ(self->page, check_pattern(buf + self->page, self->page,
					    self->page, 10));
	close(pipefd[0]);
	close(pipefd[1]);
	munmap(p, len);
}

/*
 * The race.  Word 0 of each page is the resetter's: before reset k (from 1)
 * it stores MARK(k) there, and once the reset returns it publishes done = k.
 * A reader that loads done, then finds a marker j <= done, sees data reset j
 * zeroed: stale.  Word 1 + t of one page is worker t's: it writes a growing
 * number there and reads it back a step later: the number, or 0 if a reset
 * overlapped (begun counts resets begun), 0 if one came whole in between.
 */
#define MARK_TAG	0x6d61726bULL	/* "mark" */
#define MARK(k)		(MARK_TAG << 32 | (uint32_t)(k))
#define WORD(map, pg, i) (((volatile uint64_t *)((map) + (pg) * page))[i])

/* MAP_SHARED | MAP_ANONYMOUS: the forked children count too. */
struct race {
	uint64_t begun, done;
	int stop, solo;
	unsigned long stale, wrong, signals, failures, notes;
	unsigned long forks, moves, cycles, pins;
};

static struct race *race;
static size_t page, npages, maplen;	/* the workers' mappings are longer */

/* Count a problem, and describe the first few (without stdio's locks). */
#define NOTE(counter, fmt, ...) do {					\
	ADD(race->counter, 1);						\
	if (ADD(race->notes, 1) < 8)					\
		dprintf(STDERR_FILENO, "# " fmt "\n", ##__VA_ARGS__);	\
} while (0)

/* Read word 0 of page @pg of @map, after the count of resets returned. */
static void check_mark(volatile unsigned char *map, size_t pg, const char *who)
{
	uint64_t done = LOAD(race->done), w = WORD(map, pg, 0);

	if (w && w >> 32 != MARK_TAG)
		NOTE(wrong, "%s: page %zu: word 0 holds %#llx", who, pg,
		     (unsigned long long)w);
	else if (w && (uint32_t)w <= done)
		NOTE(stale, "%s: page %zu: marker %u after reset %llu", who,
		     pg, (uint32_t)w, (unsigned long long)done);
}

/*
 * A thread that runs @fn, and @sig, the signal that stopped it, if any.  In
 * the race, CYCLER maps, reads and unmaps in a tight loop (its munmap() and
 * a reset take the same VMA down at once); the others step: FORKER forks
 * too, MOVER mremap()s, PINNER pins as an io_uring buffer where GUP works,
 * the rest map anew now and then.
 */
enum { FORKER, MOVER, CYCLER, PINNER };

struct worker {
	unsigned int id;
	void (*fn)(void *arg);
	int fd, ring, sig;	/* ring: the pinner's io_uring, or -1 */
	volatile unsigned char *map;
	unsigned int seed;
	uint64_t last;		/* the number it last wrote (or touches made) */
	uint64_t done_before, begun_after;	/* the counts around that write */
	pthread_t thread;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	w->sig = thread_signal(w->fn, w);
	return NULL;
}

/* Check a page's marker, read back the worker's word and write it anew. */
static void step(struct worker *w)
{
	volatile uint64_t *own = &WORD(w->map, w->id * npages / NR_THREADS,
				       1 + w->id);
	uint64_t done, r, begun;

	check_mark(w->map, rand_r(&w->seed) % npages, "worker");
	done = LOAD(race->done);
	r = *own;
	FENCE();
	begun = LOAD(race->begun);
	if (r && r == w->last && done > w->begun_after)
		NOTE(stale, "worker %u: %llu stays after reset %llu", w->id,
		     (unsigned long long)r, (unsigned long long)done);
	else if (!r && w->last && begun == w->done_before)
		NOTE(wrong, "worker %u: %llu lost, with no reset since", w->id,
		     (unsigned long long)w->last);
	else if (r && r != w->last)
		NOTE(wrong, "worker %u: wrote %llu, read %#llx", w->id,
		     (unsigned long long)w->last, (unsigned long long)r);

	w->done_before = LOAD(race->done);
	*own = ++w->last;
	FENCE();
	w->begun_after = LOAD(race->begun);
}

/* Map the worker's area anew, or move its mapping (aligned, for PMDs). */
static bool renew(struct worker *w, bool move)
{
	void *p;

	if (move) {
		p = reserve_aligned(maplen, pmd_pages() * page);
		p = mremap((void *)w->map, maplen, maplen,
			   MREMAP_MAYMOVE | MREMAP_FIXED, p);
	} else {
		munmap((void *)w->map, maplen);
		p = map_at(w->fd, NULL, maplen, 0);
	}
	if (p == MAP_FAILED)
		NOTE(failures, "worker %u: %s: %s", w->id,
		     move ? "mremap" : "mmap", strerror(errno));
	if (p != MAP_FAILED || !move)	/* a failed mmap() leaves none */
		w->map = p;
	ADD(*(move ? &race->moves : &race->cycles), 1);
	return p != MAP_FAILED;
}

/* A child checks markers through the mapping it inherits, and exits. */
static void fork_check(struct worker *w)
{
	int status, i;
	pid_t pid = fork();

	if (!pid) {
		signal(SIGBUS, SIG_DFL);
		signal(SIGSEGV, SIG_DFL);
		for (i = 0; i < 16; i++)
			check_mark(w->map, rand_r(&w->seed) % npages, "child");
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		NOTE(failures, "fork, waitpid: %s", strerror(errno));
	else if (WIFSIGNALED(status))
		NOTE(signals, "child: %s", strsignal(WTERMSIG(status)));
	ADD(race->forks, 1);
}

/* Register the worker's mapping as buffer 0 of its ring (@on), or not. */
static int pin(struct worker *w, bool on)
{
	struct iovec iov = { (void *)w->map, npages * page };

	return syscall(__NR_io_uring_register, w->ring,
		       on ? IORING_REGISTER_BUFFERS : IORING_UNREGISTER_BUFFERS,
		       on ? &iov : NULL, on) ? -errno : 0;
}

/*
 * Give the pinner a ring if registering its mapping works (NULL), or say why
 * not: 6.1's io_uring refuses file-backed memory; other errors go in *@err.
 */
static const char *pin_ring(struct worker *w, int *err)
{
	struct io_uring_params params = { 0 };

	w->ring = syscall(__NR_io_uring_setup, 1, &params);
	if (w->ring < 0)
		return "io_uring_setup() fails";
	*err = pin(w, true) ?: pin(w, false);
	if (!*err)
		return NULL;
	close(w->ring);
	w->ring = -1;
	*err = *err == -EOPNOTSUPP ? 0 : *err;
	return "this kernel's io_uring takes no file-backed buffers";
}

static void race_work(void *arg)
{
	struct timespec pause = { .tv_nsec = 200000 };
	struct worker *w = arg;
	unsigned long n;
	int err;

	for (n = 1; !LOAD(race->stop); n++) {
		if (w->id != CYCLER && LOAD(race->solo))
			break;
		if (w->id == FORKER && !(n % 8))
			fork_check(w);
		else if ((w->id == MOVER || w->id == CYCLER || !(n % 64)) &&
			 !renew(w, w->id == MOVER))
			break;
		if (w->id == CYCLER) {
			check_mark(w->map, 0, "cycler");
			continue;
		}
		err = w->ring >= 0 ? pin(w, true) : 1;
		if (err < 0)
			NOTE(failures, "pinning: %s", errno_name(-err));
		step(w);
		if (!err && !pin(w, false))
			ADD(race->pins, 1);
		nanosleep(&pause, NULL);
	}
	munmap((void *)w->map, maplen);
	w->map = MAP_FAILED;
}

/*
 * The test's thread resets for MMAPDEMO_TAKEDOWN_SECONDS, checking before
 * each reset that the last left no marker, while the workers race it.
 * Nobody may see stale data, lose a write no reset overlapped or get a
 * signal; no child is left, and every VMA goes.
 */
TEST_F_TIMEOUT(mmapdemo, reset_races_faults_forks_moves_munmaps_and_pins,
	       2 * MAX_SECONDS)
{
	const char *env = getenv("MMAPDEMO_TAKEDOWN_SECONDS"), *why;
	double seconds = env ? strtod(env, NULL) : 2;
	struct mmapdemo_stats before, after;
	struct worker ws[NR_THREADS], *w;
	volatile unsigned char *rmap;
	int err = 0, pin_err = 0;
	uint64_t k = 0, deadline;
	size_t pg, len;

	ASSERT_TRUE(seconds > 0 && seconds <= MAX_SECONDS);
	page = self->page;
	/* Huge mode's PMDs; elsewhere few enough for the resetter to fault. */
	maplen = wide_pages(&self->info) * page;
	npages = variant->huge ? maplen / page : 4 * NPAGES;
	len = npages * page;
	race = mmap(NULL, sizeof(*race), RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, race);
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_RESET));	/* no marker yet */
	ASSERT_EQ(0, device_stats(self->fd, &before));
	rmap = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, rmap);
	for (w = ws; w < ws + NR_THREADS; w++) {
		*w = (struct worker){ .id = w - ws, .fn = race_work, .ring = -1,
				      .fd = self->fd, .seed = w - ws,
				      .map = map_shared(self, maplen, 0) };
		ASSERT_NE(MAP_FAILED, w->map);
	}
	why = expect_gup(variant) ? pin_ring(&ws[PINNER], &pin_err) :
				    "GUP cannot follow a PFN map";
	ASSERT_EQ(0, pin_err) TH_LOG("registering: %s", errno_name(-pin_err));
	TH_LOG("pins: %s", why ? why : "an io_uring buffer, registered in a loop");

	deadline = now_ns() + seconds * 1e9;
	for (w = ws; w < ws + NR_THREADS; w++)
		ASSERT_EQ(0, pthread_create(&w->thread, NULL, worker_run, w));
	while (!err && now_ns() < deadline) {
		/*
		 * The last quarter, the cycler alone against bare resets: then
		 * munmap() and a reset meet most often (VM_PAT warned only so).
		 */
		STORE(race->solo, now_ns() > deadline - seconds * 0.25e9);
		for (k++, pg = 0; !race->solo && pg < npages; pg++) {
			if (WORD(rmap, pg, 0))
				NOTE(stale, "resetter: page %zu keeps %#llx", pg,
				     (unsigned long long)WORD(rmap, pg, 0));
			WORD(rmap, pg, 0) = MARK(k);
		}
		STORE(race->begun, k);
		err = ioctl(self->fd, MMAPDEMO_IOC_RESET) ? errno : 0;
		STORE(race->done, k);
	}
	STORE(race->stop, 1);
	for (w = ws; w < ws + NR_THREADS; w++) {
		pthread_join(w->thread, NULL);
		if (w->sig)
			NOTE(signals, "worker %u: %s", w->id, strsignal(w->sig));
		munmap((void *)w->map, maplen);
		close(w->ring);
	}
	munmap((void *)rmap, len);

	TH_LOG("%llu resets; %lu forks, %lu moves, %lu mmap/munmap, %lu pins",
	       (unsigned long long)k, race->forks, race->moves, race->cycles,
	       race->pins);
	EXPECT_EQ(0, err) TH_LOG("reset: %s", errno_name(err));
	ASSERT_EQ(0, device_stats(self->fd, &after));
	EXPECT_EQ(0, race->stale);
	EXPECT_EQ(0, race->wrong);
	EXPECT_EQ(0, race->signals);
	EXPECT_EQ(0, race->failures);
	EXPECT_TRUE(race->forks && race->moves && race->cycles);
	EXPECT_EQ(!why, race->pins > 0);
	EXPECT_EQ(before.live_vmas, after.live_vmas);
	/* No child is left: there is none to wait for. */
	EXPECT_EQ(-1, waitpid(-1, NULL, WNOHANG));
	munmap(race, sizeof(*race));
}

/* Removal, FIXTURE(module): each test loads the module itself. */

/* Open the device for mappings in row @m's mode (and fault_around). */
static int open_row(const struct mode_info *m)
{
	int fd;

	if (write_param("fault_around", m->around ? "1" : "0"))
		return -1;
	fd = open(DEVICE, O_RDWR);
	if (fd >= 0 && ioctl(fd, MMAPDEMO_IOC_SET_MODE, &m->mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Expect @call, which returns -1 on failure, to fail with @err. */
#define EXPECT_FAILS(err, call)						\
	EXPECT_EQ(err, (errno = 0, (long)(call) == -1) ? errno : 0)	\
		TH_LOG("%s: %s", #call, errno_name(errno))

#define EXPECT_SIGBUS(call, what)					\
	EXPECT_EQ(SIGBUS, call) TH_LOG("%s: %s", m->variant, what)

/*
 * Every access through any mapping raises SIGBUS: shared or private, to a
 * page mapped before or not, to a private copy too (the device it copied is
 * gone).  Each row maps a PMD's worth shared, writes its first half, never
 * touches its last page; and two pages private, read, the first written
 * (copied) where the mode allows a writable private mapping.
 */
TEST_F(module, remove_makes_every_access_sigbus)
{
	const struct mode_info *m;
	struct mmapdemo_info info;
	unsigned char *s, *v;
	size_t len, pg = self->page;
	int fd;

	for_each_mode_row(m) {
		ASSERT_EQ(0, module_load(""));
		fd = open_row(m);
		ASSERT_LE(0, fd) TH_LOG("%s", m->variant);
		ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_INFO, &info));
		len = wide_pages(&info) * pg;
		s = mmap(NULL, len, RW, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, s);
		fill_pattern(s, len / 2, 0, 20);
		v = mmap(NULL, 2 * pg, m->pfnmap ? PROT_READ : RW, MAP_PRIVATE, fd, 0);
		ASSERT_NE(MAP_FAILED, v);
		EXPECT_EQ(2 * pg, check_pattern(v, 2 * pg, 0, 20));
		if (!m->pfnmap)
			v[0] ^= 0xff;

		ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_REMOVE));
		EXPECT_SIGBUS(read_signal(s), "read a shared page written");
		EXPECT_SIGBUS(write_signal(s), "write a shared page written");
		EXPECT_SIGBUS(read_signal(s + len - pg), "read a shared page never touched");
		EXPECT_SIGBUS(write_signal(s + len - pg), "write a shared page never touched");
		EXPECT_SIGBUS(read_signal(v), m->pfnmap ? "read a private page read" :
							 "read a private copy");
		EXPECT_SIGBUS(read_signal(v + pg), "read a private page read");
		if (!m->pfnmap) {
			EXPECT_SIGBUS(write_signal(v), "write a private copy");
			EXPECT_SIGBUS(write_signal(v + pg),
				      "write a private page never written");
		}
		munmap(v, 2 * pg);
		munmap(s, len);
		close(fd);
		EXPECT_EQ(0, module_unload()) TH_LOG("%s", m->variant);
	}
}

/*
 * On a file still open, after the removal, only MMAPDEMO_IOC_INFO works:
 * there is no buffer left to read, write, map, sync, reset or remove, and
 * the node is gone, so nothing opens it again.  A file in each mode, for
 * mmap(), which each mode handles on its own.
 */
TEST_F(module, remove_fails_file_calls_enodev_but_info)
{
	struct mmapdemo_info info, now;
	const struct mode_info *m;
	struct mmapdemo_stats st;
	__u32 arg = 0;
	char byte = 0;
	int fd;

	for_each_mode_row(m) {
		ASSERT_EQ(0, module_load(""));
		fd = open_row(m);
		ASSERT_LE(0, fd) TH_LOG("%s", m->variant);
		ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_INFO, &info));
		ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_REMOVE));

		TH_LOG("a file in mode %s", m->variant);
		EXPECT_FAILS(ENOENT, open(DEVICE, O_RDWR));
		EXPECT_FAILS(ENODEV, read(fd, &byte, 1));
		EXPECT_FAILS(ENODEV, write(fd, &byte, 1));
		EXPECT_FAILS(ENODEV, mmap(NULL, self->page, RW, MAP_SHARED, fd, 0));
		EXPECT_FAILS(ENODEV, mmap(NULL, self->page, PROT_READ, MAP_PRIVATE, fd, 0));
		EXPECT_FAILS(ENODEV, fsync(fd));
		EXPECT_FAILS(ENODEV, fdatasync(fd));
		EXPECT_FAILS(ENODEV, ioctl(fd, MMAPDEMO_IOC_GET_MODE, &arg));
		EXPECT_FAILS(ENODEV, ioctl(fd, MMAPDEMO_IOC_SET_MODE, &m->mode));
		EXPECT_FAILS(ENODEV, ioctl(fd, MMAPDEMO_IOC_GET_TRACK, &arg));
		EXPECT_FAILS(ENODEV, ioctl(fd, MMAPDEMO_IOC_SET_TRACK, &arg));
		EXPECT_FAILS(ENODEV, ioctl(fd, MMAPDEMO_IOC_STATS, &st));
		EXPECT_FAILS(ENODEV, ioctl(fd, MMAPDEMO_IOC_RESET));
		EXPECT_FAILS(ENODEV, ioctl(fd, MMAPDEMO_IOC_REMOVE));
		memset(&now, 0xa5, sizeof(now));
		EXPECT_EQ(0, ioctl(fd, MMAPDEMO_IOC_INFO, &now));
		EXPECT_EQ(0, memcmp(&info, &now, sizeof(info)));
		close(fd);
		EXPECT_EQ(0, module_unload());
	}
}

/*
 * A removed device still holds the module while a file or a mapping of it
 * remains (the code they would call is the module's): delete_module()
 * fails with EWOULDBLOCK, as for a device in use, until the last one goes.
 */
TEST_F(module, removed_device_unloads_once_files_and_mappings_are_gone)
{
	unsigned char *p;
	int fd, fd2;

	ASSERT_EQ(0, module_load(""));
	fd = open(DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	fd2 = open(DEVICE, O_RDWR);
	ASSERT_LE(0, fd2);
	p = mmap(NULL, self->page, RW, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	touch_pages(p, self->page);
	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_REMOVE));

	EXPECT_EQ(-EWOULDBLOCK, module_unload()) TH_LOG("two files, a mapping");
	close(fd2);
	EXPECT_EQ(-EWOULDBLOCK, module_unload()) TH_LOG("a file and its mapping");
	close(fd);
	EXPECT_EQ(-EWOULDBLOCK, module_unload()) TH_LOG("a mapping");
	EXPECT_EQ(SIGBUS, read_signal(p));
	ASSERT_EQ(0, munmap(p, self->page));
	EXPECT_EQ(0, module_unload());

	/* A file alone, that never mapped anything. */
	ASSERT_EQ(0, module_load(""));
	fd = open(DEVICE, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_REMOVE));
	EXPECT_EQ(-EWOULDBLOCK, module_unload()) TH_LOG("a file");
	close(fd);
	EXPECT_EQ(0, module_unload());
}

/*
 * A page a pin holds is freed only when the pin goes: a pipe that
 * vmsplice()d a page of a fault mode mapping reads its data after the
 * removal, once the file and the mapping are gone and the module unloaded.
 * Reading a page freed meanwhile is a use after free, which KASAN reports.
 */
TEST_F(module, removed_page_outlives_the_module_in_a_pipe)
{
	unsigned char *p, buf[64];
	struct iovec iov;
	int fd, pipefd[2];

	ASSERT_EQ(0, module_load(""));
	fd = open_row(mode_info(MMAPDEMO_MODE_FAULT));
	ASSERT_LE(0, fd);
	p = mmap(NULL, self->page, RW, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill_pattern(p, self->page, 0, 21);
	ASSERT_EQ(0, pipe(pipefd));
	iov = (struct iovec){ .iov_base = p, .iov_len = self->page };
	ASSERT_EQ((ssize_t)self->page, vmsplice(pipefd[1], &iov, 1, 0));

	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_REMOVE));
	munmap(p, self->page);
	close(fd);
	ASSERT_EQ(0, module_unload()) TH_LOG("does the pipe hold the module?");
	EXPECT_EQ((ssize_t)sizeof(buf), read(pipefd[0], buf, sizeof(buf)));
	EXPECT_EQ(sizeof(buf), check_pattern(buf, sizeof(buf), 0, 21));
	close(pipefd[0]);
	close(pipefd[1]);
}

static int removed;	/* the removal has returned */

/* Touch random pages until a touch begun after the removal returned. */
static void touch(void *arg)
{
	struct worker *w = arg;
	volatile unsigned char *p;
	int after;

	do {
		after = LOAD(removed);
		p = w->map + rand_r(&w->seed) % npages * page;
		if (rand_r(&w->seed) & 1)
			(void)*p;
		else
			*p = 1;
		STORE(w->last, w->last + 1);
	} while (!after);
}

static void read_word(void *addr)
{
	(void)*(volatile uint64_t *)addr;
}

/* Whether each of the NR_THREADS workers @ws has touched its mapping. */
static bool all_touched(struct worker *ws)
{
	struct worker *w;

	for (w = ws; w < ws + NR_THREADS; w++)
		if (!LOAD(w->last))
			return false;
	return true;
}

/*
 * Eight threads fault through a shared mapping, kept faulting by resets
 * (eager modes too), when the device is removed.  A touch begun before the
 * removal returned may work; every one after it raises SIGBUS, so each
 * thread ends with SIGBUS, and so does every page of the mapping.  Then the
 * module unloads.  Three times in each mode.
 */
TEST_F(module, remove_races_faulting_threads)
{
	struct worker ws[NR_THREADS], *w;
	const struct mode_info *m;
	struct mmapdemo_info info;
	unsigned long resets;
	unsigned int i;
	int fd, sig;
	uint64_t deadline, give_up;
	unsigned char *p;
	size_t pg;

	page = self->page;
	for (i = 0; i < 3 * nr_mode_rows; i++) {
		m = &mode_rows[i / 3];
		ASSERT_EQ(0, module_load(""));
		fd = open_row(m);
		ASSERT_LE(0, fd) TH_LOG("%s", m->variant);
		ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_INFO, &info));
		npages = wide_pages(&info);
		p = mmap(NULL, npages * page, RW, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		STORE(removed, 0);
		for (w = ws; w < ws + NR_THREADS; w++) {
			*w = (struct worker){ .fn = touch, .map = p,
					      .seed = w - ws };
			ASSERT_EQ(0, pthread_create(&w->thread, NULL,
						    worker_run, w));
		}
		/*
		 * 50 ms, and until every thread has touched the mapping (within
		 * 10 s): under TCG, the threads may not all have run yet.
		 */
		deadline = now_ns() + 50 * 1000000ULL;
		give_up = now_ns() + 10000 * 1000000ULL;
		for (resets = 0; now_ns() < deadline ||
				 (!all_touched(ws) && now_ns() < give_up); resets++)
			ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_RESET));
		ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_REMOVE));
		STORE(removed, 1);

		for (w = ws; w < ws + NR_THREADS; w++) {
			pthread_join(w->thread, NULL);
			EXPECT_EQ(SIGBUS, w->sig) TH_LOG("%s: after %llu touches",
				m->variant, (unsigned long long)w->last);
			EXPECT_LT(0, w->last);
		}
		/* No fault that raced with the removal left a page mapped. */
		for (pg = 0, sig = SIGBUS; pg < npages && sig == SIGBUS; pg++)
			sig = thread_signal(read_word, p + pg * page);
		EXPECT_EQ(SIGBUS, sig) TH_LOG("%s: page %zu, after %lu resets",
					      m->variant, pg - 1, resets);
		EXPECT_EQ(0, munmap(p, npages * page));
		close(fd);
		ASSERT_EQ(0, module_unload()) TH_LOG("%s", m->variant);
	}
}

TEST_HARNESS_MAIN
