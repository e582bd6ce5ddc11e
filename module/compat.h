/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels mmapdemo builds on.  Features are tested
 * for (see Kbuild), not kernel versions, because distributions backport.
 */
#ifndef _MMAPDEMO_COMPAT_H
#define _MMAPDEMO_COMPAT_H

#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>

#ifndef MMAPDEMO_HAVE_VM_FLAGS_SET
/* Before 6.3, vm_flags was written directly. */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * Whether the core holds only the VMA's own lock for this fault, not
 * mmap_lock.  Without FAULT_FLAG_VMA_LOCK (per-VMA locks, 6.4) every fault
 * holds mmap_lock.  With it, the core calls a device's ->fault under the VMA
 * lock only if the VMA also has ->map_pages, and only since 6.7; otherwise
 * it gives the VMA lock up and retries the fault under mmap_lock.
 */
static inline bool mmapdemo_vma_locked(const struct vm_fault *vmf)
{
#ifdef MMAPDEMO_HAVE_FAULT_FLAG_VMA_LOCK
	return vmf->flags & FAULT_FLAG_VMA_LOCK;
#else
	return false;
#endif
}

/*
 * Splicing from a file that is not in the page cache: copy_splice_read()
 * (6.5).  Before, generic_file_splice_read() did it through ->read_iter.
 */
#ifndef MMAPDEMO_HAVE_COPY_SPLICE_READ
#define copy_splice_read generic_file_splice_read
#endif

/* The default placement of a mapping, for a file that has its own. */
#ifdef MMAPDEMO_HAVE_MM_GET_UNMAPPED_AREA
#define mmapdemo_default_unmapped_area(file, addr, len, pgoff, flags) \
	mm_get_unmapped_area(current->mm, file, addr, len, pgoff, flags)
#else
#define mmapdemo_default_unmapped_area(file, addr, len, pgoff, flags) \
	current->mm->get_unmapped_area(file, addr, len, pgoff, flags)
#endif

/*
 * Mapping a PFN with a PMD needs pmd_special() (6.12; the architecture says
 * CONFIG_ARCH_SUPPORTS_PMD_PFNMAP), and huge mode's handler is written for
 * the ->huge_fault that takes an order (6.6).
 */
#if defined(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP) && \
	defined(MMAPDEMO_HAVE_HUGE_FAULT_ORDER)
#define MMAPDEMO_HAVE_HUGE_PFNMAP
#endif

/* And with a PUD: pud_special() (6.12, CONFIG_ARCH_SUPPORTS_PUD_PFNMAP). */
#if defined(CONFIG_ARCH_SUPPORTS_PUD_PFNMAP) && \
	defined(MMAPDEMO_HAVE_HUGE_PFNMAP)
#define MMAPDEMO_HAVE_PUD_PFNMAP
#endif

/*
 * Chunks of 1 GiB, for the PUDs, come from alloc_contig_range()
 * (CONFIG_CONTIG_ALLOC); without it the buffer has none.
 */
#if defined(MMAPDEMO_HAVE_PUD_PFNMAP) && defined(CONFIG_CONTIG_ALLOC)
#define MMAPDEMO_HAVE_GIGANTIC_CHUNKS
#endif

/*
 * The highest order the page allocator hands out.  MAX_ORDER changed meaning
 * in 6.4 and was renamed in 6.8; MAX_ORDER_NR_PAGES has always been the size
 * of the largest block.
 */
#define MMAPDEMO_MAX_ORDER	ilog2(MAX_ORDER_NR_PAGES)

/* The order of a PMD's worth of pages; PMD_ORDER came in 6.7. */
#define MMAPDEMO_PMD_ORDER	(PMD_SHIFT - PAGE_SHIFT)
#define MMAPDEMO_PUD_ORDER	(PUD_SHIFT - PAGE_SHIFT)

#endif /* _MMAPDEMO_COMPAT_H */
