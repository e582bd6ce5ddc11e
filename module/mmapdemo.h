/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the mmapdemo driver: the buffer, the device, the
 * open file, and the entry points of each mapping mode.
 */
#ifndef _MMAPDEMO_H
#define _MMAPDEMO_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmapdemo.h>
#include <linux/rwsem.h>

#include "compat.h"

/*
 * The mapping modes, listed once.  An entry holds the mode's uAPI constant,
 * its name, the function that sets up a VMA in that mode, and the function
 * that places its mappings (NULL: the default placement).  As with the lists
 * of include/trace/events/migrate.h, a user defines EM() for an entry and
 * EM_LAST() for the last one (migrate.h's EMe()), expands the list, and
 * undefines both: MMAPDEMO_NR_MODES below, the dispatcher (mmap.c) and the
 * trace events (trace.h) come from it.
 */
#define MMAPDEMO_MODE_LIST						\
	EM(MMAPDEMO_MODE_REMAP, "remap", mmapdemo_remap_mmap, NULL)	\
	EM(MMAPDEMO_MODE_FAULT, "fault", mmapdemo_fault_mmap, NULL)	\
	EM(MMAPDEMO_MODE_INSERT, "insert", mmapdemo_insert_mmap, NULL)	\
	EM(MMAPDEMO_MODE_PFN, "pfn", mmapdemo_pfn_mmap, NULL)		\
	EM_LAST(MMAPDEMO_MODE_HUGE, "huge", mmapdemo_huge_mmap,		\
		mmapdemo_huge_get_unmapped_area)

/* An enumerator per listed mode, then MMAPDEMO_NR_MODES: their number. */
#define EM(mode, ...)		MMAPDEMO_LISTED_##mode,
#define EM_LAST(mode, ...)	MMAPDEMO_LISTED_##mode,
enum { MMAPDEMO_MODE_LIST MMAPDEMO_NR_MODES };
#undef EM
#undef EM_LAST

/*
 * What huge mode's 2 MiB fault handler did, listed as the modes are, with
 * the name the trace shows: one PMD maps the 2 MiB; or it fell back to 4 KiB
 * pages because the 2 MiB are not all inside the VMA, because the address and
 * the buffer offset disagree modulo 2 MiB, because no 2 MiB chunk of the
 * buffer is there, or because it is a write to a write-tracked mapping, whose
 * writes are seen a 4 KiB page at a time (writeback.c).
 */
#define MMAPDEMO_HUGE_RESULTS						\
	EM(MMAPDEMO_HUGE_MAPPED, "mapped")				\
	EM(MMAPDEMO_HUGE_NO_ROOM, "fallback-vma")			\
	EM(MMAPDEMO_HUGE_MISALIGNED, "fallback-align")			\
	EM(MMAPDEMO_HUGE_FRAGMENTED, "fallback-chunk")			\
	EM_LAST(MMAPDEMO_HUGE_TRACKED, "fallback-write")

#define EM(result, ...)		result,
#define EM_LAST(result, ...)	result,
enum mmapdemo_huge_result { MMAPDEMO_HUGE_RESULTS };
#undef EM
#undef EM_LAST

/*
 * One physically contiguous piece of the buffer.  It was allocated as one
 * block of 2^order pages and split into order-0 pages, so that each page has
 * its own reference count and can be handed to the core MM on its own.
 */
struct mmapdemo_chunk {
	struct page *page;	/* first page */
	pgoff_t pgoff;		/* its page index in the buffer */
};

/*
 * The buffer: @nr_chunks chunks sorted by pgoff, followed by a sentinel
 * whose pgoff is @nr_pages, so chunk i spans [chunks[i].pgoff,
 * chunks[i + 1].pgoff).  The first @pud_pages pages are in chunks of a
 * PUD's size, the first @pmd_pages in chunks of at least a PMD's size.
 * Fixed from load until the last reference to it goes (&mmapdemo_dev.ref:
 * at unload, or after a removal once the last open file is released).
 * @dirty has a bit per page written through a tracked mapping since the
 * last sync, @dirty_pfn one per page of those written through a PFN map
 * (writeback.c).
 */
struct mmapdemo_buf {
	struct mmapdemo_chunk *chunks;
	unsigned long *dirty;
	unsigned long *dirty_pfn;
	unsigned int nr_chunks;
	unsigned int max_order;
	unsigned long nr_pages;
	unsigned long pmd_pages;
	unsigned long pud_pages;
	size_t meta_bytes;
};

struct mmapdemo_counters {
	atomic64_t opens;
	atomic64_t mmaps[MMAPDEMO_NR_MODES];
	atomic64_t faults;
	atomic64_t eager_pages;
	atomic64_t live_vmas;
	atomic64_t bytes_read;
	atomic64_t bytes_written;
	atomic64_t vma_lock_faults;
	atomic64_t around_pages;
	atomic64_t huge_faults;
	atomic64_t huge_fallbacks;
	atomic64_t dirty_pages;
	atomic64_t synced_pages;
	atomic64_t resets;
	atomic64_t pud_faults;
	atomic64_t pud_fallbacks;
};

/*
 * The device.  @inode holds the address_space of every open file, @takedown
 * orders the fault handlers against reset and removal, and @ref keeps the
 * buffer for the registration and for each open file (takedown.c).
 */
struct mmapdemo_dev {
	struct miscdevice misc;
	struct mmapdemo_buf buf;
	struct mmapdemo_counters stats;
	struct inode *inode;
	struct rw_semaphore takedown;
	bool removed;
	struct kref ref;
};

