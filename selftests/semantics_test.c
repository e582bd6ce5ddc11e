// SPDX-License-Identifier: GPL-2.0
/*
 * What mmap() of the device promises beyond the data path: private
 * mappings, sharing between processes, access through get_user_pages() and
 * /proc/pid/mem, signals, the ioctls and the other file operations.
 *
 * This is also where every refusal is stated with its errno: which mmap(),
 * mprotect(), mremap(), madvise() and ioctl() fail, in which modes, and
 * why.  Other tests that make such a call only say whether it fails.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <linux/io_uring.h>

#include "mmapdemo_test.h"

#define NPAGES	8

/* Another mode, for tests that switch a file's mode. */
static __u32 other_mode(VARIANT *v)
{
	return (v->mode + 1) % nr_modes();
}

/* Open the device with @flags, in the variant's mode. */
static int open_in_mode(VARIANT *v, int flags)
{
	int fd = open(DEVICE, flags);

	if (fd >= 0 && ioctl(fd, MMAPDEMO_IOC_SET_MODE, &v->mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Expect mmap() of the device to fail with @err. */
#define EXPECT_MMAP_FAILS(err, len, prot, flags, fd, off) do {		\
	void *__p = mmap(NULL, len, prot, flags, fd, off);		\
									\
	EXPECT_EQ(MAP_FAILED, __p);					\
	EXPECT_EQ(err, errno) TH_LOG("%s", errno_name(errno));		\
	if (__p != MAP_FAILED)						\
		munmap(__p, len);					\
} while (0)

#define RW	(PROT_READ | PROT_WRITE)

/* The driver checks the range against the buffer: nothing past its end. */
TEST_F(mmapdemo, length_past_end_fails_einval)
{
	EXPECT_MMAP_FAILS(EINVAL, self->info.size + self->page, RW, MAP_SHARED,
			  self->fd, 0);
}

TEST_F(mmapdemo, offset_at_end_fails_einval)
{
	EXPECT_MMAP_FAILS(EINVAL, self->page, RW, MAP_SHARED, self->fd,
			  self->info.size);
}

TEST_F(mmapdemo, offset_plus_length_past_end_fails_einval)
{
	EXPECT_MMAP_FAILS(EINVAL, 2 * self->page, RW, MAP_SHARED, self->fd,
			  self->info.size - self->page);
}

/*
 * For a character device the core accepts offsets up to ULONG_MAX
 * (file_mmap_size_max()), so the largest ones reach the driver, whose range
 * check must not wrap.
 */
TEST_F(mmapdemo, huge_offset_fails_einval)
{
	off_t off = INT64_MAX & ~(off_t)(self->page - 1);

	EXPECT_MMAP_FAILS(EINVAL, self->page, RW, MAP_SHARED, self->fd, off);
	EXPECT_MMAP_FAILS(EINVAL, 2 * self->page, RW, MAP_SHARED, self->fd, off);
	EXPECT_MMAP_FAILS(EINVAL, self->page, RW, MAP_SHARED, self->fd,
			  (off_t)self->info.size << 20);
}

/*
 * A range whose end wraps past the top of the offset space is refused by
 * the core (file_mmap_ok()) with EOVERFLOW before the driver is asked.
 */
TEST_F(mmapdemo, offset_plus_length_wrap_fails_eoverflow)
{
	EXPECT_MMAP_FAILS(EOVERFLOW, 3 * self->page, RW, MAP_SHARED, self->fd,
			  -2 * (off_t)self->page);
	EXPECT_MMAP_FAILS(EOVERFLOW, self->page, RW, MAP_SHARED, self->fd,
			  -(off_t)self->page);
}

/* Both are the core's rules for every mmap(). */
TEST_F(mmapdemo, zero_length_or_unaligned_offset_fails_einval)
{
	EXPECT_MMAP_FAILS(EINVAL, 0, RW, MAP_SHARED, self->fd, 0);
	EXPECT_MMAP_FAILS(EINVAL, self->page, RW, MAP_SHARED, self->fd, 1);
}

/* A file opened read-only cannot give a writable shared mapping. */
TEST_F(mmapdemo, rdonly_file_shared_write_fails_eacces)
{
	int fd = open_in_mode(variant, O_RDONLY);

	ASSERT_LE(0, fd);
	EXPECT_MMAP_FAILS(EACCES, self->page, RW, MAP_SHARED, fd, 0);
	close(fd);
}

/* ... nor become one later: the core cleared VM_MAYWRITE. */
TEST_F(mmapdemo, rdonly_file_mprotect_write_fails_eacces)
{
	int fd = open_in_mode(variant, O_RDONLY);
	void *p;

	ASSERT_LE(0, fd);
	p = mmap(NULL, self->page, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, self->page, RW));
	EXPECT_EQ(EACCES, errno);
	munmap(p, self->page);
	close(fd);
}

/* Every mapping must be readable, so a write-only file maps nothing. */
TEST_F(mmapdemo, wronly_file_mmap_fails_eacces)
{
	int fd = open_in_mode(variant, O_WRONLY);

	ASSERT_LE(0, fd);
	EXPECT_MMAP_FAILS(EACCES, self->page, PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
}

TEST_F(mmapdemo, unknown_ioctl_fails_enotty)
{
	__u32 arg = 0;

	EXPECT_EQ(-1, ioctl(self->fd, _IO(MMAPDEMO_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	/* The size is part of the number: a wrong one is another command. */
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(MMAPDEMO_IOC_MAGIC, 0x00, __u32), &arg));
	EXPECT_EQ(ENOTTY, errno);
}

/* The modes are 0 to nr_modes() - 1, the driver's and lib/modes.h's alike. */
TEST_F(mmapdemo, set_mode_unknown_fails_einval)
{
	__u32 bad[] = { nr_modes(), 1000, UINT32_MAX }, mode;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, ioctl(self->fd, MMAPDEMO_IOC_SET_MODE, &bad[i]));
		EXPECT_EQ(EINVAL, errno);
	}
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_GET_MODE, &mode));
	EXPECT_EQ(variant->mode, mode);
}

