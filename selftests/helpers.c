// SPDX-License-Identifier: GPL-2.0
/* Helpers of the mmapdemo selftests that do not depend on the harness. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

#define PM_PRESENT	(1ULL << 63)

size_t page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

long minor_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_minflt;
}

int device_stats(int fd, struct mmapdemo_stats *st)
{
	return ioctl(fd, MMAPDEMO_IOC_STATS, st) ? -errno : 0;
}

void touch_pages(const volatile unsigned char *p, size_t len)
{
	size_t i, page = page_size();

	for (i = 0; i < len; i += page)
		(void)p[i];
}

long pages_present(const void *addr, unsigned long nr)
{
	size_t page = page_size();
	off_t off = (uintptr_t)addr / page * sizeof(uint64_t);
	long present = 0;
	uint64_t entry;
	unsigned long i;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -errno;
	for (i = 0; i < nr; i++, off += sizeof(entry)) {
		if (pread(fd, &entry, sizeof(entry), off) != sizeof(entry)) {
			close(fd);
			return -EIO;
		}
		present += !!(entry & PM_PRESENT);
	}
	close(fd);
	return present;
}

int vma_flags(const void *addr, char *flags, size_t size)
{
	unsigned long start, end, want = (uintptr_t)addr;
	bool in_vma = false;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in_vma = start <= want && want < end;
		} else if (in_vma && !strncmp(line, "VmFlags:", 8)) {
			snprintf(flags, size, "%s", line + 8);
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -ENOENT;
}

bool has_vma_flag(const char *flags, const char *flag)
{
	size_t len = strlen(flag);
	const char *p;

	for (p = flags; (p = strstr(p, flag)); p += len)
		if ((p == flags || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\n' || !p[len]))
			return true;
	return false;
}

const char *vma_flag_mismatch(const char *flags, const char *want, bool present)
{
	static char flag[8];
	const char *p = want;
	int len;

	while (sscanf(p, " %7s%n", flag, &len) == 1) {
		if (has_vma_flag(flags, flag) != present)
			return flag;
		p += len;
	}
	return "";
}

unsigned char pattern_byte(size_t pos, unsigned int seed)
{
	size_t x = pos * 2654435761u + seed * 40503u + (pos >> 12);

	return (unsigned char)(x ^ (x >> 13) ^ (x >> 24));
}

void fill_pattern(unsigned char *buf, size_t len, size_t pos, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern_byte(pos + i, seed);
}

size_t check_pattern(const unsigned char *buf, size_t len, size_t pos,
		     unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != pattern_byte(pos + i, seed))
			return i;
	return len;
}

int write_pattern(int fd, size_t pos, size_t len, unsigned int seed)
{
	unsigned char *buf = malloc(len);
	ssize_t done;

	if (!buf)
		return -ENOMEM;
	fill_pattern(buf, len, pos, seed);
	done = pwrite(fd, buf, len, pos);
	free(buf);
	if (done < 0)
		return -errno;
	return done == (ssize_t)len ? 0 : -EIO;
}

int read_check_pattern(int fd, size_t pos, size_t len, unsigned int seed)
{
	unsigned char *buf = malloc(len);
	ssize_t done;
	int ret;

	if (!buf)
		return -ENOMEM;
	done = pread(fd, buf, len, pos);
	if (done < 0)
		ret = -errno;
	else if (done != (ssize_t)len)
		ret = -EIO;
	else
		ret = check_pattern(buf, len, pos, seed) != len;
	free(buf);
	return ret;
}

int child_signal(void (*fn)(void *arg), void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fn(arg);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void read_byte(void *addr)
{
	(void)*(volatile unsigned char *)addr;
}

int read_signal(const void *addr)
{
	return child_signal(read_byte, (void *)addr);
}

static void write_byte(void *addr)
{
	*(volatile unsigned char *)addr = 1;
}

int write_signal(void *addr)
{
	return child_signal(write_byte, addr);
}

const char *module_path(void)
{
	return getenv("MMAPDEMO_KO");
}

int module_unload(void)
{
	return syscall(SYS_delete_module, "mmapdemo", O_NONBLOCK) ? -errno : 0;
}

int module_load(const char *params)
{
	const char *path = module_path();
	int fd, ret;

	if (!path)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}
