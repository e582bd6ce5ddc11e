// SPDX-License-Identifier: GPL-2.0
/*
 * The driver under injected allocation failures.  Writing n to
 * /proc/thread-self/fail-nth makes the n-th fault point the thread reaches
 * fail; reading it back gives 0 once that failure was injected
 * (Documentation/fault-injection/fault-injection.rst).  Each test walks
 * n = 1, 2, ... over one system call, so that every allocation the call
 * makes fails in turn, until the call completes without reaching the n-th:
 *
 *   load_fails_cleanly_at_every_site  finit_module(): each failure is an
 *	errno and leaves nothing of the module behind; it loads afterwards
 *   load_fails_enomem_in_the_driver   the same, failing only allocations
 *	made under the driver's code: ENOMEM, or a working device (smaller
 *	chunks, fewer debugfs files)
 *   mmap_fails_enomem                 mmap() in each mode but huge (which
 *	maps as pfn does)
 *   populate_fails_enomem             the fault path, through
 *	MADV_POPULATE_READ and MADV_POPULATE_WRITE
 *
 * Each runs once with failslab (kmalloc(), kmem_cache_alloc()) and once
 * with fail_page_alloc (alloc_pages()) as the allocator that fails; the
 * other one is switched off, so that the count of sites is per allocator.
 * Each walk logs a map of what every call n did (struct sweep), and
 * afterwards the memory the kernel reports free must be back.  Two places
 * where the kernel WARNs on an injected failure whatever the driver does
 * are kept out of the walks, see load_fails_cleanly_at_every_site and
 * map_anchor().  On kernels without fault injection (Debian's) every test
 * skips, naming what is missing.
 */
#define _GNU_SOURCE		/* strerrorname_np() */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "helpers.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define SYSFS_KERNEL	"/sys/kernel/"
#define DEBUGFS		SYSFS_KERNEL "debug/"
#define DEBUGFS_MAGIC	0x64626720
#define DEBUGFS_DRIVER	DEBUGFS "mmapdemo"

/* More fault points than any system call here reaches: a runaway guard. */
#define MAX_NTH		1000
/*
 * The number of fault points of a call varies from one call to the next
 * (a slab that needs a new page, a vmalloc() that needs a page table), so
 * a walk ends only after that many calls in a row passed fewer than n.
 */
#define CLEAN_CALLS	3U
#define MAX_KNOBS	16
#define MAX_ERRNO	256

/*
 * The buffers of the load tests.  15 pages are chunks of order 3, 2, 1 and
 * 0: the chunk array grows once, and a failure at the last chunk frees a
 * partly allocated buffer.  The walk over every fault point of a load has
 * the small one, quick to clear under KASAN; the walk over the driver's has
 * 2 MiB more in front, so that a buffer left behind shows in free memory.
 */
#define SMALL_PAGES	15
#define BIG_PAGES	(512 + SMALL_PAGES)

/* Free memory moves by this much without any leak (see free_kib()). */
#define SLACK_KB	256

/* A file under /sys/kernel/ and the value it had before the test. */
struct knob {
	char path[128];
	char value[32];
};

FIXTURE(faultinject) {
	int nth;			/* this thread's fail-nth, or -1 */
	size_t page;
	struct knob saved[MAX_KNOBS];	/* put back by the teardown */
	int nr_saved;
};

/*
 * knobs: "file=value" under /sys/kernel/, set for the test and put back
 * after it; a leading '?' means only if the file exists.
 */
FIXTURE_VARIANT(faultinject) {
	const char *cap;	/* the failing allocator, its debugfs dir */
	const char *config;	/* the kernel option that provides it */
	const char *const *knobs;
};

/*
 * ignore-gfp-wait=N: fail GFP_KERNEL allocations too, not only atomic ones.
 * verbose=1: one "FAULT_INJECTION: forcing a failure" line per failure,
 * without the stack dump of the default 2 (a "Call Trace" fails the run).
 * fail-nth injects whatever probability, interval, times and task-filter
 * say, so those keep their defaults: probability 0, nothing else fails.
 */
FIXTURE_VARIANT_ADD(faultinject, failslab) {
	.cap = "failslab",
	.config = "CONFIG_FAILSLAB",
	.knobs = (const char *const []) {
		"debug/failslab/ignore-gfp-wait=N",
		"debug/failslab/cache-filter=N",	/* every cache */
		"debug/failslab/verbose=1",
		/* No allocation has an order this high: fail_page_alloc off. */
		"?debug/fail_page_alloc/min-order=64",
		NULL,
	},
};

FIXTURE_VARIANT_ADD(faultinject, fail_page_alloc) {
	.cap = "fail_page_alloc",
	.config = "CONFIG_FAIL_PAGE_ALLOC",
	.knobs = (const char *const []) {
		"debug/fail_page_alloc/ignore-gfp-wait=N",
		/* User pages, such as copies on write, are __GFP_HIGHMEM. */
		"debug/fail_page_alloc/ignore-gfp-highmem=N",
		/* Order 0 too: page tables, and the buffer's last resort. */
		"debug/fail_page_alloc/min-order=0",
		"debug/fail_page_alloc/verbose=1",
		/*
		 * failslab off: it now fails only caches marked in
		 * /sys/kernel/slab/<cache>/failslab, and none is.
		 */
		"?debug/failslab/cache-filter=Y",
		NULL,
	},
};

