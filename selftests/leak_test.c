// SPDX-License-Identifier: GPL-2.0
/*
 * Load, map, touch, unmap and unload the module many times: the memory the
 * kernel reports free must come back, within 1%.  Slab leaks too small to
 * move MemFree are kmemleak's job, which the debug lane runs after rmmod.
 *
 * On the debug kernel, KASAN keeps freed slab objects in quarantine (up to
 * 1/32 of RAM) to catch use-after-free: 1000 cycles grow the slab by some
 * 40 MB that is not leaked.  There, kmemleak vouches for the slab - an object
 * of the module's left behind after rmmod is unreferenced and reported - so
 * the slab's growth is taken out of the balance.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mmapdemo_test.h"

#define CYCLES	1000

/*
 * Free memory in KiB, after asking the kernel to drop what it can.  Freed
 * order-0 pages wait on per-CPU lists, which MemFree does not count: add
 * them (the "count:" of each pageset in /proc/zoneinfo), or MemFree drifts
 * down by as much as those lists hold and looks like a leak.
 */
static long free_kib(long *mem_free)
{
	FILE *f = fopen("/proc/sys/vm/drop_caches", "w");
	long pcp;

	if (f) {
		fputs("3\n", f);
		fclose(f);
	}
	*mem_free = proc_field_sum("/proc/meminfo", "MemFree");
	pcp = proc_field_sum("/proc/zoneinfo", "count");
	if (*mem_free < 0 || pcp < 0)
		return -1;
	return *mem_free + pcp * (long)(page_size() / 1024);
}

/* Map @len bytes of @fd as row @m of lib/modes.h, read every page, write it. */
static int map_row(int fd, const struct mode_info *m, size_t len)
{
	int ret = write_param("fault_around", m->around ? "1" : "0");
	unsigned char *p;

	if (ret)
		return ret;
	if (ioctl(fd, MMAPDEMO_IOC_SET_MODE, &m->mode))
		return -errno;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	touch_pages(p, len);
	memset(p, 0xa5, len);
	return munmap(p, len) ? -errno : 0;
}

/* One cycle: a fresh module, a mapping per row (each mode, fault mode twice). */
static int cycle(void)
{
	const struct mode_info *m;
	int fd, ret;

	ret = module_load("size=65536");
	if (ret)
		return ret;
	fd = open(DEVICE, O_RDWR);
	if (fd < 0)
		return -errno;
	for_each_mode_row(m) {
		ret = map_row(fd, m, 16 * page_size());
		if (ret)
			break;
	}
	close(fd);
	return module_unload() ?: ret;
}

/* The slab in KiB when kmemleak watches it, else 0. */
static long slab_vouched_kib(void)
{
	if (access("/sys/kernel/debug/kmemleak", F_OK))
		return 0;
	return proc_field_sum("/proc/meminfo", "Slab");
}

TEST_F_TIMEOUT(module, load_map_unload_cycles_give_memory_back, 400)
{
	long before, after, mem_before, mem_after, slab_before, slab_after;
	int i, ret = 0;

	/* Warm up: the first loads allocate what stays (module loader caches). */
	for (i = 0; i < 10 && !ret; i++)
		ret = cycle();
	before = free_kib(&mem_before);
	slab_before = slab_vouched_kib();
	for (i = 0; i < CYCLES && !ret; i++)
		ret = cycle();
	after = free_kib(&mem_after);
	slab_after = slab_vouched_kib();
	EXPECT_EQ(0, ret) TH_LOG("cycle %d", i);
	TH_LOG("%d cycles: free %ld -> %ld kB (MemFree %ld -> %ld kB)",
	       i, before, after, mem_before, mem_after);
	ASSERT_LE(0, slab_before);
	ASSERT_LE(0, slab_after);
	if (slab_before || slab_after) {
		TH_LOG("kmemleak watches the slab: its growth, %ld kB, is not counted",
		       slab_after - slab_before);
		after += slab_after - slab_before;
	}
	ASSERT_LT(0, before);
	EXPECT_LE(before - before / 100, after);
	/* Tighter: one page lost per cycle would be 4000 kB. */
	EXPECT_GT(1024, before - after);
}

TEST_HARNESS_MAIN
