// SPDX-License-Identifier: GPL-2.0
/*
 * The rules every VM_PFNMAP mapping obeys, whichever mode built it (remap,
 * pfn, huge).  The core sees page frame numbers, not pages, so it never
 * copies on write and cannot pin the pages (GUP fails): a private mapping
 * must never become writable, and ->access lets /proc/pid/mem, ptrace and
 * gdb in anyway.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/uio.h>

#include "mmapdemo.h"

/**
 * mmapdemo_pfnmap_private - apply the PFN-map rule for private mappings
 * @vma: the VMA being set up, shared or private
 *
 * A private mapping that may become writable would need copy on write,
 * which a PFN map gets only from remap_pfn_range() covering the whole VMA in
 * one call, and which vmf_insert_pfn() refuses with a BUG().  Refuse it if
 * writable now; otherwise take away VM_MAYWRITE so that mprotect() cannot
 * make it writable later.
 *
 * Return: 0, or -EINVAL for a writable private mapping.
 */
int mmapdemo_pfnmap_private(struct vm_area_struct *vma)
{
	if (!is_cow_mapping(vma->vm_flags))
		return 0;
	if (vma->vm_flags & VM_WRITE) {
		pr_debug("mmap: writable MAP_PRIVATE refused for a PFN map\n");
		return -EINVAL;
	}
	vm_flags_clear(vma, VM_MAYWRITE);
	return 0;
}

/*
 * The core cannot follow a PFN map to struct pages, so requests from
 * access_remote_vm() come here; copy through the buffer directly.
 */
int mmapdemo_pfnmap_access(struct vm_area_struct *vma, unsigned long addr,
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
