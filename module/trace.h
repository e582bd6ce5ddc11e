/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the mmapdemo driver:
 *
 *	echo 1 > /sys/kernel/tracing/events/mmapdemo/enable
 *	cat /sys/kernel/tracing/trace_pipe
 *
 * or trace-cmd record -e mmapdemo.  Three events carry page frame numbers
 * (mmapdemo_fault, mmapdemo_pfn_fault and mmapdemo_huge_fault); tracefs shows
 * them to root only.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mmapdemo

#if !defined(_MMAPDEMO_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MMAPDEMO_TRACE_H

#include <linux/mm.h>
#include <linux/mmapdemo.h>
#include <linux/tracepoint.h>

#include "mmapdemo.h"
/* show_vma_flags(); it leaves EM() defined, which the lists below redefine. */
#include <trace/events/mmflags.h>

/*
 * The modes and huge mode's results come from their lists in mmapdemo.h:
 * first export their values, so that trace-cmd and perf can print the names
 * too, then make each entry a { value, name } pair for __print_symbolic().
 */
#undef EM
#undef EM_LAST
#define EM(value, ...)		TRACE_DEFINE_ENUM(value);
#define EM_LAST(value, ...)	TRACE_DEFINE_ENUM(value);

MMAPDEMO_MODE_LIST
MMAPDEMO_HUGE_RESULTS

#undef EM
#undef EM_LAST
#define EM(value, name, ...)		{ value, name },
#define EM_LAST(value, name, ...)	{ value, name }

/*
 * The results the fault handlers return, by the names that mm's own
 * VM_FAULT_RESULT_TRACE gives them (whose vm_fault_t values sparse will not
 * take in a flag table), for __print_flags() as show_vma_flags() names VMA
 * flags.
 */
