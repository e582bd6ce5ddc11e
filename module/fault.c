// SPDX-License-Identifier: GPL-2.0
/*
 * The lazy path: mmap() installs only the vm_operations.  The first touch of
 * each page faults, and ->fault hands the core MM the buffer page for that
 * offset; the core writes the PTE.  Because the core gets a real struct page,
 * everything that works on page-backed memory works here: GUP, and
 * copy-on-write for MAP_PRIVATE (a private write faults again and the core
 * copies our page into an anonymous one, leaving the buffer untouched).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "mmapdemo.h"
#include "trace.h"

vm_fault_t mmapdemo_fault(struct vm_fault *vmf)
{
	struct mmapdemo_dev *md = vmf->vma->vm_private_data;
	struct page *page = mmapdemo_buf_page(&md->buf, vmf->pgoff);

	if (!page) {
		trace_mmapdemo_fault(vmf, 0, VM_FAULT_SIGBUS);
		pr_debug("fault at %#lx: pgoff %lu is past the buffer\n",
			 vmf->address, vmf->pgoff);
		return VM_FAULT_SIGBUS;
	}

	/*
	 * The reference goes to the core: the PTE keeps it until the page is
	 * unmapped, or the core drops it once it has copied the page for a
	 * private write.  The buffer's own reference is untouched.
	 */
	get_page(page);
	vmf->page = page;
	mmapdemo_count_fault(md, vmf);
	trace_mmapdemo_fault(vmf, page_to_pfn(page), 0);
	pr_debug("fault at %#lx: pgoff %lu\n", vmf->address, vmf->pgoff);
	return 0;
}

static const struct vm_operations_struct mmapdemo_fault_vm_ops = {
	.open = mmapdemo_vma_open,
	.close = mmapdemo_vma_close,
	.fault = mmapdemo_fault,
};

int mmapdemo_fault_mmap(struct mmapdemo_dev *md, struct vm_area_struct *vma)
{
	vma->vm_ops = &mmapdemo_fault_vm_ops;
	return 0;
}