/*
 * Unloading a module and failing to load one wait for RCU grace periods
 * (module memory, tracepoints): ~100 ms each under TCG, a few ms when
 * expedited.  Only the timing changes.
 */
static const char *const common_knobs[] = {
	"?rcu_expedited=1",
	NULL,
};

static int write_file(const char *path, const char *val)
{
	ssize_t len;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = write(fd, val, strlen(val));
	close(fd);
	return len < 0 ? -errno : 0;
}

/* Set /sys/kernel/@file, remembering its value for knobs_restore(). */
static int knob_set(FIXTURE_DATA(faultinject) *self, const char *file,
		    const char *value)
{
	struct knob *k = &self->saved[self->nr_saved];
	int ret;

	if (self->nr_saved == MAX_KNOBS)
		return -ENOSPC;
	snprintf(k->path, sizeof(k->path), SYSFS_KERNEL "%s", file);
	ret = read_small_file(k->path, k->value, sizeof(k->value));
	if (ret)
		return ret;
	ret = write_file(k->path, value);
	if (!ret)
		self->nr_saved++;
	return ret;
}

static void knobs_restore(FIXTURE_DATA(faultinject) *self)
{
	while (self->nr_saved > 0) {
		struct knob *k = &self->saved[--self->nr_saved];

		write_file(k->path, k->value);
	}
}

static int knobs_apply(FIXTURE_DATA(faultinject) *self,
		       const char *const *knobs)
{
	char file[96], path[128];
	const char *k, *eq;
	bool optional;
	int ret;

	for (; *knobs; knobs++) {
		k = *knobs;
		optional = *k == '?';
		k += optional;
		eq = strchr(k, '=');
		snprintf(file, sizeof(file), "%.*s", (int)(eq - k), k);
		snprintf(path, sizeof(path), SYSFS_KERNEL "%s", file);
		if (optional && access(path, F_OK))
			continue;
		ret = knob_set(self, file, eq + 1);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * What this kernel lacks for the variant, in words, or NULL.  fail-nth
 * comes with CONFIG_FAULT_INJECTION, the allocator's knobs with its own
 * option and CONFIG_FAULT_INJECTION_DEBUG_FS.
 */
static const char *missing_support(const FIXTURE_VARIANT(faultinject) *variant)
{
	static char why[256];
	struct statfs fs;
	char dir[64];
	int len = 0;

	if (access(FAIL_NTH, F_OK))
		len = snprintf(why, sizeof(why),
			       "no %s (CONFIG_FAULT_INJECTION)", FAIL_NTH);
	snprintf(dir, sizeof(dir), DEBUGFS "%s", variant->cap);
	if (statfs(DEBUGFS, &fs) || fs.f_type != DEBUGFS_MAGIC)
		snprintf(why + len, sizeof(why) - len,
			 "%sdebugfs is not mounted on %s",
			 len ? ", and " : "", DEBUGFS);
	else if (access(dir, F_OK))
		snprintf(why + len, sizeof(why) - len,
			 "%sno %s (%s, CONFIG_FAULT_INJECTION_DEBUG_FS)",
			 len ? ", and " : "", dir, variant->config);
	else if (!len)
		return NULL;
	return why;
}

FIXTURE_SETUP(faultinject)
{
	const char *missing = missing_support(variant);
	int ret;

	self->nth = -1;
	if (missing)
		SKIP(return, "this kernel cannot inject faults: %s", missing);
	self->page = page_size();
	/*
	 * The first touch of the test's own memory would be a fault point
	 * too, and fail in place of the system call under test.
	 */
	ASSERT_EQ(0, mlockall(MCL_CURRENT));
	/*
	 * Big buffers come from mmap() and go back at free(): glibc would
	 * otherwise keep them in its heap, which reads as a leak.
	 */
	ASSERT_EQ(1, mallopt(M_MMAP_THRESHOLD, 128 * 1024));
	self->nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth);
	ret = knobs_apply(self, common_knobs) ?:
	      knobs_apply(self, variant->knobs);
	if (ret)
		knobs_restore(self);
	ASSERT_EQ(0, ret) TH_LOG("cannot configure %s: %s", variant->cap,
				 strerror(-ret));
}

static int fail_nth_set(int nth, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(nth, buf, len, 0) == len ? 0 : -errno;
}

static bool module_listed(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "mmapdemo ", 9);
	fclose(f);
	return found;
}

FIXTURE_TEARDOWN(faultinject)
{
	if (self->nth >= 0) {
		fail_nth_set(self->nth, 0);
		close(self->nth);
	}
	knobs_restore(self);
	/* Leave the module loaded, as the guest had it. */
	if (module_path() && !module_listed())
		EXPECT_EQ(0, module_load(""));
}

