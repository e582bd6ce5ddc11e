/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the mmapdemo selftests share.  FIXTURE(mmapdemo) is an open
 * /dev/mmapdemo in one mode per variant: a variant for each row of
 * lib/modes.h, named after it and carrying its properties, which the
 * expect_*() helpers turn into expected numbers, so that test bodies never
 * switch on the mode.  FIXTURE(module) is for tests that load the module
 * themselves.  A fixture no test of a program uses costs it nothing.
 */
#ifndef MMAPDEMO_TEST_H
#define MMAPDEMO_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "modes.h"
#include "util.h"

/* Open the device with @flags, or skip the test: the module is not loaded. */
#define OPEN_OR_SKIP(flags) ({						\
	int __fd = open(DEVICE, (flags));				\
									\
	if (__fd < 0)							\
		SKIP(return, DEVICE ": %s (is mmapdemo.ko loaded?)",	\
		     strerror(errno));					\
	__fd;								\
})

FIXTURE(mmapdemo) {
	int fd;
	size_t page;
	struct mmapdemo_info info;
	char fault_around[8];	/* the parameter before setup, to restore */
};

/* The properties of a row of lib/modes.h (struct mode_info). */
FIXTURE_VARIANT(mmapdemo) {
	__u32 mode;
	bool eager;	/* the page tables are written in mmap() */
	bool pfnmap;	/* VM_PFNMAP: the core sees frame numbers, no struct pages */
	bool around;	/* fault_around=1: a read fault maps the pages around it */
	bool huge;	/* a fault maps 2 MiB with one PMD where it can */
};

#define MODE_VARIANT(variant_, name_, mode_, eager_, pfnmap_, around_, huge_) \
	FIXTURE_VARIANT_ADD(mmapdemo, variant_) {			\
		.mode = MMAPDEMO_MODE_##mode_,				\
		.eager = eager_,					\
		.pfnmap = pfnmap_,					\
		.around = around_,					\
		.huge = huge_,						\
	};
MMAPDEMO_MODES(MODE_VARIANT)

/*
 * fault_around is a module parameter, read at mmap() time: set it for the
 * variant (it matters to fault mode only) and put it back in teardown.
 */
FIXTURE_SETUP(mmapdemo)
{
	self->page = page_size();
	self->fd = OPEN_OR_SKIP(O_RDWR);
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_SET_MODE, &variant->mode))
		TH_LOG("the driver has no mode %s", mode_name(variant->mode));
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_INFO, &self->info));
	ASSERT_GE(self->info.pages, 16) TH_LOG("the tests need a 16-page buffer");
	ASSERT_EQ(0, read_param("fault_around", self->fault_around,
				sizeof(self->fault_around)));
	ASSERT_EQ(0, write_param("fault_around", variant->around ? "1" : "0"));
}

FIXTURE_TEARDOWN(mmapdemo)
{
	if (self->fault_around[0])
		write_param("fault_around", self->fault_around);
	if (self->fd >= 0)
		close(self->fd);
}

/* Tests that load the module their own way, then restore the default. */
FIXTURE(module) {
	size_t page;
};

FIXTURE_SETUP(module)
{
	if (!module_path())
		SKIP(return, "MMAPDEMO_KO is not set: the module cannot be reloaded");
	self->page = page_size();
	ASSERT_EQ(0, module_unload()) TH_LOG("is /dev/mmapdemo still in use?");
}

FIXTURE_TEARDOWN(module)
{
	module_unload();
	EXPECT_EQ(0, module_load(""));
}

#define VARIANT const FIXTURE_VARIANT(mmapdemo)

/*
 * Why huge mode cannot map the first @n PMDs of the buffer for this
 * process, or NULL if it can.  The core asks the driver for a PMD only if
 * the kernel can map a PFN with one (CONFIG_ARCH_SUPPORTS_PMD_PFNMAP, which
 * info->levels reports) and the process has transparent huge pages
 * (prctl(PR_SET_THP_DISABLE) turns them off for it, and /proc/self/status
 * then says "THP_enabled: 0").  Every test that expects PMDs asks this.
 */
static inline const char *no_pmds(const struct mmapdemo_info *info,
				  unsigned int n)
{
	static char why[128];

	if (!(info->levels & MMAPDEMO_LEVEL_PMD))
		return "this kernel cannot map a PFN with a PMD "
		       "(no CONFIG_ARCH_SUPPORTS_PMD_PFNMAP): huge mode maps 4 KiB";
	if (prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1)
		return "this process has THP disabled (PR_SET_THP_DISABLE): no PMDs";
	if (!proc_field_sum("/proc/self/status", "THP_enabled"))
		return "this process has THP disabled (THP_enabled: 0): no PMDs";
	if (info->huge_pages < n * pmd_pages()) {
		snprintf(why, sizeof(why), "the buffer has %u pages in 2 MiB chunks, "
			 "the test needs %u PMDs", info->huge_pages, n);
		return why;
	}
	return NULL;
}