/*
 * Write tracking is per open file, 0 until set; anything but 0 or 1 is
 * refused and leaves it as it was.
 */
TEST(set_track_other_than_0_or_1_fails_einval)
{
	__u32 bad[] = { 2, 0x100, UINT32_MAX }, on;
	int fd = OPEN_OR_SKIP(O_RDWR), other;
	size_t i;

	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_GET_TRACK, &on))
		TH_LOG("MMAPDEMO_IOC_GET_TRACK: %s", errno_name(errno));
	EXPECT_EQ(0, on);
	on = 1;
	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_SET_TRACK, &on));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, ioctl(fd, MMAPDEMO_IOC_SET_TRACK, &bad[i]));
		EXPECT_EQ(EINVAL, errno) TH_LOG("%#x", bad[i]);
	}
	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_GET_TRACK, &on));
	EXPECT_EQ(1, on);

	other = open(DEVICE, O_RDWR);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, ioctl(other, MMAPDEMO_IOC_GET_TRACK, &on));
	EXPECT_EQ(0, on);
	close(other);
	close(fd);
}

/* The mode belongs to the open file: a new file starts in the default. */
TEST_F(mmapdemo, mode_is_per_open_file)
{
	__u32 mode, other = other_mode(variant);
	int fd;

	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_SET_MODE, &other));
	fd = open(DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_GET_MODE, &mode));
	EXPECT_EQ(self->info.default_mode, mode);
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_GET_MODE, &mode));
	EXPECT_EQ(other, mode);
	close(fd);
}

TEST_F(mmapdemo, mode_change_after_mmap_keeps_mapping)
{
	size_t len = NPAGES * self->page;
	struct mmapdemo_stats before, after;
	__u32 other = other_mode(variant);
	char flags[256], flags_after[256];
	unsigned char *p;

	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 11));
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, vma_flags(p, flags, sizeof(flags)));
	ASSERT_EQ(0, ioctl(self->fd, MMAPDEMO_IOC_SET_MODE, &other));

	ASSERT_EQ(0, device_stats(self->fd, &before));
	EXPECT_EQ(len, check_pattern(p, len, 0, 11));
	ASSERT_EQ(0, device_stats(self->fd, &after));
	EXPECT_EQ(expect_lazy(variant, NPAGES), lazy_pages(&before, &after));
	ASSERT_EQ(0, vma_flags(p, flags_after, sizeof(flags_after)));
	EXPECT_STREQ(flags, flags_after);
	munmap(p, len);
}