/*
 * Call @fn(@arg) with the @n-th fault point of this thread failing, and set
 * *@ret to what it returns.  Return what fail-nth counts down to: 0 if the
 * failure was injected, n - (fault points passed) if not; or -errno.
 * Between arming and disarming nothing may allocate but @fn's system call:
 * no stdio, no first touch of memory (the setup mlock()ed it).
 */
static long call_failing_nth(int nth, unsigned int n, int (*fn)(void *),
			     void *arg, int *ret)
{
	char buf[16];
	ssize_t len;
	int err;

	err = fail_nth_set(nth, n);
	if (err)
		return err;
	*ret = fn(arg);
	len = pread(nth, buf, sizeof(buf) - 1, 0);
	err = len < 0 ? -errno : 0;
	fail_nth_set(nth, 0);
	if (len <= 0)
		return err ?: -EIO;
	buf[len] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * What walking the fault points of one system call found.  The map has a
 * letter per call n: E the call failed with ENOMEM, B with EBUSY, x with
 * another errno; c it succeeded with more, smaller chunks, d with debugfs
 * files missing, . otherwise; - it passed fewer than n fault points.
 */
struct sweep {
	unsigned int sites;		/* fault points that failed */
	unsigned int survived;		/* the call succeeded anyway */
	unsigned int errnos[MAX_ERRNO];	/* or failed with this errno */
	char map[MAX_NTH + 1];
	unsigned int last;		/* fault points of the last call */
	double seconds;
};

/*
 * One system call under test: @call makes it, @prepare (optional) readies
 * it beforehand without injection, and @settle judges one result, undoes
 * what the call did and returns the letter of the sweep's map.
 */
struct walk {
	int (*prepare)(void *arg);
	int (*call)(void *arg);
	char (*settle)(struct __test_metadata *_metadata, void *arg, int ret,
		       bool injected);
	void *arg;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Fail fault points n = 1, 2, ... of the call in turn, until it completes
 * without reaching the n-th (CLEAN_CALLS times in a row): by then it has
 * failed at every one it has.
 */
static void walk_sites(struct __test_metadata *_metadata, int nth,
		       const struct walk *w, struct sweep *sw)
{
	unsigned int n, clean = 0;
	double start = now();
	int ret = 0;
	long left;

	for (n = 1; n <= MAX_NTH && clean < CLEAN_CALLS; n++) {
		if (w->prepare)
			ASSERT_EQ(0, w->prepare(w->arg));
		left = call_failing_nth(nth, n, w->call, w->arg, &ret);
		ASSERT_LE(0, left) TH_LOG(FAIL_NTH ": %s", strerror(-left));
		sw->map[n - 1] = w->settle(_metadata, w->arg, ret, !left);
		if (left) {
			sw->map[n - 1] = '-';
			sw->last = n - left;
			clean++;
			continue;
		}
		clean = 0;
		sw->sites++;
		if (!ret)
			sw->survived++;
		else
			sw->errnos[-ret < MAX_ERRNO ? -ret : 0]++;
	}
	sw->seconds = now() - start;
	ASSERT_EQ(CLEAN_CALLS, clean)
		TH_LOG("still failing at fault point %d", MAX_NTH);
}

static unsigned int map_count(const struct sweep *sw, char letter)
{
	unsigned int i, n = 0;

	for (i = 0; sw->map[i]; i++)
		n += sw->map[i] == letter;
	return n;
}

static const char *errno_name(int err)
{
	const char *name = err ? strerrorname_np(err) : NULL;

	return name ?: "?";
}

static void sweep_log(struct __test_metadata *_metadata, const char *what,
		      const struct sweep *sw)
{
	char errs[256] = "none";
	size_t len = 0;
	unsigned int i;
	int e;

	for (e = 0; e < MAX_ERRNO && len < sizeof(errs); e++)
		if (sw->errnos[e])
			len += snprintf(errs + len, sizeof(errs) - len,
					"%s%s %u", len ? ", " : "",
					errno_name(e), sw->errnos[e]);
	TH_LOG("%s: %u fault points in %.1f s: %u calls failed (%s), %u succeeded anyway",
	       what, sw->sites, sw->seconds, sw->sites - sw->survived, errs,
	       sw->survived);
	TH_LOG("  the last call passed %u fault points; by call n:", sw->last);
	for (i = 0; sw->map[i]; i += 64)
		TH_LOG("  %4u: %.64s", i + 1, sw->map + i);
}


/*
 * Memory in KiB that the kernel could hand out, after dropping caches and
 * folding the per-CPU counter deltas (stat_refresh): MemFree, the pages on
 * per-CPU lists (see leak_test.c), and the slab.  The slab counts as free
 * because freed objects wait in KASAN's quarantine and SLUB keeps empty
 * slabs, which moves MemFree by megabytes; a leaked object is kmemleak's to
 * find, which the harness runs after rmmod.  So do the page tables of the
 * direct map: each module load splits a few of its 2 MiB mappings when it
 * makes module memory read-only, for good, at a 4 KiB page table per
 * 2 MiB of DirectMap4k (and per 1 GiB of DirectMap2M).  What remains are
 * whole pages: the buffer, user page tables, vmalloc().
 *
 * Pages move between the per-CPU lists and MemFree all the time, by
 * megabytes: MemFree is read before and after the lists, until it did not
 * move in between.
 */
static long free_kib(void)
{
	long mem_free, again, slab, pcp, map4k, map2m;
	int tries = 10;

	write_file("/proc/sys/vm/drop_caches", "3\n");
	do {
		write_file("/proc/sys/vm/stat_refresh", "1\n");
		mem_free = proc_field_sum("/proc/meminfo", "MemFree");
		slab = proc_field_sum("/proc/meminfo", "Slab");
		pcp = proc_field_sum("/proc/zoneinfo", "count");
		again = proc_field_sum("/proc/meminfo", "MemFree");
	} while (mem_free != again && --tries);
	map4k = proc_field_sum("/proc/meminfo", "DirectMap4k");
	map2m = proc_field_sum("/proc/meminfo", "DirectMap2M");
	if (mem_free < 0 || slab < 0 || pcp < 0 || mem_free != again)
		return -1;
	return mem_free + slab + pcp * (long)(page_size() / 1024) +
	       (map4k > 0 ? map4k / 512 : 0) + (map2m > 0 ? map2m / 262144 : 0);
}

static void expect_memory_back(struct __test_metadata *_metadata, long before,
			       long after)
{
	TH_LOG("free memory %ld kB before, %ld kB after", before, after);
	ASSERT_LT(0, before);
	EXPECT_GT(SLACK_KB, before - after);
}

/* The number of files in the driver's debugfs directory, or -errno. */
static int debugfs_files(void)
{
	DIR *dir = opendir(DEBUGFS_DRIVER);
	struct dirent *d;
	int n = 0;

	if (!dir)
		return -errno;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* What a loaded module leaves that a failed load must not, or NULL. */
static const char *module_trace(void)
{
	if (module_listed())
		return "mmapdemo in /proc/modules";
	if (!access(DEVICE, F_OK))
		return DEVICE;
	if (!access("/sys/class/misc/mmapdemo", F_OK))
		return "/sys/class/misc/mmapdemo";
	if (!access(DEBUGFS_DRIVER, F_OK))
		return DEBUGFS_DRIVER;
	return NULL;
}

/*
 * Tag every page of the buffer through a mapping in remap mode and read the
 * tags back through one in fault mode: each maps every page, and the same
 * pages.  One word per page, so that a big buffer is quick to check.
 */
static int tags_check(int fd, size_t size)
{
	__u32 remap = MMAPDEMO_MODE_REMAP, fault = MMAPDEMO_MODE_FAULT;
	size_t page = page_size(), off;
	unsigned char *w, *r;
	int ret = 0;

	if (ioctl(fd, MMAPDEMO_IOC_SET_MODE, &remap))
		return -errno;
	w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (w == MAP_FAILED)
		return -errno;
	if (ioctl(fd, MMAPDEMO_IOC_SET_MODE, &fault))
		ret = -errno;
	r = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED)
		ret = -errno;
	for (off = 0; !ret && off < size; off += page)
		*(size_t *)(w + off) = off ^ 0x5a5a5a5a;
	for (off = 0; !ret && off < size; off += page)
		ret = *(size_t *)(r + off) != (off ^ 0x5a5a5a5a);
	if (r != MAP_FAILED)
		munmap(r, size);
	munmap(w, size);
	return ret;
}

/*
 * The loaded device has a @pages-page buffer, described in *@info, which
 * both modes map: 0, -errno, or 1 on a mismatch.
 */
static int device_check(unsigned long pages, struct mmapdemo_info *info)
{
	int fd, ret;

	fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, MMAPDEMO_IOC_INFO, info))
		ret = -errno;
	else if (info->pages != pages)
		ret = 1;
	else
		ret = tags_check(fd, info->size);
	close(fd);
	return ret;
}

