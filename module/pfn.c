// SPDX-License-Identifier: GPL-2.0
/*
 * The lazy PFN path: mmap() only marks the VMA VM_PFNMAP | VM_IO and
 * installs the vm_operations; the first touch of each page faults, and
 * ->fault writes the PTE itself with vmf_insert_pfn().  The core never sees
 * a struct page, so apart from the faults this is remap's mapping, with
 * remap's rules (pfnmap_rules.c): no GUP, no copy on write, ->access for
 * /proc/pid/mem.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "mmapdemo.h"
#include "trace.h"

/*
 * Map the page at vmf->pgoff by its frame number: pfn and huge modes, and
 * remap mode once a sync or a takedown zapped its PTEs.  In a write-tracked
 * mapping the PTE is read-only (vm_page_prot), so that the first write
 * faults into ->pfn_mkwrite; but when this fault is that write, the page is
 * mapped writable and marked dirty here, which saves the second fault.  In
 * that order: a sync in between either finds the page clean and leaves the
 * PTE alone, or zaps it and the write faults again (writeback.c).
 */
vm_fault_t mmapdemo_pfn_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mmapdemo_dev *md = vma->vm_private_data;
	struct page *page = mmapdemo_buf_page(&md->buf, vmf->pgoff);
	bool dirty = mmapdemo_tracked(vma) && (vmf->flags & FAULT_FLAG_WRITE);
	unsigned long pfn;
	vm_fault_t ret;

	if (!page) {
		trace_mmapdemo_pfn_fault(vmf, 0, VM_FAULT_SIGBUS);
		pr_debug("pfn fault at %#lx: pgoff %lu is past the buffer\n",
			 vmf->address, vmf->pgoff);
		return VM_FAULT_SIGBUS;
	}

	pfn = page_to_pfn(page);
	if (!mmapdemo_enter(md)) {
		ret = VM_FAULT_SIGBUS;
	} else if (dirty) {
		ret = vmf_insert_pfn_prot(vma, vmf->address, pfn,
					  vm_get_page_prot(vma->vm_flags));
		mmapdemo_leave(md);
	} else {
		/* VM_FAULT_NOPAGE, also when another thread mapped it first. */
		ret = vmf_insert_pfn(vma, vmf->address, pfn);
		mmapdemo_leave(md);
	}
	if (ret == VM_FAULT_NOPAGE) {
		mmapdemo_count_fault(md, vmf);
		if (dirty)
			mmapdemo_mark_dirty(md, vmf, true);
	}
	trace_mmapdemo_pfn_fault(vmf, pfn, ret);
	pr_debug("pfn fault at %#lx: pgoff %lu: %#x\n", vmf->address,
		 vmf->pgoff, (__force unsigned int)ret);
	return ret;
}

/*
 * Indexed by whether the mapping tracks writes.  remap mode's VMAs have these
 * too: once mmap() has written their PTEs, they behave as pfn mode's.
 */
const struct vm_operations_struct mmapdemo_pfn_vm_ops[2] = {
	{
		.open = mmapdemo_vma_open,
		.close = mmapdemo_vma_close,
		.fault = mmapdemo_pfn_fault,
		.access = mmapdemo_pfnmap_access,
	}, {
		.open = mmapdemo_vma_open,
		.close = mmapdemo_vma_close,
		.fault = mmapdemo_pfn_fault,
		.pfn_mkwrite = mmapdemo_pfn_mkwrite,
		.access = mmapdemo_pfnmap_access,
	},
};

/**
 * mmapdemo_pfn_setup - make a VMA a lazy PFN map
 * @vma: the VMA that mmapdemo_mmap() checked
 * @vm_ops: its operations, whose fault handlers insert PFNs
 *
 * For pfn and huge modes: mmap() writes no PTE, the faults do.
 *
 * Return: 0, or -EINVAL for a writable private mapping.
 */
int mmapdemo_pfn_setup(struct vm_area_struct *vma,
		       const struct vm_operations_struct *vm_ops)
{
	int ret = mmapdemo_pfnmap_private(vma);

	if (ret)
		return ret;
	/* What remap_pfn_range() sets; vmf_insert_pfn() needs VM_PFNMAP. */
	vm_flags_set(vma, VM_PFNMAP | VM_IO);
	vma->vm_ops = vm_ops;
	return 0;
}

int mmapdemo_pfn_mmap(struct mmapdemo_dev *md, struct vm_area_struct *vma,
		      bool track)
{
	return mmapdemo_pfn_setup(vma, &mmapdemo_pfn_vm_ops[track]);
}
