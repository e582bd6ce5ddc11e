// SPDX-License-Identifier: GPL-2.0
/*
 * What the benchmark maps: every mode the driver has, and the kernel's own
 * kinds of memory to compare them with.
 *
 *	anon		private anonymous memory in 4 KiB pages, faulted in
 *	anon-pop	the same with MAP_POPULATE
 *	memfd		a memfd (shmem) written beforehand, shared, faulted in
 *	memfd-pop	the same with MAP_POPULATE
 *	thp		anonymous memory with MADV_HUGEPAGE, faulted in
 *	hugetlb		anonymous MAP_HUGETLB memory, faulted in
 *
 * Every mapping is read-write, at an address aligned to 2 MiB so that the
 * huge kinds can use PMDs.  The anonymous 4 KiB peers run with THP disabled
 * for the process (PR_SET_THP_DISABLE): with THP "always" they would
 * otherwise be huge pages too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "bench.h"

#define THP_ENABLED   "/sys/kernel/mm/transparent_hugepage/enabled"
#define FAULT_AROUND  "/sys/kernel/debug/fault_around_bytes"
#define PREFILL_CHUNK (64 * 1024)

static void *map_at(void *hint, size_t len, int flags, int fd)
{
	if (hint)
		flags |= MAP_FIXED_NOREPLACE;
	return mmap(hint, len, PROT_READ | PROT_WRITE, flags, fd, 0);
}

static void *device_map(struct bench_subject *s, size_t len, void *hint)
{
	return map_at(hint, len, MAP_SHARED, s->fd);
}

static const struct bench_ops device_ops = {
	.map = device_map,
};

/*
 * Fault mode without fault-around: the driver reads its fault_around
 * parameter at mmap() time, so turn it off for this mmap() alone.
 */
static void *device_no_around_map(struct bench_subject *s, size_t len,
				  void *hint)
{
	int old = module_param_bool("fault_around"), err;
	void *p;

	err = old < 0 ? old : module_param_set_bool("fault_around", false);
	if (err) {
		errno = -err;
		return MAP_FAILED;
	}
	p = device_map(s, len, hint);
	err = errno;
	module_param_set_bool("fault_around", old);
	errno = err;
	return p;
}

static const struct bench_ops device_no_around_ops = {
	.map = device_no_around_map,
};

static void *anon_map(struct bench_subject *s, size_t len, void *hint)
{
	(void)s;
	return map_at(hint, len, MAP_PRIVATE | MAP_ANONYMOUS, -1);
}

static void *anon_pop_map(struct bench_subject *s, size_t len, void *hint)
{
	(void)s;
	return map_at(hint, len, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		      -1);
}

/* A memfd of @len bytes, every page of it written, in s->fd. */
static int memfd_prepare(struct bench_subject *s, size_t len)
{
	static char chunk[PREFILL_CHUNK];
	size_t done, n;

	if (s->fd >= 0 && s->fd_len == len)
		return 0;
	if (s->fd >= 0)
		close(s->fd);
	s->fd_len = 0;
	s->fd = memfd_create("mmapdemo-bench", MFD_CLOEXEC);
	if (s->fd < 0)
		return -errno;
	memset(chunk, 0x5a, sizeof(chunk));
	for (done = 0; done < len; done += n) {
		n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
		if (pwrite(s->fd, chunk, n, done) != (ssize_t)n)
			return errno ? -errno : -EIO;
	}
	s->fd_len = len;
	return 0;
}

static void *memfd_map(struct bench_subject *s, size_t len, void *hint)
{
	return map_at(hint, len, MAP_SHARED, s->fd);
}

static void *memfd_pop_map(struct bench_subject *s, size_t len, void *hint)
{
	return map_at(hint, len, MAP_SHARED | MAP_POPULATE, s->fd);
}

/* The word in [brackets] of a sysfs choice file, or "?". */
static void sysfs_choice(const char *path, char *buf, size_t size)
{
	char line[128], *start, *end;
	FILE *f = fopen(path, "re");

	snprintf(buf, size, "?");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		start = strchr(line, '[');
		end = start ? strchr(start, ']') : NULL;
		if (end)
			snprintf(buf, size, "%.*s", (int)(end - start - 1),
				 start + 1);
	}
	fclose(f);
}

static bool not_huge_multiple(size_t len, size_t huge, char *why, size_t size)
{
	if (!(len % huge))
		return false;
	snprintf(why, size, "not a multiple of %zu MiB", huge >> 20);
	return true;
}

static bool thp_unavailable(struct bench_subject *s, size_t len, char *why,
			    size_t size)
{
	char setting[32];

	(void)s;
	sysfs_choice(THP_ENABLED, setting, sizeof(setting));
	if (strcmp(setting, "always") && strcmp(setting, "madvise")) {
		snprintf(why, size, "THP %s", setting);
		return true;
	}
	return not_huge_multiple(len, BENCH_HUGE, why, size);
}