/* Per open file: file->private_data. */
struct mmapdemo_file {
	struct mmapdemo_dev *md;
	u32 mode;		/* enum mmapdemo_mode of the next mmap() */
	bool track;		/* whether it tracks writes (writeback.c) */
};

/* Whether @vma tracks writes: it has a *_mkwrite handler. */
static inline bool mmapdemo_tracked(const struct vm_area_struct *vma)
{
	return vma->vm_ops->page_mkwrite || vma->vm_ops->pfn_mkwrite;
}

/*
 * Count a fault handler's success (@md's faults counter), and whether it ran
 * under the per-VMA lock: without ->map_pages, the core does not call
 * ->fault under that lock but retries the whole fault under mmap_lock.
 */
static inline void mmapdemo_count_fault(struct mmapdemo_dev *md,
					const struct vm_fault *vmf)
{
	atomic64_inc(&md->stats.faults);
	if (mmapdemo_vma_locked(vmf))
		atomic64_inc(&md->stats.vma_lock_faults);
}

/* buffer.c */
int mmapdemo_buf_alloc(struct mmapdemo_buf *buf, unsigned long nr_pages,
		       bool gigantic, struct address_space *mapping);
void mmapdemo_buf_free(struct mmapdemo_buf *buf);
bool mmapdemo_buf_range_ok(const struct mmapdemo_buf *buf, pgoff_t pgoff,
			   unsigned long nr);
struct page *mmapdemo_buf_page(const struct mmapdemo_buf *buf, pgoff_t pgoff);
unsigned long mmapdemo_buf_run(const struct mmapdemo_buf *buf, pgoff_t pgoff,
			       unsigned long max, unsigned long *pfn);
size_t mmapdemo_buf_copy(const struct mmapdemo_buf *buf, loff_t pos,
			 struct iov_iter *iter);

/* mmap.c */
const char *mmapdemo_mode_name(unsigned int mode);
int mmapdemo_mode_parse(const char *name);
int mmapdemo_mmap(struct file *file, struct vm_area_struct *vma);
unsigned long mmapdemo_get_unmapped_area(struct file *file, unsigned long addr,
					 unsigned long len, unsigned long pgoff,
					 unsigned long flags);
void mmapdemo_vma_open(struct vm_area_struct *vma);
void mmapdemo_vma_close(struct vm_area_struct *vma);

/* pfnmap_rules.c: what every VM_PFNMAP mode (remap, pfn, huge) obeys */
int mmapdemo_pfnmap_private(struct vm_area_struct *vma);
int mmapdemo_pfnmap_access(struct vm_area_struct *vma, unsigned long addr,
			   void *buf, int len, int write);

/*
 * One file per mode: set up @vma, after mmapdemo_mmap() checked it; @track:
 * with the vm_operations that track writes.
 */
int mmapdemo_remap_mmap(struct mmapdemo_dev *md, struct vm_area_struct *vma,
			bool track);
int mmapdemo_fault_mmap(struct mmapdemo_dev *md, struct vm_area_struct *vma,
			bool track);
int mmapdemo_insert_mmap(struct mmapdemo_dev *md, struct vm_area_struct *vma,
			 bool track);
int mmapdemo_pfn_mmap(struct mmapdemo_dev *md, struct vm_area_struct *vma,
		      bool track);
int mmapdemo_huge_mmap(struct mmapdemo_dev *md, struct vm_area_struct *vma,
		       bool track);

/* fault.c: hand the core the page at vmf->pgoff (fault and insert modes) */
extern const struct vm_operations_struct mmapdemo_fault_vm_ops[2];

/* pfn.c: faults that insert PFNs (pfn, huge, and remap after a takedown) */
extern const struct vm_operations_struct mmapdemo_pfn_vm_ops[2];
int mmapdemo_pfn_setup(struct vm_area_struct *vma,
		       const struct vm_operations_struct *vm_ops);
vm_fault_t mmapdemo_pfn_fault(struct vm_fault *vmf);

/* huge.c: where huge mode's mappings go, and what it can map at a time */
unsigned long mmapdemo_huge_get_unmapped_area(struct file *file,
					      unsigned long addr,
					      unsigned long len,
					      unsigned long pgoff,
					      unsigned long flags);
void mmapdemo_huge_unmap_puds(struct file *file, pgoff_t pgoff,
			      unsigned long nr);
unsigned int mmapdemo_levels(void);
void mmapdemo_huge_whole_puds(const struct mmapdemo_buf *buf, pgoff_t *first,
			      pgoff_t *last);
unsigned long mmapdemo_huge_pages(const struct mmapdemo_buf *buf);

/* writeback.c: tracking writes, and syncing them */
void mmapdemo_mark_dirty(struct mmapdemo_dev *md, struct vm_fault *vmf,
			 bool pfnmap);
vm_fault_t mmapdemo_page_mkwrite(struct vm_fault *vmf);
vm_fault_t mmapdemo_pfn_mkwrite(struct vm_fault *vmf);
int mmapdemo_fsync(struct file *file, loff_t start, loff_t end, int datasync);
void mmapdemo_forget_dirty(struct mmapdemo_buf *buf, pgoff_t pgoff);

/* takedown.c: one address_space, reset and removal while mapped */
int mmapdemo_mapping_init(struct mmapdemo_dev *md);
void mmapdemo_mapping_exit(struct mmapdemo_dev *md);
bool mmapdemo_enter(struct mmapdemo_dev *md);
void mmapdemo_leave(struct mmapdemo_dev *md);
int mmapdemo_reset(struct mmapdemo_dev *md);
int mmapdemo_remove(struct mmapdemo_dev *md);

/* device.c */
void mmapdemo_unregister(struct mmapdemo_dev *md);

#endif /* _MMAPDEMO_H */
