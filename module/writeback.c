// SPDX-License-Identifier: GPL-2.0
/*
 * The write side: noticing writes through a mapping, and syncing them.
 *
 * A mapping made with tracking on (MMAPDEMO_IOC_SET_TRACK) has a
 * ->page_mkwrite (page maps: fault and insert modes) or a ->pfn_mkwrite (PFN
 * maps: remap, pfn and huge modes).  Either makes the core keep the mapping's
 * PTEs read-only (vma_wants_writenotify()), so that the first write to each
 * page faults, and the core calls the handler before it makes the PTE
 * writable.  The handler records the page as dirty.
 *
 * fsync(), fdatasync() and msync(MS_SYNC) write the dirty pages of their
 * range back (here: count them) and re-arm them, so that the next write is
 * seen again.  How depends on what maps the page:
 *
 *   page maps  folio_mkclean() write-protects every PTE of the page, found
 *              through the reverse map (the page's ->mapping and ->index,
 *              which buffer.c set); the page stays mapped.  fb_defio does
 *              this.
 *   PFN maps   a PFN map raises no map count and has no reverse map that a
 *              module can walk, so the driver zaps the page's range in every
 *              mapping (unmap_mapping_pages()) and the next touch faults it
 *              back, read-only.  A PMD is never writable in a tracked
 *              mapping: huge mode leaves write faults to 4 KiB pages.
 *
 * In the buffer's 1 GiB chunks, every re-arm is a zap of whole GiB (huge.c:
 * mmapdemo_huge_whole_puds()): the reverse map of 6.12 would take the first
 * page under another mapping's PUD for a page table, and the core cuts a
 * PUD only under its process's mmap_lock.
 *
 * The buffer keeps two bits per page: dirty, and of those, written through a
 * PFN map (needs a zap).  A write and a sync may race: the handler sets the
 * bits before the PTE becomes writable, the sync clears them before it
 * write-protects, and a page handler holds the page lock over both (as
 * fb_defio's does), so a write is either in this sync or seen by the next.
 * (A write that faults into an empty PTE of a PFN map is mapped writable
 * and marked dirty at once: pfn.c.)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>

#include "mmapdemo.h"
#include "trace.h"

/* Record page vmf->pgoff as dirty; @pfnmap: written through a PFN map. */
void mmapdemo_mark_dirty(struct mmapdemo_dev *md, struct vm_fault *vmf,
			 bool pfnmap)
{
	struct mmapdemo_buf *buf = &md->buf;
	bool was_dirty;

	if (pfnmap)
		set_bit(vmf->pgoff, buf->dirty_pfn);
	was_dirty = test_and_set_bit(vmf->pgoff, buf->dirty);
	if (!was_dirty)
		atomic64_inc(&md->stats.dirty_pages);
	trace_mmapdemo_mkwrite(vmf, pfnmap, was_dirty);
}

/* The first write to a page of a page map, fault or insert mode. */
vm_fault_t mmapdemo_page_mkwrite(struct vm_fault *vmf)
{
	struct mmapdemo_dev *md = vmf->vma->vm_private_data;
	struct page *page = vmf->page;

	/* Held until the core has made the PTE writable: see above. */
	lock_page(page);
	mmapdemo_mark_dirty(md, vmf, false);
	return VM_FAULT_LOCKED;
}

/* The first write to a page of a PFN map, remap, pfn or huge mode. */
vm_fault_t mmapdemo_pfn_mkwrite(struct vm_fault *vmf)
{
	struct mmapdemo_dev *md = vmf->vma->vm_private_data;

	/*
	 * No lock: the core makes the PTE writable only if it is still the
	 * one that faulted, not if a sync or a takedown zapped it meanwhile.
	 */
	mmapdemo_mark_dirty(md, vmf, true);
	return 0;
}

/*
 * Write back the dirty pages among @nr pages from @pgoff, and re-arm them;
 * return how many there were.
 */
static unsigned long mmapdemo_writeback(struct mmapdemo_dev *md, pgoff_t pgoff,
					unsigned long nr)
{
	struct mmapdemo_buf *buf = &md->buf;
	pgoff_t zap_first = ULONG_MAX, zap_last = 0;
	unsigned long written = 0, i;
	struct page *page;

	for (i = pgoff; i < pgoff + nr; i++) {
		page = mmapdemo_buf_page(buf, i);
		lock_page(page);
		if (test_and_clear_bit(i, buf->dirty)) {
			written++;
			if (test_and_clear_bit(i, buf->dirty_pfn) ||
			    i < buf->pud_pages) {
				zap_first = min(zap_first, i);
				zap_last = i;
			} else {
				folio_mkclean(page_folio(page));
			}
		}
		unlock_page(page);
	}
	if (zap_first <= zap_last) {
		mmapdemo_huge_whole_puds(buf, &zap_first, &zap_last);
		unmap_mapping_pages(md->inode->i_mapping, zap_first,
				    zap_last - zap_first + 1, false);
	}
	trace_mmapdemo_writeback(pgoff, nr, written,
				 zap_first <= zap_last ? zap_last - zap_first + 1 : 0);
	return written;
}

/**
 * mmapdemo_fsync - ->fsync: fsync(), fdatasync() and msync(MS_SYNC)
 * @file: an open file of the device
 * @start: first byte of the range to sync
 * @end: last byte (inclusive; LLONG_MAX for fsync() and fdatasync())
 * @datasync: whether only the data is wanted; the device has no metadata
 *
 * Write back each run of dirty pages of the range.  Without tracking no page
 * is ever dirty, and this succeeds with nothing to do.
 *
 * Return: 0, or -ENODEV once the device is removed.
 */
int mmapdemo_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct mmapdemo_file *mf = file->private_data;
	struct mmapdemo_dev *md = mf->md;
	struct mmapdemo_buf *buf = &md->buf;
	pgoff_t first, last, next;
	unsigned long written = 0;

	if (READ_ONCE(md->removed))
		return -ENODEV;
	if (start < 0 || start > end || start >= (loff_t)buf->nr_pages << PAGE_SHIFT)
		return 0;

	first = start >> PAGE_SHIFT;
	last = min_t(loff_t, end >> PAGE_SHIFT, buf->nr_pages - 1);
	while ((first = find_next_bit(buf->dirty, last + 1, first)) <= last) {
		next = find_next_zero_bit(buf->dirty, last + 1, first);
		written += mmapdemo_writeback(md, first, next - first);
		first = next;
	}
	atomic64_add(written, &md->stats.synced_pages);
	return 0;
}

/* A reset loses the dirty state of page @pgoff; called with it locked. */
void mmapdemo_forget_dirty(struct mmapdemo_buf *buf, pgoff_t pgoff)
{
	clear_bit(pgoff, buf->dirty);
	clear_bit(pgoff, buf->dirty_pfn);
}