/* finit_module() of the module in @fd, with a @pages-page buffer. */
struct load_call {
	int fd;
	unsigned long pages;
	char params[32];
	bool driver_only;	/* injecting only under the driver's code */
	__u32 chunks;		/* what a load without injection gives */
	int debugfs_files;
};

static int load_call(void *arg)
{
	struct load_call *c = arg;

	return syscall(SYS_finit_module, c->fd, c->params, 0) ? -errno : 0;
}

/*
 * A failed load leaves nothing behind.  A load that succeeded in spite of
 * the failure, because the allocation was optional (debugfs, uevents) or
 * the driver fell back to smaller chunks, gives a working device; then the
 * module is unloaded for the next round.
 */
static char settle_load(struct __test_metadata *_metadata, void *arg, int ret,
			bool injected)
{
	struct load_call *c = arg;
	struct mmapdemo_info info;
	const char *trace;

	if (ret) {
		ASSERT_TRUE(injected)
			TH_LOG("finit_module(): %s", strerror(-ret));
		/*
		 * misc_register() returns EBUSY, not ENOMEM, when the IDA of
		 * minor numbers cannot allocate (drivers/char/misc.c).
		 */
		if (c->driver_only)
			EXPECT_TRUE(ret == -ENOMEM || ret == -EBUSY)
				TH_LOG("finit_module(): %s", strerror(-ret));
		trace = module_trace();
		ASSERT_EQ(NULL, trace) TH_LOG("a failed load left %s", trace);
		return ret == -ENOMEM ? 'E' : ret == -EBUSY ? 'B' : 'x';
	}
	ASSERT_EQ(0, device_check(c->pages, &info));
	ret = info.chunks > c->chunks ? 'c' :
	      debugfs_files() < c->debugfs_files ? 'd' : '.';
	ASSERT_EQ(0, module_unload());
	return ret;
}

