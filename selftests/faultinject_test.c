// SPDX-License-Identifier: GPL-2.0
/*
 * The driver under injected allocation failures: writing n to
 * /proc/thread-self/fail-nth fails the thread's n-th fault point, of
 * failslab or fail_page_alloc (a variant each), which a stack filter limits
 * to allocations under the driver's code (but for copies on write).  Each
 * test walks n = 1, 2, ... over an operation until it completes without
 * reaching the n-th, and logs how it ended at each fault point: E ENOMEM,
 * B EBUSY, x other, f fallback, . success.
 * Leaks are kmemleak's to find: the debug kernel's guest scans after
 * unloading the module, and any report fails the run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "modes.h"
#include "util.h"

#define FAIL_NTH    "/proc/thread-self/fail-nth"
#define MAX_SITES   500 /* a runaway guard */
/* A walk ends after this many calls in a row that passed fewer than n. */
#define CLEAN_CALLS 2U
/* Chunks of order 3, 2, 1 and 0: the chunk array is allocated, then grown. */
#define LOAD_PAGES  15UL
#define MAX_KNOBS   24

FIXTURE(faultinject)
{
	int nth;		       /* this thread's fail-nth, or -1 */
	char saved[MAX_KNOBS][2][128]; /* files and values to put back */
	int nr_saved;
};

FIXTURE_VARIANT(faultinject)
{
	const char *cap;    /* the failing allocator, its debugfs directory */
	const char *knobs;  /* "file=value ..." under /sys/kernel/debug/ */
	const char *nested; /* not the driver's, though under its code */
	unsigned int load_enomem, load_ok; /* a load's ENOMEMs, successes */
	bool load_fallback; /* each chunk but the last falls back */
};

/*
 * ignore-gfp-wait=N: GFP_KERNEL fails too.  verbose=1: no stack dump, but a
 * "FAULT_INJECTION" line, by which the harness forgives an allocation
 * failure report.  Under the driver: its chunk array (allocated, grown),
 * misc_register()'s (a lost uevent goes unnoticed), and kmemleak's records
 * (__create_object(), which kmemleak_alloc() jumps to).
 */
FIXTURE_VARIANT_ADD(faultinject, failslab){
	.cap = "failslab",
	.knobs = "failslab/ignore-gfp-wait=N failslab/cache-filter=N "
		 "failslab/verbose=1 fail_page_alloc/min-order=64",
	.nested = "__create_object",
	.load_enomem = 2,
	.load_ok = 1,
};

/*
 * Copies on write are __GFP_HIGHMEM, page tables order 0; failslab fails
 * only caches marked failslab: none.  Under the driver: each chunk, down to
 * order 0, and new slabs, whose place varies from one call to the next.
 */
FIXTURE_VARIANT_ADD(faultinject, fail_page_alloc){
	.cap = "fail_page_alloc",
	.knobs = "fail_page_alloc/ignore-gfp-wait=N "
		 "fail_page_alloc/ignore-gfp-highmem=N "
		 "fail_page_alloc/min-order=0 fail_page_alloc/verbose=1 "
		 "failslab/cache-filter=Y",
	.nested = "allocate_slab",
	.load_enomem = 1,
	.load_fallback = true,
};

static bool write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	bool ok = f && fputs(val, f) >= 0;

	return f && !fclose(f) && ok;
}

/* Set @path, if it exists, to @value; the teardown puts the old one back. */
static void knob_set(struct __test_metadata *_metadata,
		     FIXTURE_DATA(faultinject) * self, const char *path,
		     const char *value)
{
	char(*k)[128] = self->saved[self->nr_saved];

	if (access(path, F_OK))
		return;
	ASSERT_GT(MAX_KNOBS, self->nr_saved);
	snprintf(k[0], sizeof(k[0]), "%s", path);
	ASSERT_EQ(0, read_small_file(path, k[1], sizeof(k[1])));
	ASSERT_TRUE(write_file(path, value)) TH_LOG("%s", path);
	self->nr_saved++;
}

