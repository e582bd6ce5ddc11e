// SPDX-License-Identifier: GPL-2.0
/*
 * The huge path: pfn mode, plus a ->huge_fault that maps 2 MiB of the
 * buffer with one PMD where it can.  That takes three things: the 2 MiB
 * around the faulting address lie inside the VMA, they start at a buffer
 * offset that is a multiple of 2 MiB, and the buffer pages there are
 * physically contiguous and 2 MiB aligned (one of its large chunks).
 * Elsewhere it falls back, and the core calls ->fault for the 4 KiB page.
 * ->get_unmapped_area places a mapping so that its address and its buffer
 * offset agree modulo 2 MiB, which makes the first two hold for every whole
 * 2 MiB of the buffer that the mapping covers.
 *
 * A PMD that maps a bare PFN needs pmd_special()
 * (CONFIG_ARCH_SUPPORTS_PMD_PFNMAP).  Without it there is no ->huge_fault:
 * huge mode maps 4 KiB pages as pfn mode does, and MMAPDEMO_IOC_INFO says so
 * (huge_pages 0).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/pfn_t.h>

#include "mmapdemo.h"
#include "trace.h"

#ifdef MMAPDEMO_HAVE_HUGE_PFNMAP
/*
 * Whether the PMD-sized block at @haddr can be one PMD; if so, *@pgoff and
 * *@pfn are where it starts in the buffer and in physical memory.
 */
static enum mmapdemo_huge_result
mmapdemo_huge_where(struct mmapdemo_dev *md, struct vm_fault *vmf,
		    unsigned long haddr, pgoff_t *pgoff, unsigned long *pfn)
{
	struct vm_area_struct *vma = vmf->vma;

	/* The core leaves this check to the handler (TVA_IN_PF). */
	if (haddr < vma->vm_start || vma->vm_end - haddr < PMD_SIZE)
		return MMAPDEMO_HUGE_NO_ROOM;
	*pgoff = vmf->pgoff - ((vmf->address - haddr) >> PAGE_SHIFT);
	if (!IS_ALIGNED(*pgoff, PTRS_PER_PMD))
		return MMAPDEMO_HUGE_MISALIGNED;
	if (mmapdemo_buf_run(&md->buf, *pgoff, PTRS_PER_PMD, pfn) < PTRS_PER_PMD ||
	    !IS_ALIGNED(*pfn, PTRS_PER_PMD))
		return MMAPDEMO_HUGE_FRAGMENTED;
	return MMAPDEMO_HUGE_MAPPED;
}

static vm_fault_t mmapdemo_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct mmapdemo_dev *md = vmf->vma->vm_private_data;
	unsigned long haddr = vmf->address & PMD_MASK;
	enum mmapdemo_huge_result result;
	unsigned long pfn = 0;
	pgoff_t pgoff = 0;
	vm_fault_t ret;

	/* The core asks for a PUD first: 1 GiB chunks never happen. */
	if (order != PMD_ORDER)
		return VM_FAULT_FALLBACK;

	/*
	 * A write to a tracked mapping, whether the PMD is empty or maps the
	 * 2 MiB read-only: falling back makes the core split the PMD, and the
	 * write is seen by ->pfn_mkwrite, a 4 KiB page at a time.
	 */
	if (mmapdemo_tracked(vmf->vma) && (vmf->flags & FAULT_FLAG_WRITE))
		result = MMAPDEMO_HUGE_TRACKED;
	else
		result = mmapdemo_huge_where(md, vmf, haddr, &pgoff, &pfn);

	if (result != MMAPDEMO_HUGE_MAPPED) {
		ret = VM_FAULT_FALLBACK;
		atomic64_inc(&md->stats.huge_fallbacks);
	} else if (!mmapdemo_enter(md)) {
		ret = VM_FAULT_SIGBUS;
	} else {
		/* VM_FAULT_NOPAGE, also when another thread mapped it first. */
		ret = vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV),
					 vmf->flags & FAULT_FLAG_WRITE);
		mmapdemo_leave(md);
		if (ret == VM_FAULT_NOPAGE) {
			atomic64_inc(&md->stats.huge_faults);
			if (mmapdemo_vma_locked(vmf))
				atomic64_inc(&md->stats.vma_lock_faults);
		}
	}
	trace_mmapdemo_huge_fault(vmf, pgoff, pfn, result, ret);
	pr_debug("huge fault at %#lx: pgoff %lu: %d\n", vmf->address,
		 vmf->pgoff, result);
	return ret;
}
#endif /* MMAPDEMO_HAVE_HUGE_PFNMAP */

/* Indexed by whether the mapping tracks writes. */
static const struct vm_operations_struct mmapdemo_huge_vm_ops[] = {
	{
		.open = mmapdemo_vma_open,
		.close = mmapdemo_vma_close,
		.fault = mmapdemo_pfn_fault,
#ifdef MMAPDEMO_HAVE_HUGE_PFNMAP
		.huge_fault = mmapdemo_huge_fault,
#endif
		.access = mmapdemo_pfnmap_access,
	}, {
		.open = mmapdemo_vma_open,
		.close = mmapdemo_vma_close,
		.fault = mmapdemo_pfn_fault,
#ifdef MMAPDEMO_HAVE_HUGE_PFNMAP
		.huge_fault = mmapdemo_huge_fault,
#endif
		.pfn_mkwrite = mmapdemo_pfn_mkwrite,
		.access = mmapdemo_pfnmap_access,
	},
};

/* Make the address agree with the buffer offset modulo 2 MiB. */
unsigned long mmapdemo_huge_get_unmapped_area(struct file *file,
					      unsigned long addr,
					      unsigned long len,
					      unsigned long pgoff,
					      unsigned long flags)
{
#ifdef MMAPDEMO_HAVE_HUGE_PFNMAP
	return thp_get_unmapped_area(file, addr, len, pgoff, flags);
#else
	return mmapdemo_default_unmapped_area(file, addr, len, pgoff, flags);
#endif
}

/* Pages of the buffer that huge mode maps a PMD at a time. */
unsigned long mmapdemo_huge_pages(const struct mmapdemo_buf *buf)
{
#ifdef MMAPDEMO_HAVE_HUGE_PFNMAP
	return buf->pmd_pages;
#else
	return 0;
#endif
}

int mmapdemo_huge_mmap(struct mmapdemo_dev *md, struct vm_area_struct *vma,
		       bool track)
{
	return mmapdemo_pfn_setup(vma, &mmapdemo_huge_vm_ops[track]);
}
