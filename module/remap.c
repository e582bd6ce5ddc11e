// SPDX-License-Identifier: GPL-2.0
/*
 * The eager PFN path: mmap() writes every PTE of the VMA with
 * remap_pfn_range(), one call per physically contiguous run of the buffer.
 * The result is a VM_PFNMAP | VM_IO mapping (see pfnmap_rules.c) that never
 * faults into the driver, until something zaps its PTEs: a reset or a
 * removal (takedown.c), or a sync that re-arms write tracking (writeback.c).
 * Then, as vfio-pci does for a BAR it zapped, the fault handler maps each
 * page back as pfn mode does, or raises SIGBUS once the device is removed.
 * Without it a zapped remap mapping could only ever raise SIGBUS.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "mmapdemo.h"

int mmapdemo_remap_mmap(struct mmapdemo_dev *md, struct vm_area_struct *vma,
			bool track)
{
	unsigned long addr = vma->vm_start, left = vma_pages(vma);
	unsigned long pfn, nr;
	pgoff_t pgoff = vma->vm_pgoff;
	int ret;

	ret = mmapdemo_pfnmap_private(vma);
	if (ret)
		return ret;

	while (left) {
		nr = mmapdemo_buf_run(&md->buf, pgoff, left, &pfn);
		/* On failure the core unmaps whatever was already mapped. */
		ret = remap_pfn_range(vma, addr, pfn, nr << PAGE_SHIFT,
				      vma->vm_page_prot);
		if (ret)
			return ret;
		addr += nr << PAGE_SHIFT;
		pgoff += nr;
		left -= nr;
	}

#ifdef VM_PAT
	/*
	 * x86: a remap_pfn_range() over the whole VMA has PAT track its
	 * memory type for the VMA (VM_PAT).  For RAM, as this buffer is, PAT
	 * reserves nothing, but the first zap of the VMA untracks it, finding
	 * the range again through the first PTE: when two zaps race (a reset
	 * and a munmap()), one finds that PTE gone and warns, in kernels
	 * before PAT tracking left the VMA flags.  Drop the flag.
	 */
	vm_flags_clear(vma, VM_PAT);
#endif
	vma->vm_ops = &mmapdemo_pfn_vm_ops[track];
	atomic64_add(vma_pages(vma), &md->stats.eager_pages);
	return 0;
}
