// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: threads and processes call mmap(), munmap(), mremap(), mprotect(),
 * madvise(), fork(), close() and open(), ioctl(), read() and write() on
 * /dev/mmapdemo at random for a few seconds, in each mode, then in all of
 * them at once.
 *
 * Each worker owns a region of the buffer and knows the pattern seed of each
 * of its pages.  After every call that may change the region or its
 * mappings, the worker checks the region through each readable mapping and
 * through read().  Every failing call must fail with the errno the kernel
 * is expected to return for it; anything else, a signal, a mismatch, a VMA
 * or a child left behind fails the phase.
 *
 *   stress_test [-t SECONDS] [-s SEED]
 *
 * SECONDS (default 5, or $MMAPDEMO_STRESS_SECONDS) is shared by the phases.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "helpers.h"

#define NR_THREADS	4
#define NR_PROCS	2
#define NR_WORKERS	(NR_THREADS + NR_PROCS)
#define REGION_PAGES	8	/* each worker's share of the buffer */
#define MAX_MAPS	4	/* mappings a worker holds at most */
#define MAX_NOTES	4	/* unexpected results a worker prints */
#define MAX_ERRNO	134
#define RW		(PROT_READ | PROT_WRITE)

enum op_kind {
	OP_MMAP, OP_MUNMAP, OP_MREMAP, OP_MPROTECT, OP_MADVISE, OP_STORE,
	OP_READ, OP_WRITE, OP_IOCTL, OP_FORK, OP_REOPEN, NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"mmap", "munmap", "mremap", "mprotect", "madvise", "store",
	"read", "write", "ioctl", "fork", "reopen",
};

struct op_count {
	unsigned long done, expected, unexpected;
};

/* What a worker reports; in shared memory, for process workers. */
struct report {
	unsigned int seeds[REGION_PAGES];	/* pattern seed of each page */
	struct op_count ops[NR_OPS];
	unsigned long errnos[MAX_ERRNO];	/* expected errors, by errno */
	unsigned long checks;			/* calls of verify() */
	unsigned long mismatches;
	unsigned int notes;
	bool finished;
};

/* A mapping of pages [first, first + pages) of the worker's region. */
struct map {
	unsigned char *addr;	/* NULL: a free slot */
	size_t first, pages;
	__u32 mode;		/* the mode it was made in */
	int prot;
	bool private;
	bool split;		/* may be more than one VMA */
};

struct phase {
	const char *name;
	__u32 mode;
	bool mixed;		/* SET_MODE picks either mode at random */
};

struct worker {
	int id;
	const struct phase *phase;
	struct report *rep;
	size_t off;		/* of the region in the buffer */
	int fd;
	__u32 fd_mode;		/* the mode of fd's next mmap() */
	struct map maps[MAX_MAPS];
	unsigned char *buf;	/* REGION_PAGES pages for read() */
	unsigned long long rng;
	unsigned int next_seed;
	struct mmapdemo_stats seen;
	pthread_t thread;
};

static const struct phase phases[] = {
	{ "remap", MMAPDEMO_MODE_REMAP, false },
	{ "fault", MMAPDEMO_MODE_FAULT, false },
	{ "insert", MMAPDEMO_MODE_INSERT, false },
	{ "pfn", MMAPDEMO_MODE_PFN, false },
	{ "huge", MMAPDEMO_MODE_HUGE, false },
	{ "mixed", MMAPDEMO_MODE_REMAP, true },
};

#define NR_PHASES	ARRAY_SIZE(phases)

/* Set up by main() before any worker starts, read-only afterwards. */
static struct mmapdemo_info info;
static size_t page, region_len;
static struct timespec deadline;

#define NR_MODES	(MMAPDEMO_MODE_HUGE + 1)

static const char *mode_name(__u32 mode)
{
	static const char *const names[NR_MODES] = {
		[MMAPDEMO_MODE_REMAP] = "remap",
		[MMAPDEMO_MODE_FAULT] = "fault",
		[MMAPDEMO_MODE_INSERT] = "insert",
		[MMAPDEMO_MODE_PFN] = "pfn",
		[MMAPDEMO_MODE_HUGE] = "huge",
	};

	return mode < NR_MODES ? names[mode] : "?";
}

static const char *errno_name(int err)
{
	const char *name = err ? strerrorname_np(err) : NULL;

	return err ? (name ? name : "E?") : "success";
}

