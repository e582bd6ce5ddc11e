/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmapdemo: a character device that maps its buffer into a process in one of
 * several modes: eagerly (every PTE written at mmap() time) or lazily (on
 * faults), as page frame numbers or as struct pages.
 *
 * Userspace opens /dev/mmapdemo, may pick a mode for the open file with
 * MMAPDEMO_IOC_SET_MODE, then calls mmap() on it.  The mode applies to the
 * mappings made afterwards; a mapping keeps the mode it was made with.
 */
#ifndef _UAPI_LINUX_MMAPDEMO_H
#define _UAPI_LINUX_MMAPDEMO_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * enum mmapdemo_mode - how mmap() builds the page tables
 * @MMAPDEMO_MODE_REMAP: eager.  mmap() writes every PTE with
 *	remap_pfn_range(); the VMA is VM_PFNMAP and faults into the driver
 *	only once something zapped its PTEs (a reset, a sync of a tracked
 *	mapping).  Writable MAP_PRIVATE mappings are refused.
 * @MMAPDEMO_MODE_FAULT: lazy.  mmap() installs only the vm_operations; the
 *	first touch of each page enters the driver's fault handler, which hands
 *	the page to the core MM.  MAP_PRIVATE is copy-on-write.
 * @MMAPDEMO_MODE_INSERT: eager.  mmap() maps every page with
 *	vm_insert_pages(); the VMA is VM_MIXEDMAP and holds struct pages, so
 *	get_user_pages() works on it and MAP_PRIVATE is copy-on-write.
 * @MMAPDEMO_MODE_PFN: lazy.  mmap() installs only the vm_operations; the
 *	first touch of each page enters the driver's fault handler, which writes
 *	the PTE with vmf_insert_pfn().  Otherwise as remap: VM_PFNMAP, and
 *	writable MAP_PRIVATE mappings are refused.
 * @MMAPDEMO_MODE_HUGE: lazy, as pfn, but a fault maps the whole 1 GiB or
 *	2 MiB around it with one PUD or PMD when that block lies inside the
 *	mapping, starts at a multiple of its size in the buffer and falls in
 *	one of the buffer's chunks of that size; elsewhere it maps 4 KiB.  The
 *	driver places such mappings at addresses that agree with their offsets
 *	modulo 1 GiB or 2 MiB.  &struct mmapdemo_info.levels says which of
 *	these the kernel can do: 6.1 (no CONFIG_ARCH_SUPPORTS_PMD_PFNMAP) and
 *	PREEMPT_RT (no transparent huge pages) map 4 KiB pages only, 6.12 all
 *	three.
 */
enum mmapdemo_mode {
	MMAPDEMO_MODE_REMAP	= 0,
	MMAPDEMO_MODE_FAULT	= 1,
	MMAPDEMO_MODE_INSERT	= 2,
	MMAPDEMO_MODE_PFN	= 3,
	MMAPDEMO_MODE_HUGE	= 4,
};

/**
 * struct mmapdemo_info - the device buffer, from MMAPDEMO_IOC_INFO
 * @size: buffer size in bytes, a whole number of pages
 * @pages: buffer size in pages
 * @meta_bytes: memory the driver spends to describe the buffer
 * @chunks: number of physically contiguous chunks the buffer is made of
 * @max_order: order of the largest chunk (a chunk holds 2^order pages)
 * @default_mode: the &enum mmapdemo_mode a newly opened file starts in
 * @huge_pages: pages at the start of the buffer that huge mode can map 2 MiB
 *	at a time (its chunks of 2 MiB or more); 0 if this kernel cannot map
 *	a PFN with a PMD: @pmd_pages where @levels has MMAPDEMO_LEVEL_PMD, kept
 *	for programs older than those.  Zero from drivers that predate huge
 *	mode.  This is
 *	what the buffer and the kernel allow, not a promise for a mapping:
 *	one whose address and offset disagree modulo 2 MiB, one that covers
 *	less than 2 MiB, one with MADV_NOHUGEPAGE, and every mapping of a
 *	process that disabled THP with prctl(PR_SET_THP_DISABLE) get 4 KiB
 *	pages.
 * @levels: the page-table levels at which this kernel lets huge mode map
 *	the buffer, as MMAPDEMO_LEVEL_* bits.  MMAPDEMO_LEVEL_PTE always.
 * @pmd_pages: pages at the start of the buffer in chunks of 2 MiB or more,
 *	whether or not the kernel can map them with a PMD
 * @pud_pages: pages at the start of the buffer in chunks of 1 GiB, which
 *	the driver looks for at load only where the kernel can map them with a
 *	PUD, and finds only with CONFIG_CONTIG_ALLOC.  A mapping gets 1 GiB at
 *	a time where it covers a whole such chunk at an address that agrees
 *	with its offset modulo 1 GiB.
 *
 * Fields are only ever appended, as in &struct mmapdemo_stats: the driver
 * answers MMAPDEMO_IOC_INFO of every size the struct has had.
 */
struct mmapdemo_info {
	__u64 size;
	__u64 pages;
	__u64 meta_bytes;
	__u32 chunks;
	__u32 max_order;
	__u32 default_mode;
	__u32 huge_pages;
	__u32 levels;
	__u32 reserved;		/* zero */
	__u64 pmd_pages;
	__u64 pud_pages;
};

/* Bits of &struct mmapdemo_info.levels: 4 KiB, 2 MiB and 1 GiB. */
#define MMAPDEMO_LEVEL_PTE	0x1
#define MMAPDEMO_LEVEL_PMD	0x2
#define MMAPDEMO_LEVEL_PUD	0x4

