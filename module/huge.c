// SPDX-License-Identifier: GPL-2.0
/*
 * The huge path: pfn mode, plus a ->huge_fault that maps 1 GiB of the buffer
 * with one PUD, or 2 MiB with one PMD, where it can.  The core asks for the
 * largest block first, and asks again one level down for as long as the
 * handler answers VM_FAULT_FALLBACK, down to ->fault and its 4 KiB page.  A
 * block can be mapped whole if three things hold: it lies inside the VMA, it
 * starts at a buffer offset that is a multiple of its size, and the buffer
 * pages there are physically contiguous and aligned to its size (one of the
 * buffer's chunks of that size).  ->get_unmapped_area places a mapping so
 * that its address and its buffer offset agree modulo 1 GiB or 2 MiB, which
 * makes the first two hold for every whole block of the buffer that the
 * mapping covers.
 *
 * A PMD that maps a bare PFN needs pmd_special()
 * (CONFIG_ARCH_SUPPORTS_PMD_PFNMAP), a PUD pud_special()
 * (CONFIG_ARCH_SUPPORTS_PUD_PFNMAP).  Without them there is no ->huge_fault:
 * huge mode maps 4 KiB pages as pfn mode does, and MMAPDEMO_IOC_INFO says so
 * (levels).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>

#include "mmapdemo.h"
#include "trace.h"

#ifdef MMAPDEMO_HAVE_HUGE_PFNMAP
/*
 * Whether the block of 2^@order pages at @haddr can be mapped whole; if so,
 * *@pgoff and *@pfn are where it starts in the buffer and in physical memory.
 */
static enum mmapdemo_huge_result
mmapdemo_huge_where(struct mmapdemo_dev *md, struct vm_fault *vmf,
		    unsigned int order, unsigned long haddr, pgoff_t *pgoff,
		    unsigned long *pfn)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long nr = 1UL << order;

	/* The core leaves this check to the handler (TVA_IN_PF). */
	if (haddr < vma->vm_start || vma->vm_end - haddr < nr << PAGE_SHIFT)
		return MMAPDEMO_HUGE_NO_ROOM;
	*pgoff = vmf->pgoff - ((vmf->address - haddr) >> PAGE_SHIFT);
	if (!IS_ALIGNED(*pgoff, nr))
		return MMAPDEMO_HUGE_MISALIGNED;
	/*
	 * A PUD only where the buffer has its 1 GiB chunks, even if smaller
	 * chunks happen to make 1 GiB in a row: mmapdemo_huge_unmap_puds()
	 * and mmapdemo_huge_whole_puds() look for PUDs there only.
	 */
	if (mmapdemo_buf_run(&md->buf, *pgoff, nr, pfn) < nr ||
	    !IS_ALIGNED(*pfn, nr) ||
	    (order == MMAPDEMO_PUD_ORDER && *pgoff + nr > md->buf.pud_pages))
		return MMAPDEMO_HUGE_FRAGMENTED;
	return MMAPDEMO_HUGE_MAPPED;
}

/* Map 2^@order pages at @pfn with one PMD or PUD. */
static vm_fault_t mmapdemo_huge_insert(struct vm_fault *vmf, unsigned int order,
				       unsigned long pfn)
{
	bool write = vmf->flags & FAULT_FLAG_WRITE;

#ifdef MMAPDEMO_HAVE_PUD_PFNMAP
	if (order == MMAPDEMO_PUD_ORDER)
		return vmf_insert_pfn_pud(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write);
#endif
	return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write);
}

static vm_fault_t mmapdemo_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct mmapdemo_dev *md = vmf->vma->vm_private_data;
	unsigned long haddr = ALIGN_DOWN(vmf->address, PAGE_SIZE << order);
	bool pud = order == MMAPDEMO_PUD_ORDER;
	enum mmapdemo_huge_result result;
	unsigned long pfn = 0;
	pgoff_t pgoff = 0;
	vm_fault_t ret;

	/* Only the orders this kernel can map a PFN with. */
	if (order != MMAPDEMO_PMD_ORDER &&
	    !(pud && (mmapdemo_levels() & MMAPDEMO_LEVEL_PUD)))
		return VM_FAULT_FALLBACK;

	/*
	 * A write to a tracked mapping, whether the block is empty or mapped
	 * read-only: falling back makes the core split a PMD or PUD, and the
	 * write is seen by ->pfn_mkwrite, a 4 KiB page at a time.
	 */
	if (mmapdemo_tracked(vmf->vma) && (vmf->flags & FAULT_FLAG_WRITE))
		result = MMAPDEMO_HUGE_TRACKED;
	else
		result = mmapdemo_huge_where(md, vmf, order, haddr, &pgoff, &pfn);

	if (result != MMAPDEMO_HUGE_MAPPED) {
		ret = VM_FAULT_FALLBACK;
		atomic64_inc(pud ? &md->stats.pud_fallbacks :
				   &md->stats.huge_fallbacks);
	} else if (!mmapdemo_enter(md)) {
		ret = VM_FAULT_SIGBUS;
	} else {
		/* VM_FAULT_NOPAGE, also when another thread mapped it first. */
		ret = mmapdemo_huge_insert(vmf, order, pfn);
		mmapdemo_leave(md);
		if (ret == VM_FAULT_NOPAGE) {
			atomic64_inc(pud ? &md->stats.pud_faults :
					   &md->stats.huge_faults);
			if (mmapdemo_vma_locked(vmf))
				atomic64_inc(&md->stats.vma_lock_faults);
		}
	}
	trace_mmapdemo_huge_fault(vmf, order, pgoff, pfn, result, ret);
	pr_debug("huge fault at %#lx: order %u, pgoff %lu: %d\n",
		 vmf->address, order, vmf->pgoff, result);
	return ret;
}
#endif /* MMAPDEMO_HAVE_HUGE_PFNMAP */