static unsigned long long rnd(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

/* A random number in [0, n). */
static size_t rnd_below(struct worker *w, size_t n)
{
	return rnd(w) % n;
}

static unsigned int new_seed(struct worker *w)
{
	return (w->id + 1) << 24 | ++w->next_seed;
}

static bool time_is_up(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline.tv_sec ||
	       (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

/* Print one of the first MAX_NOTES unexpected results of @w. */
static void __printf(2, 3) note(struct worker *w, const char *fmt, ...)
{
	char msg[200];
	va_list args;

	if (w->rep->notes++ >= MAX_NOTES)
		return;
	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	ksft_print_msg("worker %d (%s): %s\n", w->id,
		       w->id < NR_THREADS ? "thread" : "process", msg);
}

/*
 * Count a call of @kind that ended with errno @err (0: success), where
 * @want was expected.  @call names it, @m is the mapping it acted on.
 */
static bool expect(struct worker *w, enum op_kind kind, int err, int want,
		   const char *call, const struct map *m)
{
	struct op_count *c = &w->rep->ops[kind];

	c->done++;
	if (err == want) {
		if (err) {
			c->expected++;
			w->rep->errnos[err < MAX_ERRNO ? err : 0]++;
		}
		return true;
	}
	c->unexpected++;
	note(w, "%s%s%s%s: %s, expected %s", call, m ? " on a " : "",
	     m ? mode_name(m->mode) : "",
	     m ? (m->private ? " private mapping" : " shared mapping") : "",
	     errno_name(err), errno_name(want));
	return false;
}

/* Count an unexpected result of @kind that is not an errno. */
static void __printf(3, 4) fail(struct worker *w, enum op_kind kind,
				const char *fmt, ...)
{
	char msg[160];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	w->rep->ops[kind].unexpected++;
	note(w, "%s", msg);
}

/* The errno of a call that failed if @failed, or 0. */
static int err_if(bool failed)
{
	return failed ? errno : 0;
}

static size_t map_len(const struct map *m)
{
	return m->pages * page;
}

/* The position in the buffer of page @i of the region. */
static size_t page_pos(struct worker *w, size_t i)
{
	return w->off + i * page;
}

/* remap, pfn and huge map bare frame numbers: VM_PFNMAP. */
static bool is_pfnmap(const struct map *m)
{
	return m->mode == MMAPDEMO_MODE_REMAP || m->mode == MMAPDEMO_MODE_PFN ||
	       m->mode == MMAPDEMO_MODE_HUGE;
}

static bool page_ok(struct worker *w, const unsigned char *p, size_t i)
{
	return check_pattern(p, page, page_pos(w, i), w->rep->seeds[i]) == page;
}

static void mismatch(struct worker *w, const char *where, size_t i)
{
	w->rep->mismatches++;
	note(w, "page %zu of the region is wrong through %s", i, where);
}

static void check_map(struct worker *w, const struct map *m)
{
	size_t i;

	for (i = 0; i < m->pages; i++)
		if (!page_ok(w, m->addr + i * page, m->first + i))
			mismatch(w, mode_name(m->mode), m->first + i);
}

static void check_maps(struct worker *w)
{
	const struct map *m;

	for (m = w->maps; m < w->maps + MAX_MAPS; m++)
		if (m->addr && (m->prot & PROT_READ))
			check_map(w, m);
}

/* Check pages [first, first + pages) of the region, read() into buf. */
static void check_buf(struct worker *w, size_t first, size_t pages,
		      const char *where)
{
	size_t i;

	for (i = 0; i < pages; i++)
		if (!page_ok(w, w->buf + i * page, first + i))
			mismatch(w, where, first + i);
}

static void check_read(struct worker *w)
{
	ssize_t done = pread(w->fd, w->buf, region_len, w->off);

	if (done != (ssize_t)region_len)
		fail(w, OP_READ, "pread(region): %zd bytes, %s", done,
		     errno_name(done < 0 ? errno : 0));
	else
		check_buf(w, 0, REGION_PAGES, "read()");
}

/* Check the region through every readable mapping and through read(). */
static void verify(struct worker *w)
{
	w->rep->checks++;
	check_maps(w);
	check_read(w);
}

/* Give pages [first, first + pages) a new pattern, stored at @p. */
static void store_pattern(struct worker *w, unsigned char *p, size_t first,
			  size_t pages)
{
	unsigned int seed = new_seed(w);
	size_t i;

	for (i = first; i < first + pages; i++) {
		fill_pattern(p + (i - first) * page, page, page_pos(w, i), seed);
		w->rep->seeds[i] = seed;
	}
}

static struct map *free_map(struct worker *w)
{
	struct map *m;

	for (m = w->maps; m < w->maps + MAX_MAPS; m++)
		if (!m->addr)
			return m;
	return NULL;
}

/* A random mapping of @w that @want_prot allows, or NULL. */
static struct map *pick_map(struct worker *w, int want_prot, bool shared)
{
	size_t start = rnd_below(w, MAX_MAPS), i;
	struct map *m;

	for (i = 0; i < MAX_MAPS; i++) {
		m = &w->maps[(start + i) % MAX_MAPS];
		if (m->addr && (m->prot & want_prot) == want_prot &&
		    (!shared || !m->private))
			return m;
	}
	return NULL;
}

static unsigned int nr_maps(struct worker *w)
{
	unsigned int n = 0, i;

	for (i = 0; i < MAX_MAPS; i++)
		n += !!w->maps[i].addr;
	return n;
}

/* A random run of pages inside the region: *first and *pages. */
static void pick_pages(struct worker *w, size_t *first, size_t *pages)
{
	*first = rnd_below(w, REGION_PAGES);
	*pages = 1 + rnd_below(w, REGION_PAGES - *first);
}

/*
 * fault: a writable private mapping copies each page it writes, so the
 * buffer keeps its data.  remap refuses the mapping: a PFN map cannot be
 * copied on write page by page.
 */
static void map_private_writable(struct worker *w, size_t first, size_t pages)
{
	struct map m = { .first = first, .pages = pages, .mode = w->fd_mode,
			 .prot = RW, .private = true };
	unsigned int seed = new_seed(w);
	size_t len = map_len(&m), pos = page_pos(w, first);

	m.addr = mmap(NULL, len, RW, MAP_PRIVATE, w->fd, pos);
	if (!expect(w, OP_MMAP, err_if(m.addr == MAP_FAILED),
		    is_pfnmap(&m) ? EINVAL : 0, "mmap(PROT_WRITE, MAP_PRIVATE)",
		    &m) || m.addr == MAP_FAILED) {
		if (m.addr != MAP_FAILED)
			munmap(m.addr, len);
		return;
	}
	fill_pattern(m.addr, len, pos, seed);
	if (check_pattern(m.addr, len, pos, seed) != len)
		mismatch(w, "a private copy", first);
	verify(w);
	munmap(m.addr, len);
}

/* A range that ends past the buffer is refused before anything is mapped. */
static void map_past_end(struct worker *w)
{
	void *p = mmap(NULL, 2 * page, RW, MAP_SHARED, w->fd,
		       info.size - page);

	expect(w, OP_MMAP, err_if(p == MAP_FAILED), EINVAL,
	       "mmap(past the end)", NULL);
	if (p != MAP_FAILED)
		munmap(p, 2 * page);
}

static void op_munmap(struct worker *w);

static void op_mmap(struct worker *w)
{
	static const struct { int prot; bool private; } kinds[] = {
		{ RW, false }, { RW, false }, { PROT_READ, false },
		{ PROT_READ, true },
	};
	struct map *m = free_map(w);
	size_t first, pages, kind = rnd_below(w, 6);

	if (!m) {
		op_munmap(w);
		return;
	}
	pick_pages(w, &first, &pages);
	if (kind == 4) {
		map_private_writable(w, first, pages);
		return;
	}
	if (kind == 5) {
		map_past_end(w);
		return;
	}

	*m = (struct map){ .first = first, .pages = pages, .mode = w->fd_mode,
			   .prot = kinds[kind].prot,
			   .private = kinds[kind].private };
	m->addr = mmap(NULL, map_len(m), m->prot,
		       m->private ? MAP_PRIVATE : MAP_SHARED, w->fd,
		       page_pos(w, first));
	if (m->addr == MAP_FAILED) {
		m->addr = NULL;
		expect(w, OP_MMAP, errno, 0, "mmap", m);
		return;
	}
	expect(w, OP_MMAP, 0, 0, "mmap", m);
	verify(w);
}

/* Unmap pages [i, i + n) of @m: all, a head, a tail, or a middle. */
static void unmap_pages(struct worker *w, struct map *m, size_t i, size_t n)
{
	struct map *rest;

	if (!expect(w, OP_MUNMAP, err_if(munmap(m->addr + i * page, n * page)),
		    0, "munmap", m))
		return;
	if (n == m->pages) {
		m->addr = NULL;
	} else if (!i) {
		m->addr += n * page;
		m->first += n;
		m->pages -= n;
	} else if (i + n == m->pages) {
		m->pages -= n;
	} else {
		/* op_munmap() made sure that there is a free slot. */
		rest = free_map(w);
		*rest = *m;
		rest->addr += (i + n) * page;
		rest->first += i + n;
		rest->pages -= i + n;
		m->pages = i;
	}
}

static void op_munmap(struct worker *w)
{
	struct map *m = pick_map(w, PROT_NONE, false);
	size_t i, n;

	if (!m)
		return;
	i = rnd_below(w, m->pages);
	n = 1 + rnd_below(w, m->pages - i);
	/* Splitting in three needs a slot for the tail: unmap it too. */
	if (i && i + n < m->pages && !free_map(w))
		n = m->pages - i;
	unmap_pages(w, m, i, n);
	verify(w);
}

/* Shrinking in place unmaps the tail, however many VMAs there are. */
static void mremap_shrink(struct worker *w, struct map *m)
{
	size_t pages = 1 + rnd_below(w, m->pages - 1);
	void *p = mremap(m->addr, map_len(m), pages * page, 0);

	if (!expect(w, OP_MREMAP, err_if(p == MAP_FAILED), 0,
		    "mremap(shrink)", m))
		return;
	if (p != m->addr)
		fail(w, OP_MREMAP, "mremap(shrink) moved the mapping");
	m->addr = p;
	m->pages = pages;
}

/*
 * Move the mapping (and maybe shrink it) onto a range reserved for it.  The
 * PTEs, or the PFNs, go along; the old range becomes free.
 */
static void mremap_move(struct worker *w, struct map *m)
{
	size_t pages = 1 + rnd_below(w, m->pages);
	void *dst, *p;

	dst = mmap(NULL, pages * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (dst == MAP_FAILED) {
		fail(w, OP_MREMAP, "mmap(reserve): %s", errno_name(errno));
		return;
	}
	p = mremap(m->addr, map_len(m), pages * page,
		   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	/*
	 * On failure the reservation may be gone already, and another
	 * thread may own the range by now: leave it alone.
	 */
	if (!expect(w, OP_MREMAP, err_if(p == MAP_FAILED), 0, "mremap(move)",
		    m))
		return;
	if (p != dst)
		fail(w, OP_MREMAP, "mremap(move) to %p, not %p", p, dst);
	m->addr = p;
	m->pages = pages;
}

/*
 * VM_DONTEXPAND keeps the mapping inside the range mmap() checked:
 * growing it fails with EFAULT (vma_to_resize()), in place or not.
 */
static void mremap_grow(struct worker *w, struct map *m)
{
	int flags = rnd_below(w, 2) ? MREMAP_MAYMOVE : 0;
	void *p = mremap(m->addr, map_len(m), map_len(m) + page, flags);

	expect(w, OP_MREMAP, err_if(p == MAP_FAILED), EFAULT, "mremap(grow)",
	       m);
	if (p != MAP_FAILED) {
		munmap(p, map_len(m) + page);
		m->addr = NULL;
	}
}

/*
 * MREMAP_DONTUNMAP leaves the old range to be faulted in again, which the
 * core allows for no VM_DONTEXPAND or VM_PFNMAP mapping: EINVAL.
 */
static void mremap_dontunmap(struct worker *w, struct map *m)
{
	void *p = mremap(m->addr, map_len(m), map_len(m),
			 MREMAP_MAYMOVE | MREMAP_DONTUNMAP);

	expect(w, OP_MREMAP, err_if(p == MAP_FAILED), EINVAL,
	       "mremap(DONTUNMAP)", m);
	if (p != MAP_FAILED) {
		munmap(p, map_len(m));
		munmap(m->addr, map_len(m));
		m->addr = NULL;
	}
}

static void op_mremap(struct worker *w)
{
	struct map *m = pick_map(w, PROT_NONE, false);
	size_t action = rnd_below(w, 6);

	if (!m) {
		op_mmap(w);
		return;
	}
	/* A move needs the old range to be one VMA: else EFAULT. */
	if (action < 2 && m->pages > 1)
		mremap_shrink(w, m);
	else if (action < 4 && !m->split)
		mremap_move(w, m);
	else if (action == 5 && !m->split)
		mremap_dontunmap(w, m);
	else
		mremap_grow(w, m);
	verify(w);
}

/*
 * remap took VM_MAYWRITE away from a private mapping in mmap(), as it
 * cannot copy it on write: EACCES for PROT_WRITE.
 */
static int mprotect_errno(const struct map *m, int prot)
{
	return m->private && (prot & PROT_WRITE) && is_pfnmap(m) ? EACCES : 0;
}

/*
 * Change the protection of @m, or of some of its pages (which splits the
 * VMA for good: VMAs of the device never merge).  A private mapping is
 * never left writable, nor a part of a mapping with a protection of its own.
 */
static void op_mprotect(struct worker *w)
{
	static const int prots[] = { RW, PROT_READ, PROT_NONE };
	struct map *m = pick_map(w, PROT_NONE, false);
	int prot = prots[rnd_below(w, 3)];
	size_t i = 0, n;
	bool ok;

	if (!m) {
		op_mmap(w);
		return;
	}
	n = m->pages;
	if (rnd_below(w, 2)) {
		i = rnd_below(w, n);
		n = 1 + rnd_below(w, n - i);
	}
	ok = expect(w, OP_MPROTECT,
		    err_if(mprotect(m->addr + i * page, n * page, prot)),
		    mprotect_errno(m, prot), "mprotect", m);
	if (n < m->pages)
		m->split = true;
	if (ok && n == m->pages && !(m->private && (prot & PROT_WRITE)))
		m->prot = prot;
	else
		expect(w, OP_MPROTECT,
		       err_if(mprotect(m->addr + i * page, n * page, m->prot)),
		       0, "mprotect(back)", m);
	verify(w);
}

/*
 * MADV_DONTNEED needs a fault handler to bring the pages back, which a PFN
 * map lacks (madvise_dontneed_free_valid_vma()).  MADV_POPULATE_* faults
 * pages in through GUP, which refuses VM_PFNMAP and mappings without the
 * access asked for; madvise() reports either as EINVAL.
 */
static int madvise_errno(const struct map *m, int advice)
{
	int need = advice == MADV_POPULATE_READ ? PROT_READ :
		   advice == MADV_POPULATE_WRITE ? PROT_WRITE : PROT_NONE;

	return is_pfnmap(m) || (m->prot & need) != need ? EINVAL : 0;
}

static void op_madvise(struct worker *w)
{
	static const struct { int advice; const char *name; } advices[] = {
		{ MADV_DONTNEED, "madvise(DONTNEED)" },
		{ MADV_POPULATE_READ, "madvise(POPULATE_READ)" },
		{ MADV_POPULATE_WRITE, "madvise(POPULATE_WRITE)" },
	};
	struct map *m = pick_map(w, PROT_NONE, false);
	size_t a = rnd_below(w, 3), i, n;

	if (!m) {
		op_mmap(w);
		return;
	}
	i = rnd_below(w, m->pages);
	n = 1 + rnd_below(w, m->pages - i);
	expect(w, OP_MADVISE,
	       err_if(madvise(m->addr + i * page, n * page,
			      advices[a].advice)),
	       madvise_errno(m, advices[a].advice), advices[a].name, m);
	verify(w);
}

/* Write a new pattern into some pages of a shared writable mapping. */
static void op_store(struct worker *w)
{
	struct map *m = pick_map(w, RW, true);
	size_t i, n;

	if (!m) {
		op_mmap(w);
		return;
	}
	i = rnd_below(w, m->pages);
	n = 1 + rnd_below(w, m->pages - i);
	store_pattern(w, m->addr + i * page, m->first + i, n);
	w->rep->ops[OP_STORE].done++;
	verify(w);
}

/*
 * read() into a mapping of the same pages, which leaves them as they are,
 * or EFAULT when the mapping is not writable.
 */
static void read_into_map(struct worker *w, struct map *m)
{
	ssize_t done = pread(w->fd, m->addr, map_len(m),
			     page_pos(w, m->first));
	int want = (m->prot & PROT_WRITE) && !m->private ? 0 : EFAULT;

	if (expect(w, OP_READ, err_if(done < 0), want, "pread(into mapping)",
		   m) && !want && done != (ssize_t)map_len(m))
		fail(w, OP_READ, "pread(into mapping): %zd bytes", done);
}

/* /proc/self/mem reads through GUP (fault) or the driver's ->access (remap). */
static void read_proc_mem(struct worker *w, struct map *m)
{
	int mem = open("/proc/self/mem", O_RDONLY);
	ssize_t done;

	if (!expect(w, OP_READ, err_if(mem < 0), 0, "open(/proc/self/mem)",
		    NULL))
		return;
	done = pread(mem, w->buf, map_len(m), (uintptr_t)m->addr);
	close(mem);
	if (!expect(w, OP_READ, err_if(done < 0), 0, "pread(/proc/self/mem)",
		    m))
		return;
	if (done != (ssize_t)map_len(m))
		fail(w, OP_READ, "pread(/proc/self/mem): %zd bytes", done);
	else
		check_buf(w, m->first, m->pages, "/proc/self/mem");
}

/* lseek() and read() from the file position, then the edges of the file. */
static void read_at_position(struct worker *w)
{
	size_t first, pages;
	off_t pos;
	ssize_t done;

	pick_pages(w, &first, &pages);
	pos = lseek(w->fd, page_pos(w, first), SEEK_SET);
	expect(w, OP_READ, err_if(pos < 0), 0, "lseek", NULL);
	done = read(w->fd, w->buf, pages * page);
	if (done >= 0 && done != (ssize_t)(pages * page))
		fail(w, OP_READ, "read: %zd bytes", done);
	else if (expect(w, OP_READ, err_if(done < 0), 0, "read", NULL))
		check_buf(w, first, pages, "read() at the file position");

	/* At the end: 0 bytes.  Past it, lseek() refuses; NULL faults. */
	done = pread(w->fd, w->buf, page, info.size);
	if (expect(w, OP_READ, err_if(done < 0), 0, "pread(at the end)",
		   NULL) && done)
		fail(w, OP_READ, "pread(at the end): %zd bytes", done);
	expect(w, OP_READ, err_if(lseek(w->fd, info.size + 1, SEEK_SET) < 0),
	       EINVAL, "lseek(past the end)", NULL);
	expect(w, OP_READ, err_if(pread(w->fd, NULL, page, w->off) < 0),
	       EFAULT, "pread(NULL)", NULL);
}

static void op_read(struct worker *w)
{
	struct map *m = pick_map(w, PROT_NONE, false);

	switch (rnd_below(w, 3)) {
	case 0:
		if (m)
			read_into_map(w, m);
		break;
	case 1:
		m = pick_map(w, PROT_READ, false);
		if (m)
			read_proc_mem(w, m);
		break;
	default:
		read_at_position(w);
	}
	verify(w);
}

/* write() a new pattern into some pages of the region. */
static void write_new_pattern(struct worker *w)
{
	size_t first, pages, len;
	ssize_t done;

	pick_pages(w, &first, &pages);
	len = pages * page;
	store_pattern(w, w->buf, first, pages);
	done = pwrite(w->fd, w->buf, len, page_pos(w, first));
	if (expect(w, OP_WRITE, err_if(done < 0), 0, "pwrite", NULL) &&
	    done != (ssize_t)len)
		fail(w, OP_WRITE, "pwrite: %zd of %zu bytes", done, len);
}

/*
 * write() from a mapping of the same pages, which leaves them as they are,
 * or EFAULT when the mapping is not readable.
 */
static void write_from_map(struct worker *w, struct map *m)
{
	ssize_t done = pwrite(w->fd, m->addr, map_len(m),
			      page_pos(w, m->first));

	expect(w, OP_WRITE, err_if(done < 0), m->prot & PROT_READ ? 0 : EFAULT,
	       "pwrite(from mapping)", m);
}

/* At the end of the buffer: ENOSPC.  From NULL: EFAULT, nothing written. */
static void write_edges(struct worker *w)
{
	expect(w, OP_WRITE, err_if(pwrite(w->fd, w->buf, 1, info.size) < 0),
	       ENOSPC, "pwrite(at the end)", NULL);
	expect(w, OP_WRITE, err_if(pwrite(w->fd, NULL, page, w->off) < 0),
	       EFAULT, "pwrite(NULL)", NULL);
}

static void op_write(struct worker *w)
{
	struct map *m = pick_map(w, PROT_NONE, false);

	switch (rnd_below(w, 4)) {
	case 0:
		if (m)
			write_from_map(w, m);
		break;
	case 1:
		write_edges(w);
		break;
	default:
		write_new_pattern(w);
	}
	verify(w);
}

static int ioctl_err(int fd, unsigned long cmd, void *arg)
{
	return err_if(ioctl(fd, cmd, arg));
}

static void check_mode(struct worker *w)
{
	__u32 mode = ~0u;

	if (expect(w, OP_IOCTL, ioctl_err(w->fd, MMAPDEMO_IOC_GET_MODE, &mode),
		   0, "GET_MODE", NULL) && mode != w->fd_mode)
		fail(w, OP_IOCTL, "GET_MODE: %u, expected %u", mode,
		     w->fd_mode);
}

/* The mode the worker's next mmap() should use, in this phase. */
static __u32 wanted_mode(struct worker *w)
{
	if (!w->phase->mixed)
		return w->phase->mode;
	return rnd_below(w, NR_MODES);
}

static void set_mode(struct worker *w, __u32 mode)
{
	if (expect(w, OP_IOCTL, ioctl_err(w->fd, MMAPDEMO_IOC_SET_MODE, &mode),
		   0, "SET_MODE", NULL))
		w->fd_mode = mode;
	check_mode(w);
}

/* An unknown mode is refused and changes nothing. */
static void set_bad_mode(struct worker *w)
{
	/* struct mmapdemo_stats counts 8 modes at most. */
	__u32 mode = 8 + rnd_below(w, 1000);

	if (rnd_below(w, 2))
		mode = ~0u;
	expect(w, OP_IOCTL, ioctl_err(w->fd, MMAPDEMO_IOC_SET_MODE, &mode),
	       EINVAL, "SET_MODE(bad mode)", NULL);
	check_mode(w);
}

static void check_info(struct worker *w)
{
	struct mmapdemo_info now;

	if (expect(w, OP_IOCTL, ioctl_err(w->fd, MMAPDEMO_IOC_INFO, &now), 0,
		   "INFO", NULL) && memcmp(&now, &info, sizeof(info)))
		fail(w, OP_IOCTL, "INFO changed");
}

/*
 * The counters only grow, but live_vmas, which counts at least the
 * mappings of this worker.
 */
static void check_stats(struct worker *w)
{
	struct mmapdemo_stats st, *old = &w->seen;

	if (!expect(w, OP_IOCTL, ioctl_err(w->fd, MMAPDEMO_IOC_STATS, &st), 0,
		    "STATS", NULL))
		return;
	if (st.opens < old->opens || st.faults < old->faults ||
	    st.eager_pages < old->eager_pages ||
	    st.mmaps[0] < old->mmaps[0] || st.mmaps[1] < old->mmaps[1] ||
	    st.bytes_read < old->bytes_read ||
	    st.bytes_written < old->bytes_written)
		fail(w, OP_IOCTL, "STATS: a counter went down");
	if (st.live_vmas < nr_maps(w))
		fail(w, OP_IOCTL, "STATS: %llu live VMAs, this worker has %u",
		     (unsigned long long)st.live_vmas, nr_maps(w));
	*old = st;
}

/* Unknown commands: ENOTTY.  A bad pointer: EFAULT, not a signal. */
static void bad_ioctls(struct worker *w)
{
	expect(w, OP_IOCTL,
	       ioctl_err(w->fd, _IO(MMAPDEMO_IOC_MAGIC, 0x7f), NULL), ENOTTY,
	       "ioctl(unknown)", NULL);
	expect(w, OP_IOCTL,
	       ioctl_err(w->fd, _IOR(MMAPDEMO_IOC_MAGIC, 0x03, __u32), NULL),
	       ENOTTY, "ioctl(STATS with the wrong size)", NULL);
	expect(w, OP_IOCTL, ioctl_err(w->fd, MMAPDEMO_IOC_INFO, NULL), EFAULT,
	       "INFO(NULL)", NULL);
	expect(w, OP_IOCTL, ioctl_err(w->fd, MMAPDEMO_IOC_SET_MODE, NULL),
	       EFAULT, "SET_MODE(NULL)", NULL);
}

static void op_ioctl(struct worker *w)
{
	switch (rnd_below(w, 6)) {
	case 0:
		check_info(w);
		break;
	case 1:
		check_stats(w);
		break;
	case 2:
		check_mode(w);
		break;
	case 3:
		set_bad_mode(w);
		break;
	case 4:
		bad_ioctls(w);
		break;
	default:
		set_mode(w, wanted_mode(w));
	}
}

/*
 * In a child: check each readable mapping it inherited, then store the
 * pattern @seed through @m.  Exits 0 if all was well, 1 on a mismatch.
 */
static void __noreturn child_check_and_store(struct worker *w, struct map *m,
					     unsigned int seed)
{
	const struct map *c;
	size_t i;

	for (c = w->maps; c < w->maps + MAX_MAPS; c++)
		for (i = 0; c->addr && (c->prot & PROT_READ) && i < c->pages;
		     i++)
			if (!page_ok(w, c->addr + i * page, c->first + i))
				_exit(1);
	for (i = 0; m && i < m->pages; i++)
		fill_pattern(m->addr + i * page, page, page_pos(w, m->first + i),
			     seed);
	_exit(0);
}

/* A child shares the mappings: its writes through a shared one show here. */
static void op_fork(struct worker *w)
{
	struct map *m = pick_map(w, RW, true);
	unsigned int seed = new_seed(w);
	int status;
	size_t i;
	pid_t pid;

	pid = fork();
	if (!pid)
		child_check_and_store(w, m, seed);
	if (!expect(w, OP_FORK, err_if(pid < 0), 0, "fork", NULL) || pid < 0)
		return;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		w->rep->mismatches++;
		note(w, "child status %#x: a mismatch in its mappings", status);
		return;
	}
	for (i = 0; m && i < m->pages; i++)
		w->rep->seeds[m->first + i] = seed;
	verify(w);
}

static int open_device(struct worker *w)
{
	w->fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	return err_if(w->fd < 0);
}

/*
 * close() the file while mappings hold it: they keep working.  A new file
 * starts in the module's default mode.
 */
static void op_reopen(struct worker *w)
{
	struct map *m = pick_map(w, RW, true);

	expect(w, OP_REOPEN, err_if(close(w->fd)), 0, "close", NULL);
	check_maps(w);
	if (m)
		store_pattern(w, m->addr, m->first, m->pages);
	if (!expect(w, OP_REOPEN, open_device(w), 0, "open", NULL))
		return;
	w->fd_mode = info.default_mode;
	check_mode(w);
	set_mode(w, wanted_mode(w));
	verify(w);
}

static void (*const op_funcs[NR_OPS])(struct worker *w) = {
	[OP_MMAP] = op_mmap,
	[OP_MUNMAP] = op_munmap,
	[OP_MREMAP] = op_mremap,
	[OP_MPROTECT] = op_mprotect,
	[OP_MADVISE] = op_madvise,
	[OP_STORE] = op_store,
	[OP_READ] = op_read,
	[OP_WRITE] = op_write,
	[OP_IOCTL] = op_ioctl,
	[OP_FORK] = op_fork,
	[OP_REOPEN] = op_reopen,
};

/* Open the device and give the whole region a first pattern. */
static bool worker_start(struct worker *w)
{
	w->buf = malloc(region_len);
	if (!w->buf || !expect(w, OP_REOPEN, open_device(w), 0, "open", NULL))
		return false;
	w->fd_mode = info.default_mode;
	set_mode(w, wanted_mode(w));
	store_pattern(w, w->buf, 0, REGION_PAGES);
	return expect(w, OP_WRITE,
		      err_if(pwrite(w->fd, w->buf, region_len, w->off) < 0), 0,
		      "pwrite(region)", NULL);
}

static void worker_stop(struct worker *w)
{
	struct map *m;

	verify(w);
	for (m = w->maps; m < w->maps + MAX_MAPS; m++)
		if (m->addr)
			unmap_pages(w, m, 0, m->pages);
	if (w->fd >= 0)
		close(w->fd);
	free(w->buf);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	if (worker_start(w))
		while (!time_is_up())
			op_funcs[rnd_below(w, NR_OPS)](w);
	worker_stop(w);
	w->rep->finished = true;
	return NULL;
}

/* A signal is a failure by design: say where, then die of it. */
static void crash_handler(int sig, siginfo_t *si, void *ctx)
{
	char msg[96];
	int len;

	(void)ctx;

	len = snprintf(msg, sizeof(msg), "# pid %d: signal %d at %p\n",
		       getpid(), sig, si->si_addr);
	if (write(STDOUT_FILENO, msg, len) < 0)
		_exit(128 + sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_crashes(void)
{
	struct sigaction sa = { .sa_sigaction = crash_handler,
				.sa_flags = SA_SIGINFO | SA_RESETHAND };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

static void set_deadline(double seconds)
{
	long long ns = seconds * 1e9;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	ns += deadline.tv_nsec;
	deadline.tv_sec += ns / 1000000000;
	deadline.tv_nsec = ns % 1000000000;
}

/* Start the workers of @ph: processes first, while there is one thread. */
static void start_workers(struct worker *ws, pid_t *pids)
{
	int i;

	for (i = NR_THREADS; i < NR_WORKERS; i++) {
		pids[i] = fork();
		if (!pids[i]) {
			worker_run(&ws[i]);
			_exit(0);
		}
		if (pids[i] < 0)
			ksft_perror("fork");
	}
	for (i = 0; i < NR_THREADS; i++)
		if (pthread_create(&ws[i].thread, NULL, worker_run, &ws[i])) {
			ksft_print_msg("pthread_create failed\n");
			ws[i].thread = 0;
		}
}

/* Wait for all workers; false if one of them died. */
static bool stop_workers(struct worker *ws, pid_t *pids)
{
	bool ok = true;
	int i, status;

	for (i = 0; i < NR_THREADS; i++)
		if (ws[i].thread)
			pthread_join(ws[i].thread, NULL);
	for (i = NR_THREADS; i < NR_WORKERS; i++) {
		if (pids[i] <= 0 || waitpid(pids[i], &status, 0) != pids[i])
			ok = false;
		else if (!WIFEXITED(status) || WEXITSTATUS(status))
			ok = false;
	}
	for (i = 0; i < NR_WORKERS; i++)
		ok &= ws[i].rep->finished;
	return ok;
}

/* Sum the reports of the workers into @sum. */
static void add_reports(struct report *sum, struct report *reps)
{
	int i, j;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < NR_WORKERS; i++) {
		for (j = 0; j < NR_OPS; j++) {
			sum->ops[j].done += reps[i].ops[j].done;
			sum->ops[j].expected += reps[i].ops[j].expected;
			sum->ops[j].unexpected += reps[i].ops[j].unexpected;
		}
		for (j = 0; j < MAX_ERRNO; j++)
			sum->errnos[j] += reps[i].errnos[j];
		sum->mismatches += reps[i].mismatches;
		sum->checks += reps[i].checks;
	}
}

static unsigned long print_ops(const struct report *sum)
{
	unsigned long done = 0, unexpected = 0;
	int i;

	ksft_print_msg("  %-10s %8s %9s %11s\n", "operation", "done",
		       "expected", "unexpected");
	for (i = 0; i < NR_OPS; i++) {
		ksft_print_msg("  %-10s %8lu %9lu %11lu\n", op_names[i],
			       sum->ops[i].done, sum->ops[i].expected,
			       sum->ops[i].unexpected);
		done += sum->ops[i].done;
		unexpected += sum->ops[i].unexpected;
	}
	ksft_print_msg("  %-10s %8lu %9s %11lu\n", "total", done, "",
		       unexpected);
	return unexpected;
}

static void print_errnos(const struct report *sum)
{
	char line[256];
	int i, len = 0;

	for (i = 0; i < MAX_ERRNO && len < (int)sizeof(line) - 32; i++)
		if (sum->errnos[i])
			len += snprintf(line + len, sizeof(line) - len, " %s %lu",
					i ? errno_name(i) : "other",
					sum->errnos[i]);
	ksft_print_msg("  expected errors:%s\n", len ? line : " none");
}

/* The final pattern of every region, through read() from a fresh file. */
static unsigned long check_regions(int fd, struct worker *ws)
{
	unsigned long bad = 0;
	int i, j;

	for (i = 0; i < NR_WORKERS; i++)
		for (j = 0; j < REGION_PAGES; j++)
			bad += !!read_check_pattern(fd, page_pos(&ws[i], j),
						    page,
						    ws[i].rep->seeds[j]);
	return bad;
}

/* Mappings of the device and files open on it in this process. */
static int device_refs(void)
{
	char line[512], target[PATH_MAX];
	struct dirent *de;
	int refs = 0;
	ssize_t len;
	FILE *maps;
	DIR *dir;

	maps = fopen("/proc/self/maps", "r");
	while (maps && fgets(line, sizeof(line), maps))
		refs += !!strstr(line, DEVICE);
	if (maps)
		fclose(maps);
	dir = opendir("/proc/self/fd");
	while (dir && (de = readdir(dir))) {
		len = readlinkat(dirfd(dir), de->d_name, target,
				 sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			refs += !strcmp(target, DEVICE);
		}
	}
	if (dir)
		closedir(dir);
	return refs;
}

static long live_vmas(int fd)
{
	struct mmapdemo_stats st;

	return device_stats(fd, &st) ? -1 : (long)st.live_vmas;
}

static void init_workers(struct worker *ws, struct report *reps,
			 const struct phase *ph, unsigned long long seed)
{
	int i;

	memset(reps, 0, NR_WORKERS * sizeof(*reps));
	for (i = 0; i < NR_WORKERS; i++) {
		ws[i] = (struct worker){ .id = i, .phase = ph, .rep = &reps[i],
					 .fd = -1,
					 .off = i * region_len,
					 .rng = seed * 2654435761u + i + 1 };
	}
}

static void run_phase(const struct phase *ph, double seconds,
		      unsigned long long seed, int fd, struct report *reps)
{
	long vmas = live_vmas(fd);
	struct worker ws[NR_WORKERS];
	pid_t pids[NR_WORKERS];
	unsigned long unexpected, bad;
	struct report sum;
	bool finished, orphans;
	long vmas_after;
	int refs;

	init_workers(ws, reps, ph, seed);
	set_deadline(seconds);
	start_workers(ws, pids);
	finished = stop_workers(ws, pids);
	orphans = waitpid(-1, NULL, WNOHANG) >= 0 || errno != ECHILD;

	add_reports(&sum, reps);
	ksft_print_msg("%s: %.1f s, %d threads and %d processes, seed %llu\n",
		       ph->name, seconds, NR_THREADS, NR_PROCS, seed);
	unexpected = print_ops(&sum);
	print_errnos(&sum);
	bad = check_regions(fd, ws);
	refs = device_refs();
	vmas_after = live_vmas(fd);
	ksft_print_msg("  %lu checks of the regions, %lu mismatches\n",
		       sum.checks, sum.mismatches);
	ksft_print_msg("  after: %lu bad pages, %ld VMAs (%ld before), %d device users, %s\n",
		       bad, vmas_after, vmas, refs,
		       orphans ? "children left" : "no child left");
	ksft_test_result(finished && !unexpected && !sum.mismatches && !bad &&
			 vmas_after == vmas && refs == 1 && !orphans,
			 "%s: data intact, only expected errors, nothing left behind\n",
			 ph->name);
}

static void usage(const char *prog)
{
	printf("Usage: %s [-t SECONDS] [-s SEED]\n"
	       "Stress /dev/mmapdemo for SECONDS (default 5, or\n"
	       "$MMAPDEMO_STRESS_SECONDS), shared by the remap, fault and\n"
	       "mixed phases, with a random SEED (default: the time).\n",
	       prog);
}

static void parse_args(int argc, char **argv, double *seconds,
		       unsigned long long *seed)
{
	const char *env = getenv("MMAPDEMO_STRESS_SECONDS");
	int opt;

	*seconds = env ? atof(env) : 5;
	*seed = time(NULL);
	while ((opt = getopt(argc, argv, "t:s:h")) != -1) {
		switch (opt) {
		case 't':
			*seconds = atof(optarg);
			break;
		case 's':
			*seed = strtoull(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
			exit(opt == 'h' ? 0 : 2);
		}
	}
	if (*seconds <= 0)
		*seconds = 5;
}

/* Skip every phase, for the reason @why. */
static void __noreturn skip_phases(const char *why)
{
	unsigned int i;

	for (i = 0; i < NR_PHASES; i++)
		ksft_test_result_skip("%s: %s\n", phases[i].name, why);
	ksft_finished();
}

int main(int argc, char **argv)
{
	unsigned long long seed;
	struct report *reps;
	double seconds;
	unsigned int i;
	char why[128];
	int fd;

	parse_args(argc, argv, &seconds, &seed);
	ksft_print_header();
	ksft_set_plan(NR_PHASES);
	page = page_size();
	region_len = REGION_PAGES * page;
	fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, sizeof(why), DEVICE ": %s (is mmapdemo.ko loaded?)",
			 strerror(errno));
		skip_phases(why);
	}
	if (ioctl(fd, MMAPDEMO_IOC_INFO, &info))
		ksft_exit_fail_perror("INFO");
	if (info.size < NR_WORKERS * region_len + page) {
		snprintf(why, sizeof(why), "the buffer is smaller than %zu bytes",
			 NR_WORKERS * region_len + page);
		skip_phases(why);
	}
	reps = mmap(NULL, NR_WORKERS * sizeof(*reps), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (reps == MAP_FAILED)
		ksft_exit_fail_perror("mmap");
	catch_crashes();
	for (i = 0; i < NR_PHASES; i++)
		run_phase(&phases[i], seconds / NR_PHASES, seed + i, fd, reps);
	close(fd);
	ksft_finished();
}