/*
 * Pages the driver maps lazily (lazy_pages()) when @nr fresh pages are first
 * touched: each by a fault handler or by fault-around, or 2 MiB at a time.
 */
static inline unsigned long expect_lazy(VARIANT *v, unsigned long nr)
{
	return v->eager ? 0 : nr;
}

/* Pages the driver maps inside mmap() for an @nr-page mapping. */
static inline unsigned long expect_eager(VARIANT *v, unsigned long nr)
{
	return v->eager ? nr : 0;
}

/*
 * Pages /proc/self/pagemap shows present after touching @nr pages.  The page
 * table walker behind pagemap treats VM_PFNMAP areas as holes, so it cannot
 * see the PTEs of a PFN map even though they are there.
 */
static inline unsigned long expect_present(VARIANT *v, unsigned long nr)
{
	return v->pfnmap ? 0 : nr;
}

/* ... and right after mmap(): those of an eager mode, if pagemap sees them. */
static inline unsigned long expect_present_after_mmap(VARIANT *v, unsigned long nr)
{
	return v->eager ? expect_present(v, nr) : 0;
}

/* Whether get_user_pages() (process_vm_readv, vmsplice, pins) works. */
static inline bool expect_gup(VARIANT *v)
{
	return !v->pfnmap;
}

/* Whether a writable MAP_PRIVATE mapping is allowed (copy-on-write). */
static inline bool expect_cow(VARIANT *v)
{
	return !v->pfnmap;
}

/*
 * Whether madvise() may drop the PTEs for faults to bring back
 * (MADV_DONTNEED) and fault pages in through GUP (MADV_POPULATE_*).
 */
static inline bool expect_madvise(VARIANT *v)
{
	return !v->pfnmap;
}

/*
 * Pages that MAP_POPULATE, MADV_POPULATE_* or mlock() map for @nr fresh
 * pages: GUP faults them in, unless mmap() did (eager) or GUP cannot (PFN
 * maps).
 */
static inline unsigned long expect_populated(VARIANT *v, unsigned long nr)
{
	return v->eager || v->pfnmap ? 0 : nr;
}

/*
 * vm_insert_pages() (insert mode and fault-around) needs VM_MIXEDMAP, which
 * keeps the pages struct pages: not a PFN map.
 */
static inline bool expect_mixedmap(VARIANT *v)
{
	return !v->pfnmap && (v->eager || v->around);
}

/* VmFlags every mapping of the mode has, and those it never has. */
static inline const char *expect_vmflags(VARIANT *v)
{
	if (v->pfnmap)
		return "pf io dd de";
	return expect_mixedmap(v) ? "dd de mm" : "dd de";
}

static inline const char *expect_no_vmflags(VARIANT *v)
{
	if (v->pfnmap)
		return "mm";
	return expect_mixedmap(v) ? "pf io" : "pf io mm";
}

/*
 * The minor faults, between *@min and *@max, of reading once each page of
 * the fresh @nr-page mapping @p of buffer offset @off (see
 * read_fault_range()): none if eager, else one per page, per fault-around
 * window, or per 2 MiB that huge mode maps with a PMD.
 */
static inline void expect_read_faults(FIXTURE_DATA(mmapdemo) *self, VARIANT *v,
				      const void *p, off_t off, unsigned long nr,
				      long *min, long *max)
{
	struct fault_model m = {
		.eager = v->eager,
		.window = v->around ? fault_around_pages() : 1,
		.huge_pages = v->huge && !no_pmds(&self->info, 1) ?
			      self->info.huge_pages : 0,
	};

	read_fault_range(&m, p, off / self->page, nr, min, max);
}

/* The trace event that maps the pages of a fresh mapping, if any. */
static inline const char *expect_mode_event(VARIANT *v)
{
	if (v->eager)
		return v->pfnmap ? NULL : "mmapdemo_insert: ";
	if (v->around)
		return "mmapdemo_map_pages: ";
	return v->pfnmap ? "mmapdemo_pfn_fault: " : "mmapdemo_fault: ";
}

/* A shared read-write mapping of @len bytes at @off of @fd, at @addr if set. */
static inline unsigned char *map_at(int fd, void *addr, size_t len, off_t off)
{
	return mmap(addr, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | (addr ? MAP_FIXED : 0), fd, off);
}

/* ... through the fixture's file, wherever mmap() puts it. */
static inline unsigned char *map_shared(FIXTURE_DATA(mmapdemo) *self, size_t len,
					off_t off)
{
	return map_at(self->fd, NULL, len, off);
}

/* Read each page of [@p, @p + @len) once: the minor faults that took. */
static inline long read_faults(const void *p, size_t len)
{
	long before = minor_faults();

	touch_pages(p, len);
	return minor_faults() - before;
}

#endif /* MMAPDEMO_TEST_H */
