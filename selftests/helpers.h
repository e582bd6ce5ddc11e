/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers of the mmapdemo selftests that do not depend on the harness. */
#ifndef MMAPDEMO_HELPERS_H
#define MMAPDEMO_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <linux/mmapdemo.h>

#define DEVICE "/dev/mmapdemo"

size_t page_size(void);
long minor_faults(void);
int device_stats(int fd, struct mmapdemo_stats *st);

/* Read each page of [p, p + len) once. */
void touch_pages(const volatile unsigned char *p, size_t len);

/* Pages of [addr, addr + nr pages) that /proc/self/pagemap shows present. */
long pages_present(const void *addr, unsigned long nr);

/* The VmFlags of the mapping at @addr, from /proc/self/smaps. */
int vma_flags(const void *addr, char *flags, size_t size);
bool has_vma_flag(const char *flags, const char *flag);
/*
 * The first of the space-separated flags in @want that @flags lacks (when
 * @present) or has (when !@present), or "" if there is none.
 */
const char *vma_flag_mismatch(const char *flags, const char *want, bool present);

/*
 * A byte pattern that depends on the buffer offset and a seed, so that data
 * at the wrong offset or from another test is caught.
 */
unsigned char pattern_byte(size_t pos, unsigned int seed);
void fill_pattern(unsigned char *buf, size_t len, size_t pos, unsigned int seed);
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

/* The module file, from $MMAPDEMO_KO, or NULL. */
const char *module_path(void);
/* delete_module("mmapdemo"), without waiting; 0 or -errno. */
int module_unload(void);
/* finit_module() of module_path() with @params; 0 or -errno. */
int module_load(const char *params);

#endif /* MMAPDEMO_HELPERS_H */