/*
 * Modes that map struct pages: a writable private mapping is copy-on-write,
 * its writes reach neither the buffer nor other mappings.  PFN maps: refused,
 * since a PFN map cannot be copied on write page by page (see pfnmap_rules.c).
 */
TEST_F(mmapdemo, private_write_is_copy_on_write)
{
	size_t len = NPAGES * self->page;
	unsigned char *priv, *shared;

	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 12));
	priv = mmap(NULL, len, RW, MAP_PRIVATE, self->fd, 0);
	if (!expect_cow(variant)) {
		EXPECT_EQ(MAP_FAILED, priv);
		EXPECT_EQ(EINVAL, errno);
		return;
	}
	ASSERT_NE(MAP_FAILED, priv);
	shared = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, shared);

	fill_pattern(priv, len, 0, 13);
	EXPECT_EQ(len, check_pattern(priv, len, 0, 13));
	EXPECT_EQ(len, check_pattern(shared, len, 0, 12));
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, 12));
	munmap(shared, len);
	munmap(priv, len);
}

/*
 * A private mapping reads the shared buffer, including later writes to it,
 * until it writes a page itself (copy-on-write modes only: a private PFN map
 * is read-only for good).
 */
TEST_F(mmapdemo, private_reads_see_shared_data_until_written)
{
	int prot = expect_cow(variant) ? RW : PROT_READ;
	size_t len = 2 * self->page;
	unsigned char *priv;

	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 14));
	priv = mmap(NULL, len, prot, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, priv);
	EXPECT_EQ(len, check_pattern(priv, len, 0, 14));

	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 15));
	EXPECT_EQ(len, check_pattern(priv, len, 0, 15));

	if (expect_cow(variant)) {
		priv[0] = ~pattern_byte(0, 15);
		ASSERT_EQ(0, write_pattern(self->fd, 0, len, 16));
		EXPECT_EQ(priv[0], (unsigned char)~pattern_byte(0, 15));
		EXPECT_EQ(self->page, check_pattern(priv + self->page, self->page,
						    self->page, 16));
	}
	munmap(priv, len);
}

/* PFN maps drop VM_MAYWRITE from read-only private mappings; others copy. */
TEST_F(mmapdemo, private_readonly_gains_write_only_with_cow)
{
	unsigned char *priv;

	ASSERT_EQ(0, write_pattern(self->fd, 0, self->page, 17));
	priv = mmap(NULL, self->page, PROT_READ, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, priv);
	if (!expect_cow(variant)) {
		EXPECT_EQ(-1, mprotect(priv, self->page, RW));
		EXPECT_EQ(EACCES, errno);
	} else {
		ASSERT_EQ(0, mprotect(priv, self->page, RW));
		priv[0] ^= 0xff;
		EXPECT_EQ(0, read_check_pattern(self->fd, 0, self->page, 17));
	}
	munmap(priv, self->page);
}

/*
 * VM_DONTEXPAND keeps a mapping inside the range mmap() checked against the
 * buffer.  mremap() refuses to grow such a VMA, in place or by moving it,
 * with EFAULT (vma_to_resize()), although the buffer has room to spare.
 */