static void *thp_map(struct bench_subject *s, size_t len, void *hint)
{
	void *p = anon_map(s, len, hint);
	int err;

	if (p == MAP_FAILED || !madvise(p, len, MADV_HUGEPAGE))
		return p;
	err = errno;
	munmap(p, len);
	errno = err;
	return MAP_FAILED;
}

/* A number from /proc/meminfo ("HugePages_Free:"), or 0. */
static unsigned long meminfo(const char *key)
{
	unsigned long val = 0;
	size_t len = strlen(key);
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) &&
		    sscanf(line + len, "%lu", &val) == 1)
			break;
	fclose(f);
	return val;
}

static bool hugetlb_unavailable(struct bench_subject *s, size_t len, char *why,
				size_t size)
{
	size_t huge = meminfo("Hugepagesize:") * 1024;
	unsigned long free = meminfo("HugePages_Free:");

	(void)s;
	if (!huge) {
		snprintf(why, size, "no hugetlbfs");
		return true;
	}
	if (not_huge_multiple(len, huge, why, size))
		return true;
	if (free < len / huge) {
		snprintf(why, size, "%lu huge pages free (nr_hugepages)", free);
		return true;
	}
	return false;
}

static void *hugetlb_map(struct bench_subject *s, size_t len, void *hint)
{
	(void)s;
	return map_at(hint, len, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1);
}

static const struct {
	const char *name;
	struct bench_ops ops;
} peers[BENCH_PEERS] = {
	{ "anon", { .map = anon_map, .no_thp = true } },
	{ "anon-pop", { .map = anon_pop_map, .no_thp = true } },
	{ "memfd", { .prepare = memfd_prepare, .map = memfd_map } },
	{ "memfd-pop", { .prepare = memfd_prepare, .map = memfd_pop_map } },
	{ "thp", { .unavailable = thp_unavailable, .map = thp_map } },
	{ "hugetlb",
	  { .unavailable = hugetlb_unavailable, .map = hugetlb_map } },
};

const char *bench_peer_name(unsigned int i)
{
	return i < ARRAY_SIZE(peers) ? peers[i].name : NULL;
}

/* Every mode @dev has, each with a file of its own, then the peers. */
unsigned int bench_subjects(int dev, struct bench_subject *subjects)
{
	uint32_t present = modes_present(dev);
	struct bench_subject *s = subjects;
	unsigned int mode, i;

	for (mode = 0; mode < mode_count(); mode++) {
		if (!(present & (1u << mode)))
			continue;
		*s = (struct bench_subject){ .mode = mode, .ops = &device_ops };
		snprintf(s->name, sizeof(s->name), "%s", mode_name(mode));
		s->fd = device_open();
		if (device_set_mode(s->fd, mode))
			die_err(EINVAL, "%s: mode %s", device_path, s->name);
		s++;
		if (mode != MMAPDEMO_MODE_FAULT ||
		    module_param_bool("fault_around") < 0)
			continue;
		/* The same without fault-around, to show what it is worth. */
		s[0] = s[-1];
		s->ops = &device_no_around_ops;
		s->fd = device_open();
		device_set_mode(s->fd, mode);
		snprintf(s->name, sizeof(s->name), "%s", BENCH_NO_AROUND);
		s++;
	}
	for (i = 0; i < ARRAY_SIZE(peers); i++, s++) {
		*s = (struct bench_subject){ .peer = true,
					     .fd = -1,
					     .ops = &peers[i].ops };
		snprintf(s->name, sizeof(s->name), "%s", peers[i].name);
	}
	return s - subjects;
}

void bench_subjects_close(struct bench_subject *subjects, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (subjects[i].fd >= 0)
			close(subjects[i].fd);
}

void bench_thp_disable(bool disable)
{
	prctl(PR_SET_THP_DISABLE, disable ? 1 : 0, 0, 0, 0);
}

/* "THP always, fault_around_bytes 65536, 128 huge pages of 2048 kB free" */
void bench_describe_kernel(char *buf, size_t size)
{
	char thp[32], around[32] = "?";
	FILE *f = fopen(FAULT_AROUND, "re");

	sysfs_choice(THP_ENABLED, thp, sizeof(thp));
	if (f) {
		if (!fgets(around, sizeof(around), f))
			snprintf(around, sizeof(around), "?");
		around[strcspn(around, "\n")] = '\0';
		fclose(f);
	}
	snprintf(buf, size,
		 "THP %s, fault_around_bytes %s, %lu huge pages of %lu kB free",
		 thp, around, meminfo("HugePages_Free:"),
		 meminfo("Hugepagesize:"));
}
