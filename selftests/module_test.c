// SPDX-License-Identifier: GPL-2.0
/*
 * The module's life: a mapping outlives its file; the module cannot be
 * unloaded while a file or a mapping holds it; a fresh buffer reads zero in
 * every mode, and one of many chunks maps whole in every mode; the size=,
 * mode=, fault_around= and dyndbg= parameters, and the values each refuses.
 * Tests that reload the module need its path in $MMAPDEMO_KO and put the
 * default module back when they end.
 */
#include <stdint.h>
#include <sys/klog.h>
#include <sys/sysinfo.h>

#include "mmapdemo_test.h"

#define SYSLOG_ACTION_READ_ALL	3	/* syslog(2); glibc has no name for it */
#define NPAGES	8

TEST_F(mmapdemo, mapping_outlives_close)
{
	size_t len = NPAGES * self->page;
	unsigned char *p = map_shared(self, len, 0);
	int fd;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 30));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	EXPECT_EQ(len, check_pattern(p, len, 0, 30));
	fill_pattern(p, len, 0, 31);
	fd = open(DEVICE, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, read_check_pattern(fd, 0, len, 31));
	close(fd);
	munmap(p, len);
}

/*
 * An open file holds the module, and so does a mapping, which holds its
 * file, until the last munmap().  delete_module() of a module in use fails
 * with EWOULDBLOCK (EAGAIN), not EBUSY: that is try_stop_module()'s answer.
 */
TEST_F(mmapdemo, unload_fails_while_mapped_until_munmap)
{
	size_t len = NPAGES * self->page;
	unsigned char *p;

	if (!module_path())
		SKIP(return, "MMAPDEMO_KO is not set: the module cannot be reloaded");
	EXPECT_EQ(-EWOULDBLOCK, module_unload());
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(self->fd);
	self->fd = -1;

	EXPECT_EQ(-EWOULDBLOCK, module_unload());
	EXPECT_EQ(0, access(DEVICE, F_OK));
	touch_pages(p, len);
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, module_unload());
	EXPECT_EQ(-1, access(DEVICE, F_OK));
	ASSERT_EQ(0, module_load(""));
}

static int device_info(struct mmapdemo_info *info, __u32 *mode)
{
	int fd = open(DEVICE, O_RDONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, MMAPDEMO_IOC_INFO, info) ||
	    (mode && ioctl(fd, MMAPDEMO_IOC_GET_MODE, mode)))
		ret = -errno;
	close(fd);
	return ret;
}

/* Whether the kernel log's last lines mention @text. */
static bool kernel_log_has(const char *text)
{
	static char log[16384];
	int len = klogctl(SYSLOG_ACTION_READ_ALL, log, sizeof(log) - 1);

	if (len < 0)
		return false;
	log[len] = '\0';
	return strstr(log, text);
}

/*
 * The buffer is cleared by the driver: fill it, reload (the page allocator
 * likely hands the same pages back), and read zeroes through read() and
 * through a mapping in each mode.  make check boots with init_on_alloc=0 so
 * that only the driver can have cleared them.
 */
TEST_F(module, fresh_buffer_reads_zero)
{
	const struct mode_info *m;
	struct mmapdemo_info info;
	unsigned char *buf, *p;
	char cmdline[4096] = "";
	size_t i, nonzero;
	int fd;

	read_small_file("/proc/cmdline", cmdline, sizeof(cmdline));
	if (!strstr(cmdline, "init_on_alloc=0"))
		TH_LOG("booted without init_on_alloc=0: the allocator may have cleared the pages");
	ASSERT_EQ(0, module_load(""));
	ASSERT_EQ(0, device_info(&info, NULL));
	fd = open(DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_pattern(fd, 0, info.size, 32));
	close(fd);
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load(""));

	buf = malloc(info.size);
	ASSERT_NE(NULL, buf);
	fd = open(DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)info.size, pread(fd, buf, info.size, 0));
	for (i = nonzero = 0; i < info.size; i++)
		nonzero += !!buf[i];
	EXPECT_EQ(0, nonzero);

	for_each_mode(m) {
		ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_SET_MODE, &m->mode));
		p = mmap(NULL, info.size, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		for (i = nonzero = 0; i < info.size; i++)
			nonzero += !!p[i];
		EXPECT_EQ(0, nonzero) TH_LOG("mode %s", m->name);
		munmap(p, info.size);
	}
	close(fd);
	free(buf);
}