TEST_F(mmapdemo, mremap_grow_fails_efault)
{
	size_t len = NPAGES * self->page;
	unsigned char *p;

	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 30));
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(MAP_FAILED, mremap(p, len, 2 * len, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(MAP_FAILED, mremap(p, len, 2 * len, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(len, check_pattern(p, len, 0, 30));
	munmap(p, len);
}

/*
 * MREMAP_DONTUNMAP leaves the old range mapped but empty, for faults to fill
 * again.  The core allows that only for VMAs it may rebuild that way, not
 * VM_DONTEXPAND or VM_PFNMAP ones (vma_to_resize()).
 */
TEST_F(mmapdemo, mremap_dontunmap_fails_einval)
{
	size_t len = NPAGES * self->page;
	unsigned char *p;

	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 31));
	p = map_shared(self, len, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(MAP_FAILED, mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(len, check_pattern(p, len, 0, 31));
	munmap(p, len);
}

/*
 * A PFN map refuses, with EINVAL, the advice that needs struct pages:
 * MADV_DONTNEED, which drops PTEs for faults to bring back, is not for
 * VM_PFNMAP (madvise_dontneed_free_valid_vma()), and MADV_POPULATE_*
 * faults pages in through get_user_pages(), which refuses VM_IO | VM_PFNMAP
 * (check_vma_flags()).  Nothing is lost: an eager PFN map has every PTE,
 * and a lazy one faults on first use.
 */
TEST_F(mmapdemo, madvise_dontneed_populate_fail_einval_on_pfn_maps)
{
	static const int advice[] = {
		MADV_DONTNEED, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
	};
	size_t len = NPAGES * self->page, i;
	unsigned char *p = map_shared(self, len, 0);
	int err;

	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < ARRAY_SIZE(advice); i++) {
		err = madvise(p, len, advice[i]) ? errno : 0;
		EXPECT_EQ(expect_madvise(variant) ? 0 : EINVAL, err)
			TH_LOG("advice %d: %s", advice[i], errno_name(err));
	}
	munmap(p, len);
}

/* In a child, through the mapping @p of the fork tests: abort() on a mismatch. */
static void child_writes(void *p)
{
	fill_pattern(p, NPAGES * page_size(), 0, 18);
}

static void child_checks(void *p)
{
	if (check_pattern(p, NPAGES * page_size(), 0, 19) != NPAGES * page_size())
		abort();
}

TEST_F(mmapdemo, fork_parent_sees_child_writes)
{
	size_t len = NPAGES * self->page;
	unsigned char *p = map_shared(self, len, 0);

	ASSERT_NE(MAP_FAILED, p);
	touch_pages(p, len);
	ASSERT_EQ(0, child_signal(child_writes, p));
	EXPECT_EQ(len, check_pattern(p, len, 0, 18));
	munmap(p, len);
}

TEST_F(mmapdemo, fork_child_sees_parent_writes)
{
	size_t len = NPAGES * self->page;
	unsigned char *p = map_shared(self, len, 0);

	ASSERT_NE(MAP_FAILED, p);
	fill_pattern(p, len, 0, 19);
	EXPECT_EQ(0, child_signal(child_checks, p));
	munmap(p, len);
}

/*
 * Two processes that share nothing but the device: the child opens and maps
 * it on its own and writes; the parent's earlier mapping sees the data.
 */
TEST_F(mmapdemo, unrelated_processes_share_buffer)
{
	size_t len = NPAGES * self->page, off = NPAGES * self->page;
	unsigned char *p = map_shared(self, len, off), *q;
	int status, fd;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, p);
	touch_pages(p, len);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(self->fd);
		munmap(p, len);
		fd = open_in_mode(variant, O_RDWR);
		q = fd < 0 ? MAP_FAILED : mmap(NULL, len, RW, MAP_SHARED, fd, off);
		if (q == MAP_FAILED)
			_exit(2);
		fill_pattern(q, len, off, 20);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(len, check_pattern(p, len, off, 20));
	munmap(p, len);
}

/*
 * process_vm_readv() takes the pages with get_user_pages() (the slow path,
 * which looks at the VMA): fine for struct pages, EFAULT for a VM_PFNMAP |
 * VM_IO mapping.
 */
TEST_F(mmapdemo, process_vm_readv_works_only_on_page_maps)
{
	size_t len = NPAGES * self->page;
	unsigned char *p = map_shared(self, len, 0), *buf = malloc(len);
	struct iovec local = { buf, len }, remote;
	ssize_t done;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(NULL, buf);
	fill_pattern(p, len, 0, 21);
	remote.iov_base = p;
	remote.iov_len = len;
	done = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (expect_gup(variant)) {
		EXPECT_EQ((ssize_t)len, done);
		EXPECT_EQ(len, check_pattern(buf, len, 0, 21));
	} else {
		EXPECT_EQ(-1, done);
		EXPECT_EQ(EFAULT, errno);
	}
	free(buf);
	munmap(p, len);
}

/*
 * /proc/pid/mem (and ptrace) work in every mode: through GUP for struct
 * pages, and through the driver's ->access for PFN maps, where GUP cannot go.
 */
TEST_F(mmapdemo, proc_self_mem_reads_and_writes_mapping)
{
	size_t len = NPAGES * self->page;
	unsigned char *p = map_shared(self, len, 0), *buf = malloc(len);
	int mem = open("/proc/self/mem", O_RDWR);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(NULL, buf);
	ASSERT_LE(0, mem);
	fill_pattern(p, len, 0, 22);
	EXPECT_EQ((ssize_t)len, pread(mem, buf, len, (uintptr_t)p));
	EXPECT_EQ(len, check_pattern(buf, len, 0, 22));

	/* Unaligned and across pages. */
	fill_pattern(buf, len - 100, 50, 23);
	EXPECT_EQ((ssize_t)(len - 100), pwrite(mem, buf, len - 100, (uintptr_t)p + 50));
	EXPECT_EQ(len - 100, check_pattern(p + 50, len - 100, 50, 23));
	EXPECT_EQ(0, read_check_pattern(self->fd, 50, len - 100, 23));
	close(mem);
	free(buf);
	munmap(p, len);
}

/*
 * vmsplice() takes the pages with GUP-fast, which reads the page tables
 * without looking at the VMA: it must refuse PFN maps on its own (their PTEs
 * are special), and hand struct pages to the pipe, which then holds them.
 * The pages are read first, so that fault-around maps some of them.
 */
TEST_F(mmapdemo, vmsplice_works_only_on_page_maps)
{
	size_t len = NPAGES * self->page;
	unsigned char *p = map_shared(self, len, 0), *buf = malloc(len);
	struct iovec iov = { .iov_len = len };
	int pipefd[2];
	ssize_t done;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, write_pattern(self->fd, 0, len, 25));
	touch_pages(p, len);
	iov.iov_base = p;
	done = vmsplice(pipefd[1], &iov, 1, SPLICE_F_NONBLOCK);
	if (expect_gup(variant)) {
		EXPECT_EQ((ssize_t)len, done);
		/* The pipe holds the pages themselves: later writes show. */
		ASSERT_EQ(0, write_pattern(self->fd, 0, len, 26));
		EXPECT_EQ((ssize_t)len, read(pipefd[0], buf, len));
		EXPECT_EQ(len, check_pattern(buf, len, 0, 26));
	} else {
		EXPECT_EQ(-1, done);
		EXPECT_EQ(EFAULT, errno);
	}
	close(pipefd[0]);
	close(pipefd[1]);
	free(buf);
	munmap(p, len);
}

