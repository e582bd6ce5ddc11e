// SPDX-License-Identifier: GPL-2.0
/*
 * The eager path: mmap() writes every PTE of the VMA with remap_pfn_range(),
 * one call per physically contiguous run of the buffer.  The result is a
 * VM_PFNMAP | VM_IO mapping: the core sees page frame numbers, not pages, so
 * it never faults into the driver, never copies on write and cannot pin the
 * pages (GUP fails).  ->access lets /proc/pid/mem, ptrace and gdb in anyway.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/uio.h>

#include "mmapdemo.h"

/*
 * The core cannot follow a PFN map to struct pages, so requests from
 * access_remote_vm() come here; copy through the buffer directly.
 */
static int mmapdemo_remap_access(struct vm_area_struct *vma, unsigned long addr,
				 void *buf, int len, int write)
{
	struct mmapdemo_dev *md = vma->vm_private_data;
	struct kvec kvec = {
		.iov_base = buf,
		.iov_len = min_t(unsigned long, len, vma->vm_end - addr),
	};
	struct iov_iter iter;
	loff_t pos;

	/* As GUP would: no writing through a mapping that is not writable. */
	if (write && !(vma->vm_flags & VM_WRITE))
		return -EFAULT;

	pos = ((loff_t)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
	iov_iter_kvec(&iter, write ? ITER_SOURCE : ITER_DEST, &kvec, 1,
		      kvec.iov_len);
	return mmapdemo_buf_copy(&md->buf, pos, &iter);
}

static const struct vm_operations_struct mmapdemo_remap_vm_ops = {
	.open = mmapdemo_vma_open,
	.close = mmapdemo_vma_close,
	.access = mmapdemo_remap_access,
};

int mmapdemo_remap_mmap(struct mmapdemo_dev *md, struct vm_area_struct *vma)
{
	unsigned long addr = vma->vm_start, left = vma_pages(vma);
	unsigned long pfn, nr;
	pgoff_t pgoff = vma->vm_pgoff;
	int ret;

	/*
	 * A private mapping that may become writable would need copy on
	 * write, which remap_pfn_range() offers only for one call covering
	 * the whole VMA.  Refuse it if writable now; otherwise take away
	 * VM_MAYWRITE so that mprotect() cannot make it writable later.
	 */
	if (is_cow_mapping(vma->vm_flags)) {
		if (vma->vm_flags & VM_WRITE) {
			pr_debug("mmap remap: writable MAP_PRIVATE refused\n");
			return -EINVAL;
		}
		vm_flags_clear(vma, VM_MAYWRITE);
	}

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

	vma->vm_ops = &mmapdemo_remap_vm_ops;
	atomic64_add(vma_pages(vma), &md->stats.eager_pages);
	return 0;
}