TEST_F(module, size_rounds_up_to_whole_pages)
{
	struct mmapdemo_info info;
	char val[32];

	ASSERT_EQ(0, module_load("size=5000"));
	ASSERT_EQ(0, read_param("size", val, sizeof(val)));
	EXPECT_EQ(2 * self->page, strtoull(val, NULL, 10));
	ASSERT_EQ(0, device_info(&info, NULL));
	EXPECT_EQ(2 * self->page, info.size);
	EXPECT_EQ(2, info.pages);
}

/* An empty or impossible buffer is a mistake worth an error at load. */
TEST_F(module, size_zero_fails_einval)
{
	EXPECT_EQ(-EINVAL, module_load("size=0"));
	EXPECT_TRUE(kernel_log_has("mmapdemo: size=0 is invalid"));
	EXPECT_EQ(-1, access(DEVICE, F_OK));
}

TEST_F(module, size_over_half_of_ram_fails_einval)
{
	struct sysinfo si;
	char params[64];

	ASSERT_EQ(0, sysinfo(&si));
	snprintf(params, sizeof(params), "size=%llu",
		 (unsigned long long)si.totalram * si.mem_unit / 2 + self->page);
	EXPECT_EQ(-EINVAL, module_load(params));
	EXPECT_TRUE(kernel_log_has(params + 5));
	/* Not a number at all: the kernel's parameter parser refuses it. */
	EXPECT_EQ(-EINVAL, module_load("size=-1"));
	EXPECT_EQ(-EINVAL, module_load("size=4M"));
}

TEST_F(module, mode_param_unknown_fails_einval)
{
	EXPECT_EQ(-EINVAL, module_load("mode=lazy"));
	EXPECT_EQ(-EINVAL, module_load("mode="));
}

/*
 * mode= is the default of new files, and can be changed in sysfs; it takes
 * the name of every mode.
 */
TEST_F(module, mode_param_sets_default_mode)
{
	const struct mode_info *m;
	struct mmapdemo_info info;
	char val[32], want[32];
	__u32 mode;

	ASSERT_EQ(0, module_load("mode=remap"));
	ASSERT_EQ(0, read_param("mode", val, sizeof(val)));
	EXPECT_STREQ("remap\n", val);
	ASSERT_EQ(0, device_info(&info, &mode));
	EXPECT_EQ(MMAPDEMO_MODE_REMAP, info.default_mode);
	EXPECT_EQ(MMAPDEMO_MODE_REMAP, mode);

	for_each_mode(m) {
		snprintf(want, sizeof(want), "%s\n", m->name);
		ASSERT_EQ(0, write_param("mode", want));
		ASSERT_EQ(0, device_info(&info, &mode));
		EXPECT_EQ(m->mode, mode);
		EXPECT_EQ(m->mode, info.default_mode);
		ASSERT_EQ(0, read_param("mode", val, sizeof(val)));
		EXPECT_STREQ(want, val);
	}
	EXPECT_EQ(-EINVAL, write_param("mode", "bogus"));
	ASSERT_EQ(0, read_param("mode", val, sizeof(val)));
	EXPECT_STREQ(want, val);
}

TEST_F(module, mode_param_at_load_takes_every_mode)
{
	const struct mode_info *m;
	char params[32];
	__u32 mode;

	for_each_mode(m) {
		snprintf(params, sizeof(params), "mode=%s", m->name);
		ASSERT_EQ(0, module_load(params));
		ASSERT_EQ(0, device_info(&(struct mmapdemo_info){ 0 }, &mode));
		EXPECT_EQ(m->mode, mode) TH_LOG("%s", params);
		ASSERT_EQ(0, module_unload());
	}
}