/*
 * Registering the mapping as an io_uring fixed buffer pins its pages for
 * long (pin_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM)), the pin that
 * direct I/O takes for the length of a request.  It works on the struct
 * pages of a shared device mapping, and GUP refuses PFN maps.
 */
TEST_F(mmapdemo, io_uring_buffer_pins_only_page_maps)
{
	size_t len = NPAGES * self->page;
	unsigned char *p = map_shared(self, len, 0);
	struct io_uring_params params = { 0 };
	struct iovec iov = { .iov_len = len };
	int ring, ret;

	ASSERT_NE(MAP_FAILED, p);
	ring = syscall(__NR_io_uring_setup, 1, &params);
	if (ring < 0) {
		munmap(p, len);
		SKIP(return, "io_uring_setup: %s", strerror(errno));
	}
	iov.iov_base = p;
	ret = syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1);
	if (ret && errno == EOPNOTSUPP && expect_gup(variant)) {
		/* An older io_uring refuses file-backed memory itself. */
		close(ring);
		munmap(p, len);
		SKIP(return, "this kernel's io_uring takes no file-backed buffers");
	}
	EXPECT_EQ(expect_gup(variant) ? 0 : EFAULT, ret ? errno : 0);
	if (!ret)
		EXPECT_EQ(0, syscall(__NR_io_uring_register, ring,
				     IORING_UNREGISTER_BUFFERS, NULL, 0));
	close(ring);
	munmap(p, len);
}