FIXTURE_SETUP(faultinject)
{
	char path[128], knobs[256], *k, *pos;

	self->nth = -1;
	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/require-start",
		 variant->cap);
	if (access(FAIL_NTH, F_OK) || access(path, F_OK))
		SKIP(return, "no fault injection in this kernel (no %s)",
			   access(FAIL_NTH, F_OK) ? FAIL_NTH : path);
	/* The test's first touch of its own memory would be a fault point. */
	ASSERT_EQ(0, mlockall(MCL_CURRENT));
	self->nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth);
	/* Failed loads and unloads wait for RCU: quicker so. */
	knob_set(_metadata, self, "/sys/kernel/rcu_expedited", "1");
	snprintf(knobs, sizeof(knobs), "%s", variant->knobs);
	for (k = strtok_r(knobs, " ", &pos); k; k = strtok_r(NULL, " ", &pos)) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%.*s",
			 (int)strcspn(k, "="), k);
		knob_set(_metadata, self, path, strchr(k, '=') + 1);
	}
}

FIXTURE_TEARDOWN(faultinject)
{
	pwrite(self->nth, "0", 1, 0);
	while (self->nr_saved-- > 0)
		write_file(self->saved[self->nr_saved][0],
			   self->saved[self->nr_saved][1]);
	/* Leave the module loaded, as the guest had it. */
	if (module_path() && access("/sys/module/mmapdemo", F_OK))
		EXPECT_EQ(0, module_load(""));
}

/*
 * From /proc/kallsyms (kernel symbols in address order, then modules'): the
 * text of function @name, up to the next, or [0, 0); the highest kernel
 * symbol, an end marker past the kernel image.
 */
static unsigned long kallsyms(const char *name, unsigned long r[2])
{
	unsigned long addr, top = 0;
	char line[256], sym[128], t, mod;
	FILE *f = fopen("/proc/kallsyms", "r");

	r[0] = r[1] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %127s %c", &addr, &t, sym, &mod) != 3)
			continue;
		if (r[0] && !r[1] && (t | 0x20) == 't' && addr > r[0])
			r[1] = addr;
		if (!r[0] && !strcmp(sym, name))
			r[0] = addr;
		top = addr > top ? addr : top;
	}
	if (f)
		fclose(f);
	r[0] = r[1] ? r[0] : 0;
	return top;
}

/*
 * Count only the fault points with a frame in [@start, @end), among the 32
 * the filter looks at (the most it can), and none in variant->nested, if any.
 */
static void stack_filter(struct __test_metadata *_metadata,
			 FIXTURE_DATA(faultinject) * self,
			 const FIXTURE_VARIANT(faultinject) * variant,
			 unsigned long start, unsigned long end)
{
	static const char *const knobs[] = { "require-start", "require-end",
					     "reject-start", "reject-end",
					     "stacktrace-depth" };
	unsigned long val[5] = { start, end, 0, 0, 32 };
	char path[96], buf[32];
	int i;

	kallsyms(variant->nested, &val[2]);
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s",
			 variant->cap, knobs[i]);
		snprintf(buf, sizeof(buf), "%lu", val[i]);
		knob_set(_metadata, self, path, buf);
	}
}

/*
 * Filter on the driver's code, or say why it cannot.  Modules lie above the
 * kernel image: with mmapdemo alone there, that is its code, and the init
 * code a load runs, at an address that changes with every load.
 */
static const char *driver_only(struct __test_metadata *_metadata,
			       FIXTURE_DATA(faultinject) * self,
			       const FIXTURE_VARIANT(faultinject) * variant)
{
	unsigned long top, range[2];
	char line[256];
	bool others = false;
	FILE *f = fopen("/proc/modules", "r");

	while (f && fgets(line, sizeof(line), f))
		others |= !!strncmp(line, "mmapdemo ", 9);
	if (f)
		fclose(f);
	if (!f || others)
		return "other modules are loaded, whose code would count as the driver's";
	top = kallsyms("", range);
	if (read_small_file("/sys/module/mmapdemo/sections/.text", line,
			    sizeof(line)))
		return "mmapdemo.ko is not loaded";
	if (!top || strtoul(line, NULL, 16) <= top)
		return "module code is not above the kernel's symbols";
	stack_filter(_metadata, self, variant, top + 1, ULONG_MAX);
	return NULL;
}

