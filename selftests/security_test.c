// SPDX-License-Identifier: GPL-2.0
/*
 * What the driver shows to whom, and lets whom do what.  The device node is
 * root's alone by default, and so are its counters (the stats ioctl); only
 * CAP_SYS_ADMIN may reset or remove the device; the page frame
 * numbers in the fault tracepoint sit behind tracefs, which only root can
 * read.  The ioctls return sizes and counts, never an address, and never
 * stack bytes the kernel did not write: every field is set, and the unused
 * slots of their structs are zero.
 *
 * That fresh pages read zero even with init_on_alloc=0 is proved by
 * module_test's fresh_buffer_reads_zero.
 */
#include <grp.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "mmapdemo_test.h"

#define NOBODY		65534
#define POISON		0xa5

/* Files only root may open, and how a test opens them. */
static const struct {
	const char *path;
	int flags;
} root_only[] = {
	{ DEVICE, O_RDONLY },
	{ DEVICE, O_RDWR },
	{ "/sys/kernel/tracing/trace", O_RDONLY },
	{ "/sys/kernel/tracing/trace_pipe", O_RDONLY | O_NONBLOCK },
};

/*
 * What child @pid, which dropped some privilege and tried a call, says: the
 * errno the call failed with, 0 if it worked, or -1 if the child could not
 * drop the privilege (it exits with 255) or did not exit.
 */
static int child_errno(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) == 255 ? -1 : WEXITSTATUS(status);
}

/* Become "nobody" and open @path: see child_errno(). */
static int open_as_nobody(const char *path, int flags)
{
	pid_t pid = fork();
	int fd;

	if (!pid) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(255);
		fd = open(path, flags);
		_exit(fd < 0 ? errno : 0);
	}
	return child_errno(pid);
}

TEST(device_node_is_root_only)
{
	struct stat sb;

	ASSERT_EQ(0, stat(DEVICE, &sb));
	EXPECT_TRUE(S_ISCHR(sb.st_mode));
	EXPECT_EQ(0600, sb.st_mode & 07777);
	EXPECT_EQ(0, sb.st_uid);
	EXPECT_EQ(0, sb.st_gid);
}

/* Root's view of each file must exist, or the check below proves nothing. */
TEST(other_users_cannot_open_device_or_trace)
{
	size_t i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(root_only); i++) {
		fd = open(root_only[i].path, root_only[i].flags);
		ASSERT_LE(0, fd) TH_LOG("root cannot open %s: %s",
					root_only[i].path, strerror(errno));
		close(fd);
		EXPECT_EQ(EACCES, open_as_nobody(root_only[i].path,
						 root_only[i].flags))
			TH_LOG("%s", root_only[i].path);
	}
}

/*
 * Drop CAP_SYS_ADMIN from the effective set and try @cmd on @fd: see
 * child_errno().
 */
static int ioctl_without_sys_admin(int fd, unsigned long cmd)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	pid_t pid = fork();

	if (!pid) {
		if (syscall(SYS_capget, &hdr, data))
			_exit(255);
		data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &=
			~CAP_TO_MASK(CAP_SYS_ADMIN);
		if (syscall(SYS_capset, &hdr, data))
			_exit(255);
		_exit(ioctl(fd, cmd) ? errno : 0);
	}
	return child_errno(pid);
}

/* Even on a file root opened read-write: the capability decides. */
TEST(reset_and_remove_need_cap_sys_admin)
{
	struct mmapdemo_stats before, after;
	int fd = OPEN_OR_SKIP(O_RDWR);

	ASSERT_EQ(0, device_stats(fd, &before));
	EXPECT_EQ(EPERM, ioctl_without_sys_admin(fd, MMAPDEMO_IOC_RESET));
	EXPECT_EQ(EPERM, ioctl_without_sys_admin(fd, MMAPDEMO_IOC_REMOVE));
	ASSERT_EQ(0, device_stats(fd, &after));
	EXPECT_EQ(before.resets, after.resets);
	EXPECT_EQ(0, access(DEVICE, F_OK)) TH_LOG("the device was removed");
	close(fd);
}

/*
 * Every field describes the buffer, and is consistent with the others: none
 * can hold a stale 0xa5a5a5a5.
 */
TEST(info_ioctl_fills_every_byte_and_no_address)
{
	struct mmapdemo_info info;
	int fd = OPEN_OR_SKIP(O_RDONLY);

	memset(&info, POISON, sizeof(info));
	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_INFO, &info));
	close(fd);
	EXPECT_EQ(info.pages * page_size(), info.size);
	EXPECT_LE(1, info.chunks);
	EXPECT_GE(info.pages, info.chunks);
	EXPECT_GE(info.pages, 1ULL << info.max_order);
	/* Tiny next to the buffer: a few words per chunk, 2 bits per page. */
	EXPECT_GE(64 * info.chunks + info.pages / 4 + 256, info.meta_bytes);
	EXPECT_GT(nr_modes(), info.default_mode);
	/* Prefixes of the buffer, in whole PUDs and PMDs. */
	EXPECT_EQ(MMAPDEMO_LEVEL_PTE, info.levels & ~(MMAPDEMO_LEVEL_PMD |
						      MMAPDEMO_LEVEL_PUD));
	EXPECT_EQ(0, info.reserved);
	EXPECT_GE(info.pages, info.pmd_pages);
	EXPECT_GE(info.pmd_pages, info.pud_pages);
	EXPECT_EQ(0, info.pmd_pages % pmd_pages());
	EXPECT_EQ(0, info.pud_pages % pud_pages());
	EXPECT_EQ(info.levels & MMAPDEMO_LEVEL_PMD ? info.pmd_pages : 0,
		  info.huge_pages);
	TH_LOG("levels %#x; %llu of %llu pages in 2 MiB chunks, %llu in 1 GiB",
	       info.levels, info.pmd_pages, info.pages, info.pud_pages);
}

/* Slots of modes the driver does not have must be zero, not stack bytes. */
TEST(stats_ioctl_fills_every_byte)
{
	struct mmapdemo_stats st;
	int fd = OPEN_OR_SKIP(O_RDONLY);
	unsigned int i;

	memset(&st, POISON, sizeof(st));
	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_STATS, &st));
	close(fd);
	for (i = nr_modes(); i < ARRAY_SIZE(st.mmaps); i++)
		EXPECT_EQ(0, st.mmaps[i]) TH_LOG("mmaps[%u]", i);
	EXPECT_LE(1, st.opens);
}

TEST_HARNESS_MAIN