/* Unload the guest's module and load ours once, to learn what it gives. */
static void load_prepare(struct __test_metadata *_metadata,
			 struct load_call *c)
{
	struct mmapdemo_info info;

	snprintf(c->params, sizeof(c->params), "size=%lu",
		 c->pages * page_size());
	ASSERT_EQ(0, module_unload()) TH_LOG("is /dev/mmapdemo still in use?");
	c->fd = open(module_path(), O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, c->fd);
	/* Also makes the first-load-only allocations (taint, ...) happen. */
	ASSERT_EQ(0, load_call(c));
	ASSERT_EQ(0, device_check(c->pages, &info));
	c->chunks = info.chunks;
	c->debugfs_files = debugfs_files();
	ASSERT_EQ(0, module_unload());
	TH_LOG("without injection: %llu pages in %u chunks, %d debugfs files",
	       info.pages, info.chunks, c->debugfs_files);
}

static void load_walk(struct __test_metadata *_metadata,
		      FIXTURE_DATA(faultinject) *self, struct load_call *c,
		      struct sweep *sw)
{
	struct walk w = { .call = load_call, .settle = settle_load, .arg = c };
	long before = free_kib();

	walk_sites(_metadata, self->nth, &w, sw);
	expect_memory_back(_metadata, before, free_kib());
	close(c->fd);
}

/* The address of kernel symbol @name, from /proc/kallsyms, or 0. */
static unsigned long kernel_symbol(const char *name)
{
	char line[256], sym[128], type;
	unsigned long addr, found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %c %127s", &addr, &type, sym) == 3 &&
		    !strcmp(sym, name))
			found = addr;
	fclose(f);
	return found;
}

/*
 * The text [*@start, *@end) of kernel function @name: it ends where the
 * next function begins.
 */
static int kernel_function(const char *name, unsigned long *start,
			   unsigned long *end)
{
	char line[256], sym[128], type;
	unsigned long addr;
	FILE *f;

	*start = kernel_symbol(name);
	*end = ULONG_MAX;
	if (!*start)
		return -ENOENT;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %c %127s", &addr, &type, sym) == 3 &&
		    (type == 't' || type == 'T') &&
		    addr > *start && addr < *end)
			*end = addr;
	fclose(f);
	return *end != ULONG_MAX ? 0 : -ENOENT;
}

/*
 * Count only the fault points whose stack has a frame in [@start, @end)
 * (@kind "require") or has none (@kind "reject"), among the 32 frames the
 * filter looks at, the most it can.
 */
static int stack_filter(FIXTURE_DATA(faultinject) *self,
			const FIXTURE_VARIANT(faultinject) *variant,
			const char *kind, unsigned long start,
			unsigned long end)
{
	char file[64], val[32];
	int ret;

	snprintf(file, sizeof(file), "debug/%s/%s-start", variant->cap, kind);
	snprintf(val, sizeof(val), "%#lx", start);
	ret = knob_set(self, file, val);
	snprintf(file, sizeof(file), "debug/%s/%s-end", variant->cap, kind);
	snprintf(val, sizeof(val), "%#lx", end);
	ret = ret ?: knob_set(self, file, val);
	snprintf(file, sizeof(file), "debug/%s/stacktrace-depth", variant->cap);
	return ret ?: knob_set(self, file, "32");
}

/* Why the stack filter cannot be used, or NULL. */
static const char *no_stack_filter(const FIXTURE_VARIANT(faultinject) *variant)
{
	static char why[128];
	char file[64];

	snprintf(file, sizeof(file), DEBUGFS "%s/reject-start", variant->cap);
	if (!access(file, F_OK))
		return NULL;
	snprintf(why, sizeof(why),
		 "no %s (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)", file);
	return why;
}

/*
 * Every fault point of load_module(), which has the module from there on,
 * but those of the notifier chain that announces a coming module to the
 * rest of the kernel (blocking_notifier_call_chain_robust(), which
 * load_module() calls only for that).  There dynamic debug and the
 * module's trace events WARN when an allocation fails:
 * ddebug_module_notify(), event_define_fields(), then event_file_put() at
 * unload.  That is the kernel's doing, not the driver's, and its splat
 * would fail the run.  Before load_module(), kernel_read_file() reads the
 * file into a vmalloc() buffer, whose failure prints a warn_alloc() report
 * with a stack dump and only makes finit_module() fail with ENOMEM.
 */
