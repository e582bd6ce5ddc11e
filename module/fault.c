// SPDX-License-Identifier: GPL-2.0
/*
 * The lazy path: mmap() installs only the vm_operations.  The first touch of
 * each page faults, and ->fault hands the core MM the buffer page for that
 * offset; the core writes the PTE.  Because the core gets a real struct page,
 * everything that works on page-backed memory works here: GUP, and
 * copy-on-write for MAP_PRIVATE (a private write faults again and the core
 * copies our page into an anonymous one, leaving the buffer untouched).
 *
 * Fault-around: on a read fault the core first offers ->map_pages the
 * window of pages around the faulting one (fault_around_bytes, 64 KiB by
 * default, aligned and cut to the VMA and to one page table), as the page
 * cache does with filemap_map_pages().  Here it maps every page of the
 * window that has no PTE yet, so that reading a mapping takes one fault per
 * window rather than per page.  With fault_around=0 a mapping gets no
 * ->map_pages, and then the core never calls its ->fault under the per-VMA
 * lock (see mmapdemo_count_fault()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/pagemap.h>

#include "mmapdemo.h"
#include "trace.h"

/* Pages handed to one vm_insert_pages() call in ->map_pages. */
#define MMAPDEMO_AROUND_BATCH	16

static bool mmapdemo_fault_around = true;
module_param_named(fault_around, mmapdemo_fault_around, bool, 0644);
MODULE_PARM_DESC(fault_around, "fault mode maps the pages around a read fault, for mappings made from now on (default Y)");

static vm_fault_t mmapdemo_fault(struct vm_fault *vmf)
{
	struct mmapdemo_dev *md = vmf->vma->vm_private_data;
	struct page *page = mmapdemo_buf_page(&md->buf, vmf->pgoff);

	if (!page || !mmapdemo_enter(md)) {
		trace_mmapdemo_fault(vmf, 0, VM_FAULT_SIGBUS);
		pr_debug("fault at %#lx: pgoff %lu is past the buffer or removed\n",
			 vmf->address, vmf->pgoff);
		return VM_FAULT_SIGBUS;
	}

	/*
	 * The reference goes to the core: the PTE keeps it until the page is
	 * unmapped, or the core drops it once it has copied the page for a
	 * private write.  The buffer's own reference is untouched.  The lock
	 * goes too: the core unlocks the page once the PTE is written, which
	 * a takedown waits for (takedown.c).
	 */
	get_page(page);
	lock_page(page);
	mmapdemo_leave(md);
	vmf->page = page;
	mmapdemo_count_fault(md, vmf);
	trace_mmapdemo_fault(vmf, page_to_pfn(page), VM_FAULT_LOCKED);
	pr_debug("fault at %#lx: pgoff %lu\n", vmf->address, vmf->pgoff);
	return VM_FAULT_LOCKED;
}

/*
 * Map pages [@start, @end] of the buffer at their addresses in the VMA,
 * skipping those that have a PTE already; return how many were mapped, and
 * in *@hit whether page @fault has a PTE now.
 */
static unsigned long mmapdemo_map_range(struct mmapdemo_dev *md,
					struct vm_area_struct *vma, pgoff_t start,
					pgoff_t end, pgoff_t fault, bool *hit)
{
	struct page *pages[MMAPDEMO_AROUND_BATCH];
	unsigned long nr, i, left, mapped = 0;
	unsigned long addr;
	int ret;

	while (start <= end) {
		nr = min_t(unsigned long, end - start + 1, ARRAY_SIZE(pages));
		for (i = 0; i < nr; i++)
			pages[i] = mmapdemo_buf_page(&md->buf, start + i);
		addr = vma->vm_start + ((start - vma->vm_pgoff) << PAGE_SHIFT);
		left = nr;
		ret = vm_insert_pages(vma, addr, pages, &left);
		if (fault >= start && fault < start + nr - left)
			*hit = true;
		mapped += nr - left;
		start += nr - left;
		if (!ret)
			continue;
		/* It stopped at the first page it could not map. */
		if (ret != -EBUSY)
			break;
		/* That one has a PTE: from a fault, or a copy on write. */
		if (start == fault)
			*hit = true;
		start++;
	}
	return mapped;
}

/*
 * Called under the per-VMA lock or mmap_lock, and possibly inside
 * rcu_read_lock(), so it must not sleep: vm_insert_pages() does not when
 * the page table exists.  When it does not, the core has preallocated one
 * that only it can install, so leave this fault to ->fault, which maps the
 * one page; the next fault in that page table maps the window.
 */
static vm_fault_t mmapdemo_map_pages(struct vm_fault *vmf, pgoff_t start,
				     pgoff_t end)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mmapdemo_dev *md = vma->vm_private_data;
	unsigned long mapped = 0;
	bool hit = false;

	/* Not sleeping also means not waiting for a reset: leave it to ->fault. */
	if (!pmd_none(*vmf->pmd) && down_read_trylock(&md->takedown)) {
		if (!md->removed)
			mapped = mmapdemo_map_range(md, vma, start, end,
						    vmf->pgoff, &hit);
		up_read(&md->takedown);
	}
	atomic64_add(mapped, &md->stats.around_pages);
	trace_mmapdemo_map_pages(vmf, start, end, mapped, hit);
	pr_debug("fault-around at %#lx: pgoff %lu-%lu, %lu mapped\n",
		 vmf->address, start, end, mapped);
	/* Without the faulting page, the core goes on to ->fault. */
	return hit ? VM_FAULT_NOPAGE : 0;
}

/*
 * Indexed by whether the mapping tracks writes.  insert mode's VMAs have
 * these too: a page whose PTE went away faults back as in fault mode.
 */
const struct vm_operations_struct mmapdemo_fault_vm_ops[2] = {
	{
		.open = mmapdemo_vma_open,
		.close = mmapdemo_vma_close,
		.fault = mmapdemo_fault,
	}, {
		.open = mmapdemo_vma_open,
		.close = mmapdemo_vma_close,
		.fault = mmapdemo_fault,
		.page_mkwrite = mmapdemo_page_mkwrite,
	},
};

/* The same, with fault-around. */
static const struct vm_operations_struct mmapdemo_fault_around_vm_ops[] = {
	{
		.open = mmapdemo_vma_open,
		.close = mmapdemo_vma_close,
		.fault = mmapdemo_fault,
		.map_pages = mmapdemo_map_pages,
	}, {
		.open = mmapdemo_vma_open,
		.close = mmapdemo_vma_close,
		.fault = mmapdemo_fault,
		.map_pages = mmapdemo_map_pages,
		.page_mkwrite = mmapdemo_page_mkwrite,
	},
};

int mmapdemo_fault_mmap(struct mmapdemo_dev *md, struct vm_area_struct *vma,
			bool track)
{
	if (!READ_ONCE(mmapdemo_fault_around)) {
		vma->vm_ops = &mmapdemo_fault_vm_ops[track];
		return 0;
	}
	/*
	 * vm_insert_pages() outside of .mmap, where it could set VM_MIXEDMAP
	 * itself, wants the flag already set.  The pages stay struct pages
	 * that the core accounts as those ->fault hands it.
	 */
	vm_flags_set(vma, VM_MIXEDMAP);
	vma->vm_ops = &mmapdemo_fault_around_vm_ops[track];
	return 0;
}
