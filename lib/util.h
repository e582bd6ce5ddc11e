/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the mmapdemo tool and selftests both ask of the kernel and the device:
 * page size and faults, pagemap and smaps, module parameters, tracefs, test
 * patterns, module loading.  Nothing here depends on the kselftest harness.
 */
#ifndef MMAPDEMO_UTIL_H
#define MMAPDEMO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/types.h>

#include <linux/mmapdemo.h>

#define DEVICE "/dev/mmapdemo"

/* Newer than the C library of some distributions. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/*
 * How much the device's counter @field grew since self->before was taken
 * (device_stats() into it), read through self->fd; -1 if it cannot be read.
 */
#define GREW(field)                                               \
	({                                                        \
		struct mmapdemo_stats __now;                      \
                                                                  \
		device_stats(self->fd, &__now) ?                  \
			-1L :                                     \
			(long)(__now.field - self->before.field); \
	})

#ifndef offsetofend
#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))
#endif

size_t page_size(void);
long minor_faults(void);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);
/* "EFAULT" for EFAULT, "0" for 0. */
const char *errno_name(int err);
/*
 * MMAPDEMO_IOC_STATS and MMAPDEMO_IOC_INFO, from this driver or the one
 * before it, which has no counters of 1 GiB and no levels: then these read
 * zero, and the levels and pmd_pages are what huge_pages implies (the 2 MiB
 * chunks of a buffer huge mode cannot map 2 MiB at a time are unknown).
 * 0 or -errno.
 */
int device_stats(int fd, struct mmapdemo_stats *st);
int device_read_info(int fd, struct mmapdemo_info *info);

/* The number in the file at @path, or -1. */
long read_long(const char *path);
/* Pages one PMD maps (hpage_pmd_size), 512 with 4 KiB pages on x86-64. */
unsigned long pmd_pages(void);
/* Pages one PUD maps: as many PMDs' worth as a page table has entries. */
unsigned long pud_pages(void);
/*
 * Pages the driver mapped lazily between two readings of its counters: by
 * its fault handlers (4 KiB, or a PMD's or PUD's worth each) and by
 * fault-around.
 */
long lazy_pages(const struct mmapdemo_stats *before,
		const struct mmapdemo_stats *after);
/* lazy_pages() from now on: the counters of @fd, or -1. */
long driver_lazy_pages(int fd);

/* The fault-around window in pages (fault_around_bytes), 16 if unknown. */
unsigned long fault_around_pages(void);
/* Read the (small) file @path into @buf as a string; 0 or -errno. */
int read_small_file(const char *path, char *buf, size_t size);
/* Sum the "@key: N" lines of @path (/proc/meminfo, /proc/zoneinfo), or -1. */
long proc_field_sum(const char *path, const char *key);
/* Read or write a module parameter of mmapdemo; 0 or -errno. */
int read_param(const char *name, char *buf, size_t size);
int write_param(const char *name, const char *val);
/* Whether this kernel handles faults under per-VMA locks (x86-64, 6.4+). */
bool kernel_has_per_vma_locks(void);
/* Address space nothing else takes until it is mapped over (MAP_FIXED). */
void *reserve(size_t len);
/* A @len-byte hole that starts at a multiple of @align, or MAP_FAILED. */
void *reserve_aligned(size_t len, size_t align);

/*
 * How a mapping's pages reach the page tables, for read_fault_range().
 * @window: pages a read fault maps (fault-around), 1 without fault-around
 * @huge_pages: pages at the start of the buffer mappable by PMD, 0 if none
 */
struct fault_model {
	bool eager;
	unsigned long window;
	unsigned long huge_pages;
};

/*
 * The minor faults that reading each page of a fresh mapping once, in
 * order, takes: between *@min and *@max.  The mapping is @nr pages at
 * @addr, from buffer page @pgoff on.  The bounds differ only where a page
 * table the mapping shares with others may or may not exist already: a
 * read fault in a new page table maps one page, not the window.
 */
void read_fault_range(const struct fault_model *m, const void *addr,
		      unsigned long pgoff, unsigned long nr, long *min,
		      long *max);

/* Read each page of [p, p + len) once. */
void touch_pages(const volatile unsigned char *p, size_t len);

/* The frame number /proc/self/pagemap gives for @addr (root only), or 0. */
unsigned long page_pfn(const void *addr);
/* How many times the page at @pfn is mapped (/proc/kpagecount), or -errno. */
long page_mapcount(unsigned long pfn);
/* The "@key N" line of /proc/vmstat, or -1. */
long vmstat(const char *key);

/* Pages of [addr, addr + nr pages) that /proc/self/pagemap shows present. */
long pages_present(const void *addr, unsigned long nr);

/* The VmFlags of the mapping at @addr, from /proc/self/smaps. */
int vma_flags(const void *addr, char *flags, size_t size);
bool has_vma_flag(const char *flags, const char *flag);
/*
 * The first of the space-separated flags in @want that @flags lacks (when
 * @present) or has (when !@present), or "" if there is none.
 */
const char *vma_flag_mismatch(const char *flags, const char *want,
			      bool present);

/*
 * A byte pattern that depends on the buffer offset and a seed, so that data
 * at the wrong offset or from another test is caught.
 */
unsigned char pattern_byte(size_t pos, unsigned int seed);
void fill_pattern(unsigned char *buf, size_t len, size_t pos,
		  unsigned int seed);
/* The index of the first byte that differs from the pattern, or @len. */
size_t check_pattern(const unsigned char *buf, size_t len, size_t pos,
		     unsigned int seed);
/* write() the pattern into the device at @pos; 0 or -errno. */
int write_pattern(int fd, size_t pos, size_t len, unsigned int seed);
/* read() the device at @pos and check it; 0, -errno, or 1 on a mismatch. */
int read_check_pattern(int fd, size_t pos, size_t len, unsigned int seed);

/* Run @fn in a child; the signal that killed it, 0 if it exited, or -1. */
int child_signal(void (*fn)(void *arg), void *arg);
/* Read one byte at @addr in a child; the signal that killed it, or 0. */
int read_signal(const void *addr);
/* Write one byte at @addr in a child; the signal that killed it, or 0. */
int write_signal(void *addr);
/*
 * Run @fn in this thread, catching SIGBUS and SIGSEGV: the signal that cut
 * it short, or 0.  The handler it installs is the process's; outside
 * thread_signal() it restores the default action, so a signal nobody waits
 * for kills as it would have.  A child forked inside @fn must reset both
 * signals to SIG_DFL itself.
 */
int thread_signal(void (*fn)(void *arg), void *arg);

/* The module file, from $MMAPDEMO_KO, or NULL. */
const char *module_path(void);
/* delete_module("mmapdemo"), without waiting; 0 or -errno. */
int module_unload(void);
/* finit_module() of module_path() with @params; 0 or -errno. */
int module_load(const char *params);

#endif /* MMAPDEMO_UTIL_H */
