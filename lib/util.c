// SPDX-License-Identifier: GPL-2.0
/*
 * What the mmapdemo tool and selftests both ask of the kernel and the device:
 * page size and faults, pagemap and smaps, module parameters, tracefs, test
 * patterns, module loading.  Nothing here depends on the kselftest harness.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define PM_PRESENT  (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define PARAMS	    "/sys/module/mmapdemo/parameters/"

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

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

const char *errno_name(int err)
{
	const char *name = err ? strerrorname_np(err) : "0";

	return name ? name : "E?";
}

/*
 * The read ioctl @cmd into @arg, a struct that only ever grows at its end:
 * at its full size, else at @old_size, the size a driver older than this
 * header answers (it has no command of the full size: ENOTTY).  What the
 * driver did not fill in is zero.  0 or -errno.
 */
static int ioctl_grown(int fd, unsigned long cmd, void *arg, size_t old_size)
{
	memset(arg, 0, _IOC_SIZE(cmd));
	if (!ioctl(fd, cmd, arg))
		return 0;
	if (errno != ENOTTY)
		return -errno;
	cmd = _IOC(_IOC_READ, _IOC_TYPE(cmd), _IOC_NR(cmd), old_size);
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int device_stats(int fd, struct mmapdemo_stats *st)
{
	return ioctl_grown(fd, MMAPDEMO_IOC_STATS, st,
			   offsetofend(struct mmapdemo_stats, resets));
}

int device_read_info(int fd, struct mmapdemo_info *info)
{
	int ret = ioctl_grown(fd, MMAPDEMO_IOC_INFO, info,
			      offsetofend(struct mmapdemo_info, huge_pages));

	/* The driver sets MMAPDEMO_LEVEL_PTE always, if it knows of levels. */
	if (!ret && !info->levels) {
		info->levels = MMAPDEMO_LEVEL_PTE |
			       (info->huge_pages ? MMAPDEMO_LEVEL_PMD : 0);
		info->pmd_pages = info->huge_pages;
	}
	return ret;
}

long read_long(const char *path)
{
	long val = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%ld", &val) != 1)
			val = -1;
		fclose(f);
	}
	return val;
}

unsigned long pmd_pages(void)
{
	long size =
		read_long("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");

	return (size > 0 ? (size_t)size : 2UL << 20) / page_size();
}

unsigned long pud_pages(void)
{
	return pmd_pages() * (page_size() / sizeof(uint64_t));
}

long lazy_pages(const struct mmapdemo_stats *before,
		const struct mmapdemo_stats *after)
{
	return (after->faults - before->faults) +
	       (after->around_pages - before->around_pages) +
	       (after->huge_faults - before->huge_faults) * pmd_pages() +
	       (after->pud_faults - before->pud_faults) * pud_pages();
}

long driver_lazy_pages(int fd)
{
	static const struct mmapdemo_stats zero;
	struct mmapdemo_stats st;

	return device_stats(fd, &st) ? -1 : lazy_pages(&zero, &st);
}

unsigned long fault_around_pages(void)
{
	long bytes = read_long("/sys/kernel/debug/fault_around_bytes");

	return bytes > 0 ? bytes / page_size() : 16;
}

int read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return -errno;
	buf[len] = '\0';
	return 0;
}

long proc_field_sum(const char *path, const char *key)
{
	char line[256], name[64];
	long sum = -1, val;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %63[^:]: %ld", name, &val) == 2 &&
		    !strcmp(name, key))
			sum = (sum < 0 ? 0 : sum) + val;
	fclose(f);
	return sum;
}

int read_param(const char *name, char *buf, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	return read_small_file(path, buf, size);
}

int write_param(const char *name, const char *val)
{
	char path[128];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	len = write(fd, val, strlen(val));
	close(fd);
	return len < 0 ? -errno : 0;
}

bool kernel_has_per_vma_locks(void)
{
	struct utsname u;
	int major, minor;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	/* CONFIG_PER_VMA_LOCK is always on for x86-64 SMP since 6.4. */
	return !strcmp(u.machine, "x86_64") &&
	       (major > 6 || (major == 6 && minor >= 4));
}