/*
 * An operation: @call makes it, @prepare (optional) readies it, @settle
 * judges what it returned, undoes what it did and says how it ended.
 */
struct walk {
	int (*prepare)(struct walk *w);
	int (*call)(struct walk *w);
	char (*settle)(struct __test_metadata *_metadata, struct walk *w,
		       int ret);
	int fd;
	struct mmapdemo_info info;
	size_t len;
	int flags;	       /* MAP_SHARED or MAP_PRIVATE */
	unsigned char *at, *p; /* where to map (or NULL), where it is */
	__u64 live_vmas;       /* before the walk */
	unsigned int seed;     /* of the data in the buffer */
	char params[32];       /* of a load */
	__u32 chunks, seen;    /* of a load without injection, of the last */
	char what[64];	       /* the operation and what it acts on */
	unsigned int sites, ends[128]; /* fault points, by how it ended */
	char map[MAX_SITES + 1];       /* how it ended at each */
};

/*
 * Fail fault points n = 1, 2, ... in turn.  fail-nth counts down to 0 if it
 * failed one, else to n minus those passed.  Armed, it allows no stdio.
 */
static void walk_sites(struct __test_metadata *_metadata, int nth,
		       const char *cap, struct walk *w)
{
	unsigned int n, clean = 0;
	char buf[16];
	int ret, left;

	w->sites = 0;
	memset(w->ends, 0, sizeof(w->ends));
	for (n = 1; n <= MAX_SITES && clean < CLEAN_CALLS; n++) {
		if (w->prepare)
			ASSERT_EQ(0, w->prepare(w));
		ASSERT_LT(0, pwrite(nth, buf, sprintf(buf, "%u", n), 0));
		ret = w->call(w);
		left = pread(nth, buf, sizeof(buf) - 1, 0) > 0 ? atoi(buf) : -1;
		ASSERT_EQ(1, pwrite(nth, "0", 1, 0));
		ASSERT_LE(0, left) TH_LOG("cannot read " FAIL_NTH);
		ASSERT_TRUE(!left || !ret)
		TH_LOG("%s: %s with nothing injected", w->what, strerror(-ret));
		w->map[w->sites] = w->settle(_metadata, w, ret);
		clean = left ? clean + 1 : 0;
		if (!left)
			w->ends[(int)w->map[w->sites++]]++;
	}
	w->map[w->sites] = '\0';
	ASSERT_EQ(CLEAN_CALLS, clean) TH_LOG("%s: runaway", w->what);
	TH_LOG("%s: %s: %u fault points: %u ENOMEM, %u EBUSY, %u fallback, %u success [%s]",
	       cap, w->what, w->sites, w->ends['E'], w->ends['B'], w->ends['f'],
	       w->ends['.'], w->map);
}

/* Open the device for @op in @m's mode, filled, for @pages (0: all). */
static int map_open(struct walk *w, const char *op, const struct mode_info *m,
		    int flags, size_t pages)
{
	struct mmapdemo_stats st;

	w->fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (w->fd < 0 || ioctl(w->fd, MMAPDEMO_IOC_SET_MODE, &m->mode) ||
	    ioctl(w->fd, MMAPDEMO_IOC_INFO, &w->info) ||
	    device_stats(w->fd, &st))
		return -errno;
	w->len = pages ? pages * page_size() : w->info.size;
	w->flags = flags;
	w->live_vmas = st.live_vmas;
	w->seed = 40 + m->mode;
	snprintf(w->what, sizeof(w->what), "%s %s", op, m->variant);
	return write_pattern(w->fd, 0, w->info.size, w->seed);
}

