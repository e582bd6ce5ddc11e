/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture every mmapdemo selftest shares: an open /dev/mmapdemo in one
 * mapping mode per variant.  Each variant states what its mode promises, and
 * the expect_*() helpers turn that into expected numbers, so that test
 * bodies never switch on the mode.
 */
#ifndef MMAPDEMO_TEST_H
#define MMAPDEMO_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "helpers.h"

FIXTURE(mmapdemo) {
	int fd;
	size_t page;
	struct mmapdemo_info info;
	char fault_around[8];	/* the parameter before setup, to restore */
};

FIXTURE_VARIANT(mmapdemo) {
	__u32 mode;
	bool eager;	/* the page tables are written in mmap() */
	bool pfnmap;	/* VM_PFNMAP: the core sees frame numbers, no struct pages */
	bool around;	/* fault_around=1: a read fault maps the pages around it */
	bool huge;	/* a fault maps 2 MiB with one PMD where it can */
};

FIXTURE_VARIANT_ADD(mmapdemo, remap) {
	.mode = MMAPDEMO_MODE_REMAP,
	.eager = true,
	.pfnmap = true,
};

FIXTURE_VARIANT_ADD(mmapdemo, fault) {
	.mode = MMAPDEMO_MODE_FAULT,
};

FIXTURE_VARIANT_ADD(mmapdemo, fault_around) {
	.mode = MMAPDEMO_MODE_FAULT,
	.around = true,
};

FIXTURE_VARIANT_ADD(mmapdemo, insert) {
	.mode = MMAPDEMO_MODE_INSERT,
	.eager = true,
};

FIXTURE_VARIANT_ADD(mmapdemo, pfn) {
	.mode = MMAPDEMO_MODE_PFN,
	.pfnmap = true,
};

FIXTURE_VARIANT_ADD(mmapdemo, huge) {
	.mode = MMAPDEMO_MODE_HUGE,
	.pfnmap = true,
	.huge = true,
};

/*
 * fault_around is a module parameter, read at mmap() time: set it for the
 * variant (it matters to fault mode only) and put it back in teardown.
 */
FIXTURE_SETUP(mmapdemo)
{
	self->page = page_size();
	self->fault_around[0] = '\0';
	self->fd = open(DEVICE, O_RDWR);
	if (self->fd < 0)
		SKIP(return, DEVICE ": %s (is mmapdemo.ko loaded?)", strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_SET_MODE, &variant->mode))
		TH_LOG("the driver has no mode %u", variant->mode);
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

#define VARIANT const FIXTURE_VARIANT(mmapdemo)

/* The name of @mode, as the driver, its trace events and the tool spell it. */
static inline const char *mode_name(__u32 mode)
{
	static const char *const names[] = {
		[MMAPDEMO_MODE_REMAP] = "remap",
		[MMAPDEMO_MODE_FAULT] = "fault",
		[MMAPDEMO_MODE_INSERT] = "insert",
		[MMAPDEMO_MODE_PFN] = "pfn",
		[MMAPDEMO_MODE_HUGE] = "huge",
	};

	return mode < sizeof(names) / sizeof(names[0]) ? names[mode] : "?";
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
 * Pages that MADV_POPULATE_* or mlock() map for @nr fresh pages: GUP faults
 * them in, unless mmap() did (eager) or GUP cannot (PFN maps).
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
		.huge_pages = v->huge ? self->info.huge_pages : 0,
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

/* A shared read-write mapping of @len bytes at @off through the fixture's file. */
static inline unsigned char *map_shared(FIXTURE_DATA(mmapdemo) *self, size_t len,
					off_t off)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
}

#endif /* MMAPDEMO_TEST_H */