/* Not even a debugger writes through a read-only shared mapping. */
TEST_F(mmapdemo, proc_self_mem_cannot_write_readonly_mapping)
{
	unsigned char *p = mmap(NULL, self->page, PROT_READ, MAP_SHARED, self->fd, 0);
	int mem = open("/proc/self/mem", O_RDWR);
	unsigned char byte = 0x5a;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_LE(0, mem);
	ASSERT_EQ(0, write_pattern(self->fd, 0, self->page, 24));
	EXPECT_EQ(-1, pwrite(mem, &byte, 1, (uintptr_t)p));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, self->page, 24));
	close(mem);
	munmap(p, self->page);
}

/* Past the end of the mapping there is nothing: SIGSEGV, not a hang. */
TEST_F(mmapdemo, access_past_mapping_segfaults)
{
	size_t len = 2 * self->page;
	unsigned char *area, *p;

	/* Reserve three pages, map two, leave a hole behind them. */
	area = mmap(NULL, len + self->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	p = mmap(area, len, RW, MAP_SHARED | MAP_FIXED, self->fd, 0);
	ASSERT_EQ(area, p);
	ASSERT_EQ(0, munmap(area + len, self->page));

	EXPECT_EQ(0, read_signal(p + len - 1));
	EXPECT_EQ(SIGSEGV, read_signal(p + len));
	EXPECT_EQ(SIGSEGV, write_signal(p + len));
	munmap(p, len);
}

TEST_F(mmapdemo, write_to_readonly_mapping_segfaults)
{
	unsigned char *p = mmap(NULL, self->page, PROT_READ, MAP_SHARED, self->fd, 0);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, read_signal(p));
	EXPECT_EQ(SIGSEGV, write_signal(p));
	munmap(p, self->page);
}

TEST_F(mmapdemo, access_after_munmap_segfaults)
{
	unsigned char *p = map_shared(self, self->page, 0);

	ASSERT_NE(MAP_FAILED, p);
	touch_pages(p, self->page);
	ASSERT_EQ(0, munmap(p, self->page));
	EXPECT_EQ(SIGSEGV, read_signal(p));
}

/*
 * msync(MS_SYNC), fsync() and fdatasync() succeed in every mode: what a
 * mapping stored is in the buffer at once, with nothing to write back.
 */
TEST_F(mmapdemo, msync_fsync_fdatasync_succeed)
{
	size_t len = NPAGES * self->page;
	unsigned char *p = map_shared(self, len, 0);

	ASSERT_NE(MAP_FAILED, p);
	fill_pattern(p, len, 0, 40);
	EXPECT_EQ(0, msync(p, len, MS_SYNC));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(0, fdatasync(self->fd));
	EXPECT_EQ(0, read_check_pattern(self->fd, 0, len, 40));
	munmap(p, len);
}

/*
 * splice() and sendfile() move the buffer's bytes to and from a pipe or
 * another file.  copy_file_range() takes regular files only, and fails
 * with EINVAL on a device: a program falls back to sendfile(), or to
 * read() and write().
 */