#ifdef MMAPDEMO_HAVE_PUD_PFNMAP
/*
 * The core of 6.12 maps a PFN with a PUD, but the code that cuts and moves
 * mappings still expects a page table below every present PUD:
 *  - cutting a VMA at an address that is not a multiple of 2 MiB
 *    (vma_adjust_trans_huge()) takes the first 4 KiB under the PUD for a
 *    table of PMDs, and clears a word of the buffer there that looks like a
 *    huge PMD: data lost;
 *  - mremap() finds the PUD "bad", says so in the kernel log and clears it
 *    (get_old_pud()); moving to an address that disagrees with the old one
 *    modulo 1 GiB, it would read the buffer as PMDs too.
 * So huge mode takes such a PUD down itself first, as the core does for a
 * PMD, and the pages fault back at the next touch.  A cut calls ->may_split
 * first; a move calls ->get_unmapped_area for its new place (and
 * ->may_split if it moves part of a VMA).  Each write-locks the VMA before
 * the zap, so that no fault under the per-VMA lock maps the PUD again
 * before the core has done.
 */

/* Before the core cuts @vma at @addr: the PUD across @addr, if any. */
static int mmapdemo_huge_may_split(struct vm_area_struct *vma,
				   unsigned long addr)
{
	unsigned long start = ALIGN_DOWN(addr, PUD_SIZE);

	if (!IS_ALIGNED(addr, PUD_SIZE) && start >= vma->vm_start &&
	    vma->vm_end - start >= PUD_SIZE) {
		vma_start_write(vma);
		zap_vma_ptes(vma, start, PUD_SIZE);
	}
	return 0;
}

/**
 * mmapdemo_huge_unmap_puds - take down a process's PUDs before mremap()
 * @file: an open file of the device
 * @pgoff: first page of the buffer about to be mapped or moved
 * @nr: number of pages
 *
 * Called (under mmap_lock, for writing) wherever a mapping of @file is made
 * or moved in this process: takes down every PUD of those pages that huge
 * mode mapped in this process, which mremap() would move.
 */
void mmapdemo_huge_unmap_puds(struct file *file, pgoff_t pgoff,
			      unsigned long nr)
{
	VMA_ITERATOR(vmi, current->mm, 0);
	struct mmapdemo_file *mf = file->private_data;
	struct vm_area_struct *vma;
	unsigned long addr;
	pgoff_t first;

	if (pgoff >= mf->md->buf.pud_pages)
		return;
	mmap_assert_write_locked(current->mm);
	for_each_vma(vmi, vma) {
		if (!vma->vm_file || vma->vm_file->f_mapping != file->f_mapping ||
		    vma->vm_ops->huge_fault != mmapdemo_huge_fault)
			continue;
		for (addr = ALIGN(vma->vm_start, PUD_SIZE);
		     addr < vma->vm_end && vma->vm_end - addr >= PUD_SIZE;
		     addr += PUD_SIZE) {
			first = linear_page_index(vma, addr);
			if (first < pgoff + nr &&
			    pgoff < first + (1UL << MMAPDEMO_PUD_ORDER)) {
				vma_start_write(vma);
				zap_vma_ptes(vma, addr, PUD_SIZE);
			}
		}
	}
}
#else
void mmapdemo_huge_unmap_puds(struct file *file, pgoff_t pgoff,
			      unsigned long nr)
{
}
#endif /* MMAPDEMO_HAVE_PUD_PFNMAP */

