// SPDX-License-Identifier: GPL-2.0
/*
 * The eager page path: mmap() maps every page of the VMA with
 * vm_insert_pages(), in batches of a page's worth of page pointers.  Unlike
 * remap, the PTEs point to struct pages that the core accounts (a reference
 * and a mapcount per PTE), so the mapping is VM_MIXEDMAP, not VM_PFNMAP:
 * GUP works on it (process_vm_readv(), O_DIRECT, vmsplice()), and
 * MAP_PRIVATE is copy-on-write.  Nothing faults into the driver unless the
 * PTEs go away (MADV_DONTNEED, a reset); ->fault then hands the page back as
 * fault mode does.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "mmapdemo.h"
#include "trace.h"

#define MMAPDEMO_INSERT_BATCH	(PAGE_SIZE / sizeof(struct page *))

int mmapdemo_insert_mmap(struct mmapdemo_dev *md, struct vm_area_struct *vma,
			 bool track)
{
	unsigned long addr = vma->vm_start, left = vma_pages(vma);
	pgoff_t pgoff = vma->vm_pgoff;
	unsigned long nr, i, unmapped;
	struct page **pages;
	int ret = 0;

	pages = kmalloc_array(min_t(unsigned long, left, MMAPDEMO_INSERT_BATCH),
			      sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;

	/*
	 * vm_insert_pages() would set VM_MIXEDMAP itself, since .mmap holds
	 * mmap_lock for writing; say it here, where the other flags are set.
	 */
	vm_flags_set(vma, VM_MIXEDMAP);
	while (left) {
		nr = min_t(unsigned long, left, MMAPDEMO_INSERT_BATCH);
		for (i = 0; i < nr; i++)
			pages[i] = mmapdemo_buf_page(&md->buf, pgoff + i);
		unmapped = nr;
		/* On failure the core unmaps whatever was already mapped. */
		ret = vm_insert_pages(vma, addr, pages, &unmapped);
		trace_mmapdemo_insert(addr, pgoff, nr - unmapped, ret);
		if (ret)
			break;
		addr += nr << PAGE_SHIFT;
		pgoff += nr;
		left -= nr;
	}
	kfree(pages);
	if (ret)
		return ret;

	vma->vm_ops = &mmapdemo_fault_vm_ops[track];
	atomic64_add(vma_pages(vma), &md->stats.eager_pages);
	return 0;
}