TEST_F_TIMEOUT(faultinject, load_fails_cleanly_at_every_site, 300)
{
	struct load_call c = { .pages = SMALL_PAGES };
	unsigned long start, end;
	struct sweep sw = {};
	const char *why;

	if (!module_path())
		SKIP(return, "MMAPDEMO_KO is not set: the module cannot be reloaded");
	why = no_stack_filter(variant);
	if (why)
		SKIP(return, "cannot keep injection out of the module notifiers, which WARN: %s",
		     why);
	ASSERT_EQ(0, kernel_function("load_module", &start, &end));
	ASSERT_EQ(0, stack_filter(self, variant, "require", start, end));
	ASSERT_EQ(0, kernel_function("blocking_notifier_call_chain_robust",
				     &start, &end));
	ASSERT_EQ(0, stack_filter(self, variant, "reject", start, end));
	load_prepare(_metadata, &c);
	load_walk(_metadata, self, &c, &sw);
	sweep_log(_metadata, "finit_module(), in load_module()", &sw);
	EXPECT_LT(0U, sw.sites);
}

/* The address in the file @path, which reads "0x...", or 0. */
static unsigned long read_address(const char *path)
{
	char buf[32];

	return read_small_file(path, buf, sizeof(buf)) ? 0 : strtoul(buf, NULL, 16);
}

/* Whether mmapdemo is the only module loaded. */
static bool module_alone(void)
{
	char line[256];
	int others = 0;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		others += !!strncmp(line, "mmapdemo ", 9);
	fclose(f);
	return !others;
}

/*
 * Why module code cannot be told apart, or NULL with the range where it
 * lies in *@start and *@end: above the kernel image on x86-64, so that
 * [_end, ULONG_MAX) holds module code only, and mmapdemo is the only
 * module.
 */
static const char *module_text(unsigned long *start, unsigned long *end)
{
	unsigned long text, image_end = kernel_symbol("_end");

	if (!module_alone())
		return "modules other than mmapdemo are loaded: their code would count as the driver's";
	if (!image_end)
		return "no _end in /proc/kallsyms";
	text = read_address("/sys/module/mmapdemo/sections/.text");
	if (!text)
		return "no /sys/module/mmapdemo/sections/.text";
	if (text < image_end)
		return "module code is not above the kernel image";
	*start = image_end;
	*end = ULONG_MAX;
	return NULL;
}

/*
 * Only the fault points with the driver's code on the stack: those of its
 * init and of what it calls (debugfs, misc_register()).  Not the page a
 * slab takes when it runs out of objects (allocate_slab()): that happens
 * at a different point from one load to the next, as KASAN's quarantine
 * keeps freed objects from being reused, which would shift the numbering
 * of the fault points after it; and a kmalloc() that fails is failslab's
 * to test.
 */
TEST_F_TIMEOUT(faultinject, load_fails_enomem_in_the_driver, 300)
{
	struct load_call c = { .pages = BIG_PAGES, .driver_only = true };
	unsigned long start, end;
	struct sweep sw = {};
	const char *why;

	if (!module_path())
		SKIP(return, "MMAPDEMO_KO is not set: the module cannot be reloaded");
	why = no_stack_filter(variant) ?: module_text(&start, &end);
	if (why)
		SKIP(return, "cannot single out the driver's allocations: %s", why);
	ASSERT_EQ(0, stack_filter(self, variant, "require", start, end));
	if (kernel_function("allocate_slab", &start, &end))
		TH_LOG("no allocate_slab() in /proc/kallsyms: new slabs count too");
	else
		ASSERT_EQ(0, stack_filter(self, variant, "reject", start, end));
	load_prepare(_metadata, &c);
	load_walk(_metadata, self, &c, &sw);
	sweep_log(_metadata, "finit_module(), driver only", &sw);
	/*
	 * Under fail_page_alloc each chunk's allocation is a fault point:
	 * every one but the last falls back to a lower order and the load
	 * succeeds with more chunks; the last, of order 0, has nothing to
	 * fall back to.  Under failslab the chunk array (allocated, then
	 * grown) is, and debugfs, whose failures the driver ignores.
	 */
	if (!strcmp(variant->cap, "fail_page_alloc")) {
		EXPECT_EQ(c.chunks - 1, map_count(&sw, 'c'));
		EXPECT_LE(1U, sw.errnos[ENOMEM]);
	} else {
		EXPECT_LE(2U, sw.errnos[ENOMEM]);
		EXPECT_LT(0U, map_count(&sw, 'd'));
	}
}

/* Mappings of the device in /proc/self/maps. */
static int device_mappings(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, DEVICE);
	fclose(f);
	return n;
}

/* One mmap() or madvise() of the device, with what to expect after it. */
struct map_call {
	int fd;
	size_t len;
	int flags;		/* MAP_SHARED or MAP_PRIVATE */
	unsigned char *at;	/* where to map, or NULL */
	int advice;		/* of populate_call() */
	unsigned char *p;
	__u64 live_vmas;	/* before the call */
	unsigned int seed;	/* of the data in the buffer */
};

