// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel tells a process about one of its mappings: the clock and
 * fault count around a touch, /proc/self/pagemap, the VmFlags line of
 * /proc/self/smaps, and whether get_user_pages() works on it, as seen
 * through process_vm_readv().  And the module's parameters, which decide
 * some of that.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define PM_PRESENT (1ULL << 63)

size_t page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Read each page of [p, p + len) once. */
void touch_pages(const volatile unsigned char *p, size_t len)
{
	size_t i, page = page_size();

	for (i = 0; i < len; i += page)
		(void)p[i];
}

/* -errno if pagemap cannot be read. */
long pages_present(const void *addr, size_t len)
{
	size_t page = page_size(), nr = (len + page - 1) / page, i, n;
	off_t off = (uintptr_t)addr / page * sizeof(uint64_t);
	uint64_t entries[512];
	long present = 0;
	ssize_t got;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (; nr; nr -= n, off += n * sizeof(entries[0])) {
		n = nr < ARRAY_SIZE(entries) ? nr : ARRAY_SIZE(entries);
		got = pread(fd, entries, n * sizeof(entries[0]), off);
		if (got != (ssize_t)(n * sizeof(entries[0]))) {
			close(fd);
			return got < 0 ? -errno : -EIO;
		}
		for (i = 0; i < n; i++)
			present += !!(entries[i] & PM_PRESENT);
	}
	close(fd);
	return present;
}

static char *trim(char *s)
{
	size_t len;

	s += strspn(s, " ");
	len = strlen(s);
	while (len && s[len - 1] == ' ')
		s[--len] = '\0';
	return s;
}

/* "rd wr sh mr mw me ms de dd", say; 0 or -errno. */
int vma_flags(const void *addr, char *flags, size_t size)
{
	unsigned long start, end, want = (uintptr_t)addr;
	bool in_vma = false;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in_vma = start <= want && want < end;
		} else if (in_vma && !strncmp(line, "VmFlags:", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(flags, size, "%s", trim(line + 8));
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -ENOENT;
}

bool vma_has_flag(const char *flags, const char *flag)
{
	size_t len = strlen(flag);
	const char *p;

	for (p = flags; (p = strstr(p, flag)); p += len)
		if ((p == flags || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\n' || !p[len]))
			return true;
	return false;
}

void vma_flags_pick(const char *flags, const char *want, char *out, size_t size)
{
	char flag[8];
	size_t used = 0;
	int len;

	out[0] = '\0';
	for (; sscanf(want, " %7s%n", flag, &len) == 1; want += len)
		if (vma_has_flag(flags, flag) && used < size)
			used += snprintf(out + used, size - used, "%s%s",
					 used ? " " : "", flag);
	if (!used)
		snprintf(out, size, "-");
}

int module_param_bool(const char *name)
{
	char path[128], val[8];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/mmapdemo/parameters/%s",
		 name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, val, sizeof(val) - 1);
	close(fd);
	if (len <= 0)
		return len ? -errno : -EIO;
	return val[0] == 'Y' || val[0] == '1';
}

int module_param_set_bool(const char *name, bool val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/module/mmapdemo/parameters/%s",
		 name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val ? "Y" : "N", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

int gup_read(const void *addr)
{
	unsigned char byte;
	struct iovec local = { &byte, 1 };
	struct iovec remote = { (void *)addr, 1 };

	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == 1)
		return 0;
	return errno ? -errno : -EIO;
}
