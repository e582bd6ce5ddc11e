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
};

FIXTURE_VARIANT(mmapdemo) {
	__u32 mode;
	bool eager;	/* the page tables are written in mmap() */
	bool pfnmap;	/* VM_PFNMAP: the core sees frame numbers, no struct pages */
};

FIXTURE_VARIANT_ADD(mmapdemo, remap) {
	.mode = MMAPDEMO_MODE_REMAP,
	.eager = true,
	.pfnmap = true,
};

FIXTURE_VARIANT_ADD(mmapdemo, fault) {
	.mode = MMAPDEMO_MODE_FAULT,
	.eager = false,
	.pfnmap = false,
};

FIXTURE_SETUP(mmapdemo)
{
	self->page = page_size();
	self->fd = open(DEVICE, O_RDWR);
	if (self->fd < 0)
		SKIP(return, DEVICE ": %s (is mmapdemo.ko loaded?)", strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_SET_MODE, &variant->mode));
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_INFO, &self->info));
	ASSERT_GE(self->info.pages, 16) TH_LOG("the tests need a 16-page buffer");
}

FIXTURE_TEARDOWN(mmapdemo)
{
	if (self->fd >= 0)
		close(self->fd);
}

#define VARIANT const FIXTURE_VARIANT(mmapdemo)

/* Faults that reach the driver when @nr fresh pages are first touched. */
static inline unsigned long expect_faults(VARIANT *v, unsigned long nr)
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

/* Whether get_user_pages() (process_vm_readv, O_DIRECT) works on the mapping. */
static inline bool expect_gup(VARIANT *v)
{
	return !v->pfnmap;
}

/* Whether a writable MAP_PRIVATE mapping is allowed (copy-on-write). */
static inline bool expect_cow(VARIANT *v)
{
	return !v->pfnmap;
}

/* VmFlags every mapping of the mode has, and those it never has. */
static inline const char *expect_vmflags(VARIANT *v)
{
	return v->pfnmap ? "pf io dd de" : "dd de";
}

static inline const char *expect_no_vmflags(VARIANT *v)
{
	return v->pfnmap ? "" : "pf io";
}

/* A shared read-write mapping of @len bytes at @off through the fixture's file. */
static inline unsigned char *map_shared(FIXTURE_DATA(mmapdemo) *self, size_t len,
					off_t off)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
}

#endif /* MMAPDEMO_TEST_H */