/*
 * fault_around= is a boolean, on by default and writable; a mapping keeps
 * what it was when mmap() made it (fault-around needs VM_MIXEDMAP there).
 */
TEST_F(module, fault_around_param_applies_to_new_mappings)
{
	__u32 mode = MMAPDEMO_MODE_FAULT;
	char val[8], flags[256];
	unsigned char *on, *off;
	int fd;

	ASSERT_EQ(0, module_load(""));
	ASSERT_EQ(0, read_param("fault_around", val, sizeof(val)));
	EXPECT_STREQ("Y\n", val);
	fd = open(DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_SET_MODE, &mode));
	on = mmap(NULL, self->page, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, on);
	ASSERT_EQ(0, write_param("fault_around", "0"));
	off = mmap(NULL, self->page, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, off);
	ASSERT_EQ(0, vma_flags(on, flags, sizeof(flags)));
	EXPECT_TRUE(has_vma_flag(flags, "mm")) TH_LOG("VmFlags:%s", flags);
	ASSERT_EQ(0, vma_flags(off, flags, sizeof(flags)));
	EXPECT_FALSE(has_vma_flag(flags, "mm")) TH_LOG("VmFlags:%s", flags);
	ASSERT_EQ(0, read_param("fault_around", val, sizeof(val)));
	EXPECT_STREQ("N\n", val);
	EXPECT_EQ(-EINVAL, write_param("fault_around", "maybe"));
	munmap(on, self->page);
	munmap(off, self->page);
	close(fd);
}

/*
 * A buffer larger than the allocator's biggest block is several chunks;
 * every page, on either side of every chunk boundary, maps in each mode.
 */
TEST_F(module, buffer_of_many_chunks_maps_in_every_mode)
{
	const struct mode_info *m;
	struct mmapdemo_info info;
	unsigned char *p;
	int fd;

	ASSERT_EQ(0, module_load("size=33558528"));	/* 32 MiB + 8 KiB */
	ASSERT_EQ(0, device_info(&info, NULL));
	EXPECT_LT(8, info.chunks);
	EXPECT_GE(info.chunks << info.max_order, info.pages);
	TH_LOG("%llu pages in %u chunks, largest order %u, %u by PMD",
	       info.pages, info.chunks, info.max_order, info.huge_pages);

	fd = open(DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_pattern(fd, 0, info.size, 33));
	for_each_mode(m) {
		ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_SET_MODE, &m->mode));
		p = mmap(NULL, info.size, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(info.size, check_pattern(p, info.size, 0, 33))
			TH_LOG("mode %s", m->name);
		munmap(p, info.size);
	}
	close(fd);
}

/*
 * dyndbg=+p at load turns on the driver's pr_debug() for each mmap and
 * fault (without fault-around, which would map the second page with the
 * first, saying so once).
 */
TEST_F(module, dyndbg_param_logs_every_mmap_and_fault)
{
	__u32 mode = MMAPDEMO_MODE_FAULT;
	unsigned char *p;
	int fd;

	ASSERT_EQ(0, module_load("dyndbg=+p fault_around=0"));
	fd = open(DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_SET_MODE, &mode));
	p = mmap(NULL, 2 * self->page, PROT_READ, MAP_SHARED, fd, self->page);
	ASSERT_NE(MAP_FAILED, p);
	touch_pages(p, 2 * self->page);
	munmap(p, 2 * self->page);
	close(fd);
	EXPECT_TRUE(kernel_log_has("mmapdemo: mmap fault: "));
	EXPECT_TRUE(kernel_log_has(" pgoff 1\n"));
	EXPECT_TRUE(kernel_log_has(" pgoff 2\n"));
	EXPECT_TRUE(kernel_log_has("mmapdemo: vma close "));
}

TEST_HARNESS_MAIN