/* Open the device in @mode with a known pattern in the whole buffer. */
static int map_open(struct map_call *c, __u32 mode, unsigned int seed)
{
	struct mmapdemo_stats st;
	struct mmapdemo_info info;

	c->fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	if (ioctl(c->fd, MMAPDEMO_IOC_SET_MODE, &mode) ||
	    ioctl(c->fd, MMAPDEMO_IOC_INFO, &info) ||
	    ioctl(c->fd, MMAPDEMO_IOC_STATS, &st))
		return -errno;
	c->len = info.size;
	c->live_vmas = st.live_vmas;
	c->seed = seed;
	return write_pattern(c->fd, 0, c->len, seed);
}

static int map_call(void *arg)
{
	struct map_call *c = arg;
	int fixed = c->at ? MAP_FIXED_NOREPLACE : 0;

	c->p = mmap(c->at, c->len, PROT_READ | PROT_WRITE, c->flags | fixed,
		    c->fd, 0);
	return c->p == MAP_FAILED ? -errno : 0;
}

/*
 * Nothing of a mapping outlives munmap(): the driver's count of VMAs is
 * where it started, and /proc/self/maps shows none.
 */
static void expect_no_mapping(struct __test_metadata *_metadata,
			      const struct map_call *c)
{
	struct mmapdemo_stats st;

	ASSERT_EQ(0, device_stats(c->fd, &st));
	EXPECT_EQ(c->live_vmas, st.live_vmas);
	EXPECT_EQ(0, device_mappings());
}

/*
 * mmap() allocates the VMA and maple tree nodes, which __mmap_region()
 * turns into ENOMEM when they fail, and in remap mode page tables, which
 * remap_pfn_range() does: each failure must be ENOMEM.  (Its other error,
 * EINVAL when track_pfn_remap() fails, cannot come from an allocation: the
 * PAT reservation of RAM allocates nothing.)
 */
static char settle_map(struct __test_metadata *_metadata, void *arg, int ret,
		       bool injected)
{
	struct map_call *c = arg;

	if (ret) {
		ASSERT_TRUE(injected) TH_LOG("mmap(): %s", strerror(-ret));
		EXPECT_EQ(-ENOMEM, ret) TH_LOG("mmap(): %s", strerror(-ret));
	} else {
		EXPECT_EQ(c->len, check_pattern(c->p, c->len, 0, c->seed));
		ASSERT_EQ(0, munmap(c->p, c->len));
	}
	expect_no_mapping(_metadata, c);
	return ret == -ENOMEM ? 'E' : ret ? 'x' : '.';
}

/* A normal mapping reads the buffer, writes it, and goes away. */
static void expect_mapping_works(struct __test_metadata *_metadata,
				 struct map_call *c)
{
	ASSERT_EQ(0, map_call(c));
	EXPECT_EQ(c->len, check_pattern(c->p, c->len, 0, c->seed));
	fill_pattern(c->p, c->len, 0, c->seed + 1);
	ASSERT_EQ(0, munmap(c->p, c->len));
	EXPECT_EQ(0, read_check_pattern(c->fd, 0, c->len, c->seed + 1));
	expect_no_mapping(_metadata, c);
}

/*
 * Free memory after unloading the module and loading it again with its
 * buffer of @size bytes: a page of the buffer that kept a reference would
 * not be freed at unload.  Measured so at the start and at the end of a
 * test, reloading costs the same both times.
 */
static long free_kib_reloaded(struct __test_metadata *_metadata, size_t size)
{
	char params[32];

	if (!module_path()) {
		TH_LOG("MMAPDEMO_KO is not set: buffer pages are not checked");
		return free_kib();
	}
	snprintf(params, sizeof(params), "size=%zu", size);
	ASSERT_EQ(0, module_unload()) TH_LOG("is /dev/mmapdemo still in use?");
	ASSERT_EQ(0, module_load(params));
	return free_kib();
}

/* The size of the device's buffer, or 0. */
static size_t device_size(void)
{
	struct mmapdemo_info info;
	int fd = open(DEVICE, O_RDONLY | O_CLOEXEC);
	size_t size = 0;

	if (fd < 0)
		return 0;
	if (!ioctl(fd, MMAPDEMO_IOC_INFO, &info))
		size = info.size;
	close(fd);
	return size;
}

/*
 * An address for a @len-byte mapping, right behind a page of anonymous
 * memory that stays mapped, so that the page table of the mapping's first
 * page exists before mmap().  remap_pfn_range() then maps that page before
 * it can fail.  When it fails with nothing mapped, its cleanup WARNs on
 * x86: zap_page_range_single() calls untrack_pfn(), whose get_pat_info()
 * finds no PFN at vm_start.  That is a kernel bug the driver cannot avoid,
 * and its splat would fail the run; the driver gets -ENOMEM either way.
 */
static unsigned char *map_anchor(size_t len, size_t page)
{
	const size_t pmd = 2UL << 20;
	size_t size = len + 2 * pmd;
	unsigned char *r, *a;

	r = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	a = (unsigned char *)(((uintptr_t)r + pmd - 1) & ~(pmd - 1));
	if (a > r)
		munmap(r, a - r);
	munmap(a + page, r + size - a - page);
	/* Touched once alone, the page is not part of a huge page. */
	*(volatile unsigned char *)a = 1;
	return a + page;
}