TEST(splice_and_sendfile_reach_the_buffer)
{
	size_t len = 4 * page_size();
	int fd = OPEN_OR_SKIP(O_RDWR), pipefd[2], memfd;
	unsigned char *buf = malloc(len);
	off_t off = 0, moff = 0;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pipe(pipefd));
	memfd = memfd_create("mmapdemo", 0);
	ASSERT_LE(0, memfd);

	/*
	 * The device into a pipe: a copy, which later writes to the buffer
	 * do not change; and a pipe into the device.
	 */
	ASSERT_EQ(0, write_pattern(fd, 0, len, 41));
	ASSERT_EQ(len, splice(fd, &off, pipefd[1], NULL, len, 0));
	ASSERT_EQ(0, write_pattern(fd, 0, len, 44));
	ASSERT_EQ(len, read(pipefd[0], buf, len));
	EXPECT_EQ(len, check_pattern(buf, len, 0, 41));
	ASSERT_EQ(0, write_pattern(fd, 0, len, 41));
	fill_pattern(buf, len, len, 42);
	ASSERT_EQ(len, write(pipefd[1], buf, len));
	off = len;
	ASSERT_EQ(len, splice(pipefd[0], NULL, fd, &off, len, 0));
	EXPECT_EQ(0, read_check_pattern(fd, len, len, 42));

	/* The device into a memfd, and a memfd into the device. */
	off = 0;
	ASSERT_EQ(len, sendfile(memfd, fd, &off, len));
	ASSERT_EQ(len, pread(memfd, buf, len, 0));
	EXPECT_EQ(len, check_pattern(buf, len, 0, 41));
	fill_pattern(buf, len, 2 * len, 43);
	ASSERT_EQ(len, pwrite(memfd, buf, len, 0));
	ASSERT_EQ(2 * len, lseek(fd, 2 * len, SEEK_SET));
	ASSERT_EQ(len, sendfile(fd, memfd, &moff, len));
	EXPECT_EQ(0, read_check_pattern(fd, 2 * len, len, 43));

	off = moff = 0;
	EXPECT_EQ(-1, copy_file_range(fd, &off, memfd, &moff, len, 0));
	EXPECT_EQ(EINVAL, errno);
	close(memfd);
	close(pipefd[0]);
	close(pipefd[1]);
	free(buf);
	close(fd);
}

/* The file operations other than mmap(), mode-independent. */
TEST(read_write_llseek_stay_inside_buffer)
{
	struct mmapdemo_info info;
	char buf[16] = "0123456789abcdef";
	int fd = OPEN_OR_SKIP(O_RDWR);

	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_INFO, &info));
	EXPECT_EQ((off_t)info.size, lseek(fd, 0, SEEK_END));
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	/* Writing at the end: no space; across it: a short write. */
	EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(4, pwrite(fd, buf, sizeof(buf), info.size - 4));
	EXPECT_EQ(4, pread(fd, buf, sizeof(buf), info.size - 4));
	EXPECT_EQ(0, memcmp(buf, "0123", 4));
	EXPECT_EQ(-1, lseek(fd, info.size + 1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/*
 * Read @ioc (an _IOR of a struct of @size bytes) at the older size @old as
 * well: the first field the same, nothing written past @old.  A size the
 * struct never had is another command.
 */
static void check_older_size(struct __test_metadata *_metadata, int fd,
			     unsigned int ioc, size_t old, size_t size)
{
	unsigned char raw[512];
	__u64 now, then;
	size_t i;

	ASSERT_LE(size + 8, sizeof(raw));
	memset(raw, 0xa5, sizeof(raw));
	ASSERT_EQ(0, ioctl(fd, ioc, raw));
	memcpy(&now, raw, sizeof(now));
	memset(raw, 0xa5, sizeof(raw));
	ASSERT_EQ(0, ioctl(fd, _IOC(_IOC_READ, MMAPDEMO_IOC_MAGIC, _IOC_NR(ioc),
				    old), raw));
	memcpy(&then, raw, sizeof(then));
	EXPECT_EQ(now, then);
	for (i = old; i < size; i++)
		EXPECT_EQ(0xa5, raw[i]) TH_LOG("byte %zu written", i);
	EXPECT_EQ(-1, ioctl(fd, _IOC(_IOC_READ, MMAPDEMO_IOC_MAGIC, _IOC_NR(ioc),
				     size + 8), raw));
	EXPECT_EQ(ENOTTY, errno);
}

/*
 * struct mmapdemo_info and struct mmapdemo_stats only grow at their end, and
 * the driver answers each size they have had: a program built when info
 * ended at huge_pages, or stats at bytes_written, still gets those fields.
 */
TEST(ioctls_answer_older_struct_sizes)
{
	int fd = OPEN_OR_SKIP(O_RDONLY);

	check_older_size(_metadata, fd, MMAPDEMO_IOC_INFO,
			 offsetofend(struct mmapdemo_info, huge_pages),
			 sizeof(struct mmapdemo_info));
	check_older_size(_metadata, fd, MMAPDEMO_IOC_STATS,
			 offsetof(struct mmapdemo_stats, vma_lock_faults),
			 sizeof(struct mmapdemo_stats));
	close(fd);
}

TEST_HARNESS_MAIN