/**
 * struct mmapdemo_stats - device-wide counters, from MMAPDEMO_IOC_STATS
 * @opens: successful open() calls since load
 * @mmaps: successful mmap() calls, indexed by &enum mmapdemo_mode
 * @faults: calls of a fault handler that mapped a page, or handed one to
 *	the core MM
 * @eager_pages: pages mapped at mmap() time by the eager modes
 * @live_vmas: VMAs of this device that exist right now
 * @bytes_read: bytes copied out by read()
 * @bytes_written: bytes copied in by write()
 * @vma_lock_faults: of @faults and @huge_faults, those the driver handled
 *	under the VMA's own lock rather than under mmap_lock.  A kernel with
 *	per-VMA locks tries each fault under the VMA lock first; it calls huge
 *	mode's 2 MiB handler there, but a 4 KiB fault handler only if the VMA
 *	also maps pages around a fault (fault mode with fault-around), and only
 *	since Linux 6.7.  Otherwise it retries the fault under mmap_lock.
 * @around_pages: pages that fault mode's fault-around mapped, the faulting
 *	page included when the window mapped it: the fault handler is then not
 *	called, and @faults does not count that page
 * @huge_faults: 2 MiB mappings made by huge mode's fault handler, one PMD
 *	each
 * @huge_fallbacks: calls of huge mode's 2 MiB fault handler that left the
 *	fault to 4 KiB pages.  A fault that falls back under the per-VMA lock
 *	is retried under mmap_lock (huge mode's 4 KiB handler cannot run under
 *	the VMA lock), and then counts twice.
 * @dirty_pages: pages that a write through a write-tracked mapping made
 *	dirty: a page counts once until a sync writes it back
 * @synced_pages: dirty pages that fsync(), fdatasync() or msync(MS_SYNC)
 *	wrote back
 * @resets: MMAPDEMO_IOC_RESET calls that reset the buffer
 * @pud_faults: 1 GiB mappings made by huge mode's fault handler, one PUD
 *	each
 * @pud_fallbacks: calls of huge mode's 1 GiB fault handler that left the
 *	fault to 2 MiB or 4 KiB pages.  The kernel asks for 1 GiB only where
 *	no page table hangs below the PUD yet, so about once per GiB of
 *	address space.
 *
 * Fields are only ever appended.  The size is part of MMAPDEMO_IOC_STATS, and
 * the driver answers every size it has had, so a program built against an
 * older version of this header gets the fields it knows.
 */
struct mmapdemo_stats {
	__u64 opens;
	__u64 mmaps[8];
	__u64 faults;
	__u64 eager_pages;
	__u64 live_vmas;
	__u64 bytes_read;
	__u64 bytes_written;
	__u64 vma_lock_faults;
	__u64 around_pages;
	__u64 huge_faults;
	__u64 huge_fallbacks;
	__u64 dirty_pages;
	__u64 synced_pages;
	__u64 resets;
	__u64 pud_faults;
	__u64 pud_fallbacks;
};

#define MMAPDEMO_IOC_MAGIC	0xB9

/* Describe the buffer. */
#define MMAPDEMO_IOC_INFO	_IOR(MMAPDEMO_IOC_MAGIC, 0x00, struct mmapdemo_info)
/* The &enum mmapdemo_mode that this open file's next mmap() uses. */
#define MMAPDEMO_IOC_GET_MODE	_IOR(MMAPDEMO_IOC_MAGIC, 0x01, __u32)
/* Change it; existing mappings keep their mode.  Unknown mode: -EINVAL. */
#define MMAPDEMO_IOC_SET_MODE	_IOW(MMAPDEMO_IOC_MAGIC, 0x02, __u32)
/* Read the device-wide counters. */
#define MMAPDEMO_IOC_STATS	_IOR(MMAPDEMO_IOC_MAGIC, 0x03, struct mmapdemo_stats)
/*
 * Whether this open file's next mmap() tracks writes: 1, the first write to
 * each page after mmap() or after the last sync enters the driver, which
 * records the page as dirty for fsync() and msync() to write back; 0 (the
 * default), writes go straight to the buffer.  Existing mappings keep what
 * they were made with.  SET with other than 0 or 1: -EINVAL.
 */
#define MMAPDEMO_IOC_GET_TRACK	_IOR(MMAPDEMO_IOC_MAGIC, 0x04, __u32)
#define MMAPDEMO_IOC_SET_TRACK	_IOW(MMAPDEMO_IOC_MAGIC, 0x05, __u32)
/*
 * Reset the device, as a driver does on a device reset: take down every
 * mapping of the buffer in every process, zero the buffer and forget its
 * dirty pages.  The next touch of a mapping faults a page back in, in every
 * mode.  Needs CAP_SYS_ADMIN (else -EPERM).
 */
#define MMAPDEMO_IOC_RESET	_IO(MMAPDEMO_IOC_MAGIC, 0x06)
/*
 * Remove the device, as a surprise removal of the hardware: /dev/mmapdemo
 * goes away, every access through an existing mapping raises SIGBUS, and
 * read(), write(), mmap(), fsync() and every ioctl but MMAPDEMO_IOC_INFO
 * fail with -ENODEV on the files still open.  The module unloads once they
 * and their mappings are gone.  Needs CAP_SYS_ADMIN (else -EPERM).
 */
#define MMAPDEMO_IOC_REMOVE	_IO(MMAPDEMO_IOC_MAGIC, 0x07)

#endif /* _UAPI_LINUX_MMAPDEMO_H */