TEST_F_TIMEOUT(faultinject, mmap_fails_enomem, 300)
{
	/* insert fills the page tables in mmap(), remap too; the rest do not. */
	static const struct {
		__u32 mode;
		const char *what;
	} modes[] = {
		{ MMAPDEMO_MODE_REMAP, "mmap() remap" },
		{ MMAPDEMO_MODE_FAULT, "mmap() fault" },
		{ MMAPDEMO_MODE_INSERT, "mmap() insert" },
		{ MMAPDEMO_MODE_PFN, "mmap() pfn" },
	};
	struct map_call c = { .flags = MAP_SHARED };
	struct walk w = { .call = map_call, .settle = settle_map, .arg = &c };
	size_t m, size = device_size();
	struct sweep sw;
	long before, after;

	if (!size)
		SKIP(return, DEVICE ": %s (is mmapdemo.ko loaded?)", strerror(errno));
	before = free_kib_reloaded(_metadata, size);
	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		memset(&sw, 0, sizeof(sw));
		ASSERT_EQ(0, map_open(&c, modes[m].mode, 41 + m));
		c.at = map_anchor(c.len, self->page);
		ASSERT_NE(NULL, c.at);
		walk_sites(_metadata, self->nth, &w, &sw);
		sweep_log(_metadata, modes[m].what, &sw);
		expect_mapping_works(_metadata, &c);
		munmap(c.at - self->page, self->page);
		close(c.fd);
	}
	after = free_kib_reloaded(_metadata, size);
	expect_memory_back(_metadata, before, after);
}

static int populate_prepare(void *arg)
{
	return map_call(arg);
}

static int populate_call(void *arg)
{
	struct map_call *c = arg;

	return madvise(c->p, c->len, c->advice) ? -errno : 0;
}

/*
 * A touch whose fault gets VM_FAULT_OOM is retried by the page fault
 * handler, but MADV_POPULATE_* hands the error back: ENOMEM, which
 * madvise_populate() returns for -ENOMEM from faultin_page_range().  After
 * a failure every page reads fine, with no signal; after success all are
 * present.  Either way the mapping then goes.
 */
static char settle_populate(struct __test_metadata *_metadata, void *arg,
			    int ret, bool injected)
{
	struct map_call *c = arg;
	long pages = c->len / page_size();

	if (ret) {
		ASSERT_TRUE(injected) TH_LOG("madvise(): %s", strerror(-ret));
		EXPECT_EQ(-ENOMEM, ret) TH_LOG("madvise(): %s", strerror(-ret));
		EXPECT_EQ(0, read_signal(c->p + c->len - 1));
	} else {
		EXPECT_EQ(pages, pages_present(c->p, pages));
	}
	EXPECT_EQ(c->len, check_pattern(c->p, c->len, 0, c->seed));
	ASSERT_EQ(0, munmap(c->p, c->len));
	expect_no_mapping(_metadata, c);
	return ret == -ENOMEM ? 'E' : ret ? 'x' : '.';
}

TEST_F_TIMEOUT(faultinject, populate_fails_enomem, 300)
{
	/*
	 * Shared: page tables only.  Private write: copy on write, also the
	 * anon_vma and a new page per page, so a few pages are enough.
	 */
	static const struct {
		const char *what;
		int flags, advice;
		size_t pages;	/* 0: the whole buffer */
	} cases[] = {
		{ "shared POPULATE_WRITE", MAP_SHARED, MADV_POPULATE_WRITE, 0 },
		{ "shared POPULATE_READ", MAP_SHARED, MADV_POPULATE_READ, 0 },
		{ "private POPULATE_WRITE", MAP_PRIVATE, MADV_POPULATE_WRITE,
		  4 },
	};
	struct map_call c;
	struct walk w = {
		.prepare = populate_prepare, .call = populate_call,
		.settle = settle_populate, .arg = &c,
	};
	size_t i, size = device_size();
	long before, after;
	struct sweep sw;

	if (!size)
		SKIP(return, DEVICE ": %s (is mmapdemo.ko loaded?)", strerror(errno));
	before = free_kib_reloaded(_metadata, size);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(&sw, 0, sizeof(sw));
		memset(&c, 0, sizeof(c));
		ASSERT_EQ(0, map_open(&c, MMAPDEMO_MODE_FAULT, 50 + i));
		if (cases[i].pages)
			c.len = cases[i].pages * self->page;
		c.flags = cases[i].flags;
		c.advice = cases[i].advice;
		walk_sites(_metadata, self->nth, &w, &sw);
		sweep_log(_metadata, cases[i].what, &sw);
		c.flags = MAP_SHARED;
		c.len = size;
		expect_mapping_works(_metadata, &c);
		close(c.fd);
	}
	after = free_kib_reloaded(_metadata, size);
	expect_memory_back(_metadata, before, after);
}

TEST_HARNESS_MAIN