static int map(struct walk *w)
{
	int fixed = w->at ? MAP_FIXED_NOREPLACE : 0;

	w->p = mmap(w->at, w->len, PROT_READ | PROT_WRITE, w->flags | fixed,
		    w->fd, 0);
	return w->p == MAP_FAILED ? -errno : 0;
}

/* Read the whole mapping: the first touch of each page faults. */
static int touch(struct walk *w)
{
	return check_pattern(w->p, w->len, 0, w->seed) == w->len ? 0 : -EIO;
}

/* Copy each page of a private mapping, as a write to it would. */
static int cow(struct walk *w)
{
	return madvise(w->p, w->len, MADV_POPULATE_WRITE) ? -errno : 0;
}

/*
 * mmap() fails with ENOMEM without a page table for remap_pfn_range() or
 * vm_insert_pages(), or insert's batch array, and frees the VMA;
 * MADV_POPULATE_WRITE without a copy.  A touch never fails: a fault that
 * gets VM_FAULT_OOM (vmf_insert_pfn() without a page table) runs again
 * ("Huh VM_FAULT_OOM leaked out to the #PF handler").  The mapping reads
 * the buffer, copied or not, and goes.
 */
static char map_settle(struct __test_metadata *_metadata, struct walk *w,
		       int ret)
{
	struct mmapdemo_stats st;

	EXPECT_TRUE(!ret || ret == -ENOMEM)
	TH_LOG("%s: %s", w->what, strerror(-ret));
	if (!ret || w->call != map) {
		EXPECT_EQ(w->len, check_pattern(w->p, w->len, 0, w->seed));
		ASSERT_EQ(0, munmap(w->p, w->len));
	}
	ASSERT_EQ(0, device_stats(w->fd, &st));
	EXPECT_EQ(w->live_vmas, st.live_vmas);
	return !ret ? '.' : ret == -ENOMEM ? 'E' : 'x';
}

/*
 * An address for a @len-byte mapping behind a page of anonymous memory, so
 * that remap_pfn_range() finds the first page table and maps a page before
 * it can fail.  Failing with nothing mapped, its unmapping WARNs in x86's
 * PAT code (get_pat_info() finds no PFN at vm_start): the kernel's splat.
 */
static unsigned char *map_anchor(size_t len)
{
	const size_t pmd = 2UL << 20, page = page_size(), size = len + 2 * pmd;
	unsigned char *r, *a;

	r = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	a = (unsigned char *)(((unsigned long)r + pmd - 1) & ~(pmd - 1));
	munmap(r, a - r); /* nothing if a == r */
	munmap(a + page, r + size - a - page);
	*(volatile unsigned char *)a = 1; /* alone: not in a huge page */
	return a + page;
}

static int load(struct walk *w)
{
	return syscall(SYS_finit_module, w->fd, w->params, 0) ? -errno : 0;
}

/*
 * A failed load leaves nothing.  One that succeeded anyway (smaller chunks,
 * no uevent) gives a device of the size asked for that maps its buffer, and
 * unloads.
 */
static char load_settle(struct __test_metadata *_metadata, struct walk *w,
			int ret)
{
	static const char *const traces[] = { "/sys/module/mmapdemo", DEVICE,
					      "/sys/class/misc/mmapdemo" };
	struct walk m = { .call = map };
	unsigned int i;

	if (ret) {
		/* misc_register() fails so when it cannot allocate a minor. */
		EXPECT_TRUE(ret == -ENOMEM || ret == -EBUSY)
		TH_LOG("finit_module(): %s", strerror(-ret));
		for (i = 0; i < ARRAY_SIZE(traces); i++) {
			ASSERT_NE(0, access(traces[i], F_OK))
			TH_LOG("a failed load left %s", traces[i]);
		}
		return ret == -ENOMEM ? 'E' : ret == -EBUSY ? 'B' : 'x';
	}
	ASSERT_EQ(0, map_open(&m, "check", mode_rows, MAP_SHARED, 0));
	EXPECT_EQ(LOAD_PAGES, m.info.pages);
	ASSERT_EQ(0, map(&m));
	map_settle(_metadata, &m, 0);
	close(m.fd);
	ASSERT_EQ(0, module_unload());
	w->seen = m.info.chunks;
	return w->seen > w->chunks ? 'f' : '.';
}