#define MMAPDEMO_FAULT_RESULT(name)					\
	{ (__force unsigned long)VM_FAULT_##name, #name }
#define MMAPDEMO_FAULT_RESULTS						\
	MMAPDEMO_FAULT_RESULT(OOM), MMAPDEMO_FAULT_RESULT(SIGBUS),	\
	MMAPDEMO_FAULT_RESULT(NOPAGE), MMAPDEMO_FAULT_RESULT(LOCKED),	\
	MMAPDEMO_FAULT_RESULT(FALLBACK)

TRACE_EVENT(mmapdemo_mmap,
	    TP_PROTO(unsigned int mode, struct vm_area_struct *vma, int ret),
	    TP_ARGS(mode, vma, ret),
	    TP_STRUCT__entry(__field(unsigned int, mode)
			     __field(unsigned long, start)
			     __field(unsigned long, end)
			     __field(unsigned long, pgoff)
			     __field(unsigned long, flags)
			     __field(int, ret)),
	    TP_fast_assign(__entry->mode = mode;
			   __entry->start = vma->vm_start;
			   __entry->end = vma->vm_end;
			   __entry->pgoff = vma->vm_pgoff;
			   __entry->flags = vma->vm_flags;
			   __entry->ret = ret;),
	    TP_printk("mode=%s range=%#lx-%#lx pgoff=%lu flags=%s ret=%d",
		      __print_symbolic(__entry->mode, MMAPDEMO_MODE_LIST),
		      __entry->start, __entry->end, __entry->pgoff,
		      show_vma_flags(__entry->flags), __entry->ret)
);

/*
 * A fault handler that maps 4 KiB: the page, its frame number, the result,
 * and which lock the core held (the VMA's own, or mmap_lock).
 */
DECLARE_EVENT_CLASS(mmapdemo_page_fault,
		    TP_PROTO(struct vm_fault *vmf, unsigned long pfn, vm_fault_t ret),
		    TP_ARGS(vmf, pfn, ret),
		    TP_STRUCT__entry(__field(unsigned long, address)
				     __field(unsigned long, pgoff)
				     __field(unsigned long, pfn)
				     __field(unsigned int, ret)
				     __field(bool, vma_lock)),
		    TP_fast_assign(__entry->address = vmf->address;
				   __entry->pgoff = vmf->pgoff;
				   __entry->pfn = pfn;
				   __entry->ret = (__force unsigned int)ret;
				   __entry->vma_lock = mmapdemo_vma_locked(vmf);),
		    TP_printk("address=%#lx pgoff=%lu pfn=%#lx ret=%s lock=%s",
			      __entry->address, __entry->pgoff, __entry->pfn,
			      __entry->ret ? __print_flags(__entry->ret, "|",
							   MMAPDEMO_FAULT_RESULTS) : "0",
			      __entry->vma_lock ? "vma" : "mmap")
);

/* fault and insert modes: ->fault hands the core a page. */
DEFINE_EVENT(mmapdemo_page_fault, mmapdemo_fault,
	     TP_PROTO(struct vm_fault *vmf, unsigned long pfn, vm_fault_t ret),
	     TP_ARGS(vmf, pfn, ret)
);

/* pfn mode, and huge mode's 4 KiB faults: ->fault writes a PFN's PTE. */
DEFINE_EVENT(mmapdemo_page_fault, mmapdemo_pfn_fault,
	     TP_PROTO(struct vm_fault *vmf, unsigned long pfn, vm_fault_t ret),
	     TP_ARGS(vmf, pfn, ret)
);

/*
 * huge mode's 1 GiB and 2 MiB fault handler: the level asked for, the block
 * around the address, where it starts in the buffer and in memory, and
 * either one PUD or PMD mapping it or the reason for falling back to the
 * level below.
 */
TRACE_EVENT(mmapdemo_huge_fault,
	    TP_PROTO(struct vm_fault *vmf, unsigned int order, unsigned long pgoff,
		     unsigned long pfn, enum mmapdemo_huge_result result,
		     vm_fault_t ret),
	    TP_ARGS(vmf, order, pgoff, pfn, result, ret),
	    TP_STRUCT__entry(__field(unsigned long, address)
			     __field(unsigned long, pgoff)
			     __field(unsigned long, pfn)
			     __field(unsigned int, result)
			     __field(unsigned int, ret)
			     __field(bool, pud)
			     __field(bool, vma_lock)),
	    TP_fast_assign(__entry->address = ALIGN_DOWN(vmf->address, PAGE_SIZE << order);
			   __entry->pgoff = pgoff;
			   __entry->pfn = pfn;
			   __entry->pud = order == MMAPDEMO_PUD_ORDER;
			   __entry->result = result;
			   __entry->ret = (__force unsigned int)ret;
			   __entry->vma_lock = mmapdemo_vma_locked(vmf);),
	    TP_printk("level=%s address=%#lx pgoff=%lu pfn=%#lx result=%s ret=%s lock=%s",
		      __entry->pud ? "1G" : "2M",
		      __entry->address, __entry->pgoff, __entry->pfn,
		      __print_symbolic(__entry->result, MMAPDEMO_HUGE_RESULTS),
		      __entry->ret ? __print_flags(__entry->ret, "|",
						   MMAPDEMO_FAULT_RESULTS) : "0",
		      __entry->vma_lock ? "vma" : "mmap")
);

/*
 * fault mode's fault-around: the window [start, end] of buffer pages the
 * core offered around a read fault, how many had no PTE and were mapped,
 * and whether that settled the fault (or ->fault is called next).
 */
TRACE_EVENT(mmapdemo_map_pages,
	    TP_PROTO(struct vm_fault *vmf, unsigned long start,
		     unsigned long end, unsigned long mapped, bool hit),
	    TP_ARGS(vmf, start, end, mapped, hit),
	    TP_STRUCT__entry(__field(unsigned long, address)
			     __field(unsigned long, pgoff)
			     __field(unsigned long, start)
			     __field(unsigned long, end)
			     __field(unsigned long, mapped)
			     __field(bool, hit)
			     __field(bool, vma_lock)),
	    TP_fast_assign(__entry->address = vmf->address;
			   __entry->pgoff = vmf->pgoff;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->mapped = mapped;
			   __entry->hit = hit;
			   __entry->vma_lock = mmapdemo_vma_locked(vmf);),
	    TP_printk("address=%#lx pgoff=%lu window=%lu-%lu mapped=%lu fault=%s lock=%s",
		      __entry->address, __entry->pgoff, __entry->start,
		      __entry->end, __entry->mapped,
		      __entry->hit ? "done" : "next", __entry->vma_lock ? "vma" : "mmap")
);

/* One batch of vm_insert_pages() in the insert mode's mmap(). */
TRACE_EVENT(mmapdemo_insert,
	    TP_PROTO(unsigned long address, unsigned long pgoff,
		     unsigned long pages, int ret),
	    TP_ARGS(address, pgoff, pages, ret),
	    TP_STRUCT__entry(__field(unsigned long, address)
			     __field(unsigned long, pgoff)
			     __field(unsigned long, pages)
			     __field(int, ret)),
	    TP_fast_assign(__entry->address = address;
			   __entry->pgoff = pgoff;
			   __entry->pages = pages;
			   __entry->ret = ret;),
	    TP_printk("address=%#lx pgoff=%lu pages=%lu ret=%d",
		      __entry->address, __entry->pgoff, __entry->pages,
		      __entry->ret)
);

DECLARE_EVENT_CLASS(mmapdemo_vma,
		    TP_PROTO(struct vm_area_struct *vma),
		    TP_ARGS(vma),
		    TP_STRUCT__entry(__field(unsigned long, start)
				     __field(unsigned long, end)
				     __field(unsigned long, pgoff)),
		    TP_fast_assign(__entry->start = vma->vm_start;
				   __entry->end = vma->vm_end;
				   __entry->pgoff = vma->vm_pgoff;),
		    TP_printk("range=%#lx-%#lx pgoff=%lu", __entry->start,
			      __entry->end, __entry->pgoff)
);

DEFINE_EVENT(mmapdemo_vma, mmapdemo_vma_open,
	     TP_PROTO(struct vm_area_struct *vma),
	     TP_ARGS(vma)
);

DEFINE_EVENT(mmapdemo_vma, mmapdemo_vma_close,
	     TP_PROTO(struct vm_area_struct *vma),
	     TP_ARGS(vma)
);

/*
 * The first write to a page of a tracked mapping: the page, whether a PFN
 * map took it (whose PTEs a sync zaps), and whether the page was dirty
 * already (written through another mapping since the last sync).
 */
TRACE_EVENT(mmapdemo_mkwrite,
	    TP_PROTO(struct vm_fault *vmf, bool pfnmap, bool was_dirty),
	    TP_ARGS(vmf, pfnmap, was_dirty),
	    TP_STRUCT__entry(__field(unsigned long, address)
			     __field(unsigned long, pgoff)
			     __field(bool, pfnmap)
			     __field(bool, was_dirty)),
	    TP_fast_assign(__entry->address = vmf->address;
			   __entry->pgoff = vmf->pgoff;
			   __entry->pfnmap = pfnmap;
			   __entry->was_dirty = was_dirty;),
	    TP_printk("address=%#lx pgoff=%lu map=%s dirty=%s",
		      __entry->address, __entry->pgoff,
		      __entry->pfnmap ? "pfn" : "page",
		      __entry->was_dirty ? "already" : "now")
);

/*
 * A sync wrote back a run of dirty pages from @pgoff: how many, and how
 * many of them (from the first that needed it) it re-armed by zapping their
 * PTEs rather than write-protecting them with folio_mkclean().
 */
TRACE_EVENT(mmapdemo_writeback,
	    TP_PROTO(unsigned long pgoff, unsigned long pages,
		     unsigned long written, unsigned long zapped),
	    TP_ARGS(pgoff, pages, written, zapped),
	    TP_STRUCT__entry(__field(unsigned long, pgoff)
			     __field(unsigned long, pages)
			     __field(unsigned long, written)
			     __field(unsigned long, zapped)),
	    TP_fast_assign(__entry->pgoff = pgoff;
			   __entry->pages = pages;
			   __entry->written = written;
			   __entry->zapped = zapped;),
	    TP_printk("pgoff=%lu pages=%lu written=%lu zapped=%lu",
		      __entry->pgoff, __entry->pages, __entry->written,
		      __entry->zapped)
);

/* Every mapping of the buffer's @pages pages was taken down. */
DECLARE_EVENT_CLASS(mmapdemo_takedown,
		    TP_PROTO(unsigned long pages),
		    TP_ARGS(pages),
		    TP_STRUCT__entry(__field(unsigned long, pages)),
		    TP_fast_assign(__entry->pages = pages;),
		    TP_printk("pages=%lu", __entry->pages)
);

/* ... and the buffer zeroed: MMAPDEMO_IOC_RESET. */
DEFINE_EVENT(mmapdemo_takedown, mmapdemo_reset,
	     TP_PROTO(unsigned long pages),
	     TP_ARGS(pages)
);

/* ... for good: MMAPDEMO_IOC_REMOVE. */
DEFINE_EVENT(mmapdemo_takedown, mmapdemo_remove,
	     TP_PROTO(unsigned long pages),
	     TP_ARGS(pages)
);

#undef EM
#undef EM_LAST

#endif /* _MMAPDEMO_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