void *reserve(size_t len)
{
	return mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

void *reserve_aligned(size_t len, size_t align)
{
	unsigned char *area = reserve(len + align), *p;
	size_t head;

	if (area == MAP_FAILED)
		return area;
	p = (unsigned char *)(((uintptr_t)area + align - 1) &
			      ~(uintptr_t)(align - 1));
	head = p - area;
	if (head)
		munmap(area, head);
	munmap(p + len, align - head);
	return p;
}

/* Minor faults for reading pages [lo, hi) of one page table, in order. */
static long table_faults(unsigned long first, unsigned long end,
			 unsigned long table_end, unsigned long window,
			 unsigned long lo, unsigned long hi)
{
	unsigned long pos = lo, from, to;
	long faults = 0;

	while (pos < hi) {
		faults++;
		/* As do_fault_around(): aligned, cut to the VMA and the table. */
		from = pos / window * window;
		if (from < first)
			from = first;
		to = from + window;
		if (to > table_end)
			to = table_end;
		if (to > end)
			to = end;
		pos = to > pos ? to : pos + 1;
	}
	return faults;
}

void read_fault_range(const struct fault_model *m, const void *addr,
		      unsigned long pgoff, unsigned long nr, long *min,
		      long *max)
{
	unsigned long pmd = pmd_pages(), first = (uintptr_t)addr / page_size();
	unsigned long end = first + nr, table, table_end, lo, hi, off;
	long fresh, warm;

	*min = *max = 0;
	if (m->eager)
		return;
	for (table = first / pmd * pmd; table < end; table += pmd) {
		table_end = table + pmd;
		lo = table > first ? table : first;
		hi = table_end < end ? table_end : end;
		off = pgoff + (table - first);
		/* A whole table of the mapping: no other mapping shares it. */
		if (lo == table && hi == table_end) {
			if (table >= first && !(off % pmd) &&
			    off + pmd <= m->huge_pages) {
				++*min;
				++*max;
				continue;
			}
			fresh = 1 + table_faults(first, end, table_end,
						 m->window, lo + 1, hi);
			*min += m->window > 1 ? fresh : (long)(hi - lo);
			*max += m->window > 1 ? fresh : (long)(hi - lo);
			continue;
		}
		warm = table_faults(first, end, table_end, m->window, lo, hi);
		fresh = 1 + table_faults(first, end, table_end, m->window,
					 lo + 1, hi);
		*min += warm < fresh ? warm : fresh;
		*max += warm < fresh ? fresh : warm;
	}
}

void touch_pages(const volatile unsigned char *p, size_t len)
{
	size_t i, page = page_size();

	for (i = 0; i < len; i += page)
		(void)p[i];
}

unsigned long page_pfn(const void *addr)
{
	off_t off = (uintptr_t)addr / page_size() * sizeof(uint64_t);
	uint64_t entry = 0;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), off) != sizeof(entry))
		entry = 0;
	close(fd);
	return entry & PM_PRESENT ? entry & PM_PFN_MASK : 0;
}

long page_mapcount(unsigned long pfn)
{
	uint64_t count;
	int fd;

	fd = open("/proc/kpagecount", O_RDONLY);
	if (fd < 0)
		return -errno;
	if (pread(fd, &count, sizeof(count), pfn * sizeof(count)) !=
	    sizeof(count)) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return count;
}

long vmstat(const char *key)
{
	char line[128], name[64];
	long val;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld", name, &val) == 2 &&
		    !strcmp(name, key)) {
			fclose(f);
			return val;
		}
	}
	fclose(f);
	return -1;
}

long pages_present(const void *addr, unsigned long nr)
{
	size_t page = page_size();
	off_t off = (uintptr_t)addr / page * sizeof(uint64_t);
	uint64_t entries[512];
	unsigned long i, n;
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

int vma_flags(const void *addr, char *flags, size_t size)
{
	unsigned long start, end, want = (uintptr_t)addr;
	bool in_vma = false;
	char line[512], *p;
	size_t len;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in_vma = start <= want && want < end;
		} else if (in_vma && !strncmp(line, "VmFlags:", 8)) {
			p = line + 8 + strspn(line + 8, " ");
			len = strcspn(p, "\n");
			while (len && p[len - 1] == ' ')
				len--;
			snprintf(flags, size, "%.*s", (int)len, p);
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

static __thread sigjmp_buf catch_jb;
static __thread volatile sig_atomic_t catching;

static void on_fault_signal(int sig)
{
	if (catching) {
		catching = 0;
		siglongjmp(catch_jb, sig);
	}
	/* The access, made again, kills the process. */
	signal(sig, SIG_DFL);
}

int thread_signal(void (*fn)(void *arg), void *arg)
{
	struct sigaction sa = { .sa_handler = on_fault_signal };
	int sig;

	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL))
		return -1;
	sig = sigsetjmp(catch_jb, 1);
	if (sig)
		return sig;
	catching = 1;
	fn(arg);
	catching = 0;
	return 0;
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