TEST_F_TIMEOUT(faultinject, load_fails_cleanly, 120)
{
	struct walk w = { .call = load, .settle = load_settle, .chunks = -1 };
	const char *why = driver_only(_metadata, self, variant);

	if (why || !module_path())
		SKIP(return, "%s",
			   why ?: "MMAPDEMO_KO is not set: no reloading");
	snprintf(w.params, sizeof(w.params), "size=%zu",
		 LOAD_PAGES * page_size());
	ASSERT_EQ(0, module_unload()) TH_LOG("is " DEVICE " in use?");
	w.fd = open(module_path(), O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, w.fd);
	ASSERT_EQ(0, load(&w)); /* once without injection */
	ASSERT_EQ('.', load_settle(_metadata, &w, 0));
	w.chunks = w.seen;
	snprintf(w.what, sizeof(w.what), "load, %u chunks", w.chunks);
	walk_sites(_metadata, self->nth, variant->cap, &w);
	close(w.fd);
	EXPECT_LE(variant->load_enomem, w.ends['E']);
	EXPECT_LE(variant->load_ok, w.ends['.']);
	EXPECT_EQ(variant->load_fallback ? w.chunks - 1 : 0, w.ends['f']);
}

TEST_F_TIMEOUT(faultinject, mmap_fails_cleanly, 120)
{
	struct walk w = { .call = map, .settle = map_settle };
	const struct mode_info *m;
	const char *why = driver_only(_metadata, self, variant);

	if (why)
		SKIP(return, "%s", why);
	for_each_mode(m) {
		ASSERT_EQ(0, map_open(&w, "mmap()", m, MAP_SHARED, 0));
		w.at = map_anchor(w.len);
		ASSERT_NE(NULL, w.at);
		walk_sites(_metadata, self->nth, variant->cap, &w);
		/* A lazy mode allocates nothing in mmap(). */
		EXPECT_EQ(0U, m->eager ? 0 : w.sites);
		close(w.fd);
	}
}

TEST_F_TIMEOUT(faultinject, fault_is_retried, 120)
{
	struct walk w = { .prepare = map, .call = touch, .settle = map_settle };
	const struct mode_info *m;
	const char *why = driver_only(_metadata, self, variant);

	if (why)
		SKIP(return, "%s", why);
	for_each_mode_row(m) {
		if (m->eager)
			continue;
		knob_set(_metadata, self,
			 "/sys/module/mmapdemo/parameters/fault_around",
			 m->around ? "1" : "0");
		ASSERT_EQ(0, map_open(&w, "touch", m, MAP_SHARED, 0));
		walk_sites(_metadata, self->nth, variant->cap, &w);
		EXPECT_EQ(w.sites, w.ends['.']);
		close(w.fd);
	}
}

TEST_F_TIMEOUT(faultinject, cow_populate_fails_cleanly, 120)
{
	struct walk w = { .prepare = map, .call = cow, .settle = map_settle };
	const struct mode_info *m;

	if (access(DEVICE, F_OK))
		SKIP(return, "no " DEVICE ": is mmapdemo.ko loaded?");
	/*
	 * The copies are the core's, made before or without the driver's fault
	 * handler: every fault point counts.  ENOMEM comes from the first page
	 * only; after it, madvise() retries.
	 */
	stack_filter(_metadata, self, variant, 0, ULONG_MAX);
	for_each_mode(m) {
		/* A PFN map has no copy on write: mmap() refuses it. */
		if (m->pfnmap)
			continue;
		ASSERT_EQ(0, map_open(&w, "cow", m, MAP_PRIVATE, 4));
		walk_sites(_metadata, self->nth, variant->cap, &w);
		EXPECT_LT(0U, w.ends['E']);
		close(w.fd);
	}
}

TEST_HARNESS_MAIN
