// SPDX-License-Identifier: GPL-2.0
/*
 * mmap() of the device: check the request, then hand the VMA to the mode the
 * open file is in.  Each mode has its own vm_operations_struct; they share
 * the open/close pair below, which counts the VMAs that exist.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/string.h>

#include "mmapdemo.h"
#include "trace.h"

/* The dispatcher: what it knows of each mode, from MMAPDEMO_MODE_LIST. */
static const struct mmapdemo_mode_desc {
	const char *name;
	int (*mmap)(struct mmapdemo_dev *md, struct vm_area_struct *vma,
		    bool track);
	unsigned long (*get_unmapped_area)(struct file *file, unsigned long addr,
					   unsigned long len, unsigned long pgoff,
					   unsigned long flags);
} mmapdemo_modes[] = {
#define EM(mode, name, mmap, area)					\
	[mode] = { name, mmap, area },
#define EM_LAST(mode, name, mmap, area)					\
	[mode] = { name, mmap, area },
	MMAPDEMO_MODE_LIST
#undef EM
#undef EM_LAST
};

/*
 * The list against enum mmapdemo_mode, at build time.  The table has no gap
 * (the modes are numbered 0, 1, ...); this switch, never called, has a case
 * per listed mode, so a mode the list misses or the enum lacks is a -Wswitch
 * warning, and one listed twice an error.
 */
static_assert(ARRAY_SIZE(mmapdemo_modes) == MMAPDEMO_NR_MODES);

static inline void mmapdemo_mode_list_check(enum mmapdemo_mode m)
{
	switch (m) {
#define EM(mode, ...)		case mode:
#define EM_LAST(mode, ...)	case mode:
	MMAPDEMO_MODE_LIST
#undef EM
#undef EM_LAST
		break;
	}
}

const char *mmapdemo_mode_name(unsigned int mode)
{
	return mode < MMAPDEMO_NR_MODES ? mmapdemo_modes[mode].name : "?";
}

/* Return the mode called @name (a trailing newline is ignored), or -EINVAL. */
int mmapdemo_mode_parse(const char *name)
{
	int mode;

	for (mode = 0; mode < MMAPDEMO_NR_MODES; mode++)
		if (sysfs_streq(name, mmapdemo_modes[mode].name))
			return mode;
	return -EINVAL;
}

/*
 * vm_ops->open runs for every VMA copied from one of ours: fork(), a split by
 * munmap() or mprotect(), a move by mremap().  mmapdemo_mmap() calls it for
 * the first one.
 */
void mmapdemo_vma_open(struct vm_area_struct *vma)
{
	struct mmapdemo_dev *md = vma->vm_private_data;

	atomic64_inc(&md->stats.live_vmas);
	trace_mmapdemo_vma_open(vma);
	pr_debug("vma open %#lx-%#lx pgoff %lu\n",
		 vma->vm_start, vma->vm_end, vma->vm_pgoff);
}

void mmapdemo_vma_close(struct vm_area_struct *vma)
{
	struct mmapdemo_dev *md = vma->vm_private_data;

	WARN_ON_ONCE(atomic64_dec_return(&md->stats.live_vmas) < 0);
	trace_mmapdemo_vma_close(vma);
	pr_debug("vma close %#lx-%#lx pgoff %lu\n",
		 vma->vm_start, vma->vm_end, vma->vm_pgoff);
}

/* Check the request against the buffer, then let the mode set up @vma. */
static int mmapdemo_mmap_mode(struct mmapdemo_dev *md, unsigned int mode,
			      bool track, struct vm_area_struct *vma)
{
	if (READ_ONCE(md->removed))
		return -ENODEV;
	if (!mmapdemo_buf_range_ok(&md->buf, vma->vm_pgoff, vma_pages(vma))) {
		pr_debug("mmap: pages %lu+%lu are outside the %lu-page buffer\n",
			 vma->vm_pgoff, vma_pages(vma), md->buf.nr_pages);
		return -EINVAL;
	}

	/*
	 * VM_DONTEXPAND: mremap() must not grow the mapping past the range
	 * checked above.  It also makes the VMA "special", which the core
	 * never merges with a neighbour, so each VMA gets exactly one close()
	 * for its mmap() or open().  VM_DONTDUMP: core dumps leave device
	 * memory out.
	 */
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_private_data = md;

	/*
	 * A tracked mapping's PTEs are read-only until a write faults into
	 * the driver.  The core write-protects vm_page_prot itself, because
	 * the vm_operations have a *_mkwrite, but only after .mmap returns
	 * (vma_set_page_prot()); the eager modes write their PTEs before, so
	 * do it here the same way: the protection of a private mapping.
	 */
	if (track && (vma->vm_flags & VM_SHARED))
		vma->vm_page_prot = vm_get_page_prot(vma->vm_flags & ~VM_SHARED);

	return mmapdemo_modes[mode].mmap(md, vma, track);
}

int mmapdemo_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mmapdemo_file *mf = file->private_data;
	struct mmapdemo_dev *md = mf->md;
	unsigned int mode = READ_ONCE(mf->mode);
	int ret;

	ret = mmapdemo_mmap_mode(md, mode, READ_ONCE(mf->track), vma);
	trace_mmapdemo_mmap(mode, vma, ret);
	pr_debug("mmap %s: %#lx-%#lx pgoff %lu flags %#lx: %d\n",
		 mmapdemo_modes[mode].name, vma->vm_start, vma->vm_end,
		 vma->vm_pgoff, (unsigned long)vma->vm_flags, ret);
	if (ret)
		return ret;

	atomic64_inc(&md->stats.mmaps[mode]);
	mmapdemo_vma_open(vma);
	return 0;
}

/*
 * Before mmap(), the core asks where the mapping should go, and so does
 * mremap() before it moves one, whatever mode the mapping was made in.  The
 * mode read here may change before mmapdemo_mmap() reads it again; that
 * only costs the new mode its preferred placement.
 */
unsigned long mmapdemo_get_unmapped_area(struct file *file, unsigned long addr,
					 unsigned long len, unsigned long pgoff,
					 unsigned long flags)
{
	struct mmapdemo_file *mf = file->private_data;
	const struct mmapdemo_mode_desc *desc = &mmapdemo_modes[READ_ONCE(mf->mode)];

	mmapdemo_huge_unmap_puds(file, pgoff, len >> PAGE_SHIFT);
	if (desc->get_unmapped_area)
		return desc->get_unmapped_area(file, addr, len, pgoff, flags);
	return mmapdemo_default_unmapped_area(file, addr, len, pgoff, flags);
}