/* Indexed by whether the mapping tracks writes. */
static const struct vm_operations_struct mmapdemo_huge_vm_ops[] = {
	{
		.open = mmapdemo_vma_open,
		.close = mmapdemo_vma_close,
		.fault = mmapdemo_pfn_fault,
#ifdef MMAPDEMO_HAVE_HUGE_PFNMAP
		.huge_fault = mmapdemo_huge_fault,
#endif
#ifdef MMAPDEMO_HAVE_PUD_PFNMAP
		.may_split = mmapdemo_huge_may_split,
#endif
		.access = mmapdemo_pfnmap_access,
	}, {
		.open = mmapdemo_vma_open,
		.close = mmapdemo_vma_close,
		.fault = mmapdemo_pfn_fault,
#ifdef MMAPDEMO_HAVE_HUGE_PFNMAP
		.huge_fault = mmapdemo_huge_fault,
#endif
#ifdef MMAPDEMO_HAVE_PUD_PFNMAP
		.may_split = mmapdemo_huge_may_split,
#endif
		.pfn_mkwrite = mmapdemo_pfn_mkwrite,
		.access = mmapdemo_pfnmap_access,
	},
};

#ifdef MMAPDEMO_HAVE_PUD_PFNMAP
/*
 * Place a mapping of @len bytes at buffer offset @pgoff at an address that
 * agrees with the offset modulo @size, if it covers a whole @size-aligned
 * block of the buffer: ask for @size bytes more and move up into them.  0
 * where it does not, or the caller's hint was free, or the padded request
 * does not fit.  thp_get_unmapped_area() does this for 2 MiB only.
 */
static unsigned long mmapdemo_align_area(struct file *file, unsigned long addr,
					 unsigned long len, unsigned long pgoff,
					 unsigned long flags, unsigned long size)
{
	u64 off = (u64)pgoff << PAGE_SHIFT;
	unsigned long start;

	if ((flags & MAP_FIXED) || len > TASK_SIZE - size ||
	    round_up(off, size) + size > off + len)
		return 0;
	start = mmapdemo_default_unmapped_area(file, addr, len + size, pgoff,
					       flags);
	if (IS_ERR_VALUE(start) || (addr && start == addr))
		return 0;
	return start + ((off - start) & (size - 1));
}
#endif

/*
 * Make the address agree with the buffer offset modulo 1 GiB where the
 * mapping covers a whole GiB of the buffer, else modulo 2 MiB.
 */
unsigned long mmapdemo_huge_get_unmapped_area(struct file *file,
					      unsigned long addr,
					      unsigned long len,
					      unsigned long pgoff,
					      unsigned long flags)
{
#ifdef MMAPDEMO_HAVE_PUD_PFNMAP
	unsigned long start;

	start = mmapdemo_align_area(file, addr, len, pgoff, flags, PUD_SIZE);
	if (start)
		return start;
#endif
#ifdef MMAPDEMO_HAVE_HUGE_PFNMAP
	return thp_get_unmapped_area(file, addr, len, pgoff, flags);
#else
	return mmapdemo_default_unmapped_area(file, addr, len, pgoff, flags);
#endif
}

/**
 * mmapdemo_huge_whole_puds - widen a range of pages to zap to whole PUDs
 * @buf: the buffer
 * @first: first page of the range, lowered to a 1 GiB boundary if need be
 * @last: last page, raised likewise
 *
 * A zap that covers part of a PUD makes the core cut it, which it may do
 * only under the mmap_lock of the PUD's process (zap_pud_range()); a driver
 * that zaps the pages of every process (unmap_mapping_pages()) holds none.
 * So where the range lies in the buffer's 1 GiB chunks, zap whole GiB.
 */
void mmapdemo_huge_whole_puds(const struct mmapdemo_buf *buf, pgoff_t *first,
			      pgoff_t *last)
{
	const unsigned long nr = 1UL << MMAPDEMO_PUD_ORDER;

	if (*first < buf->pud_pages)
		*first = ALIGN_DOWN(*first, nr);
	if (*last < buf->pud_pages)
		*last = ALIGN_DOWN(*last, nr) + nr - 1;
}

/* The page-table levels at which this kernel lets huge mode map. */
unsigned int mmapdemo_levels(void)
{
	unsigned int levels = MMAPDEMO_LEVEL_PTE;

#ifdef MMAPDEMO_HAVE_HUGE_PFNMAP
	levels |= MMAPDEMO_LEVEL_PMD;
#endif
#ifdef MMAPDEMO_HAVE_PUD_PFNMAP
	levels |= MMAPDEMO_LEVEL_PUD;
#endif
	return levels;
}

/* Pages of the buffer that huge mode maps a PMD at a time. */
unsigned long mmapdemo_huge_pages(const struct mmapdemo_buf *buf)
{
	return mmapdemo_levels() & MMAPDEMO_LEVEL_PMD ? buf->pmd_pages : 0;
}

int mmapdemo_huge_mmap(struct mmapdemo_dev *md, struct vm_area_struct *vma,
		       bool track)
{
	return mmapdemo_pfn_setup(vma, &mmapdemo_huge_vm_ops[track]);
}
