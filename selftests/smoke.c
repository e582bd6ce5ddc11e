// SPDX-License-Identifier: GPL-2.0
/*
 * Smoke test: map /dev/mmapdemo in each mode, check the data both ways and
 * count the faults the touch took.  TAP output; the full suite is mmap_test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/mmapdemo.h>

#define NPAGES	64

static int testno, failures;

static void result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++testno);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failures += !ok;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static struct mmapdemo_stats stats(int fd)
{
	struct mmapdemo_stats st;

	if (ioctl(fd, MMAPDEMO_IOC_STATS, &st)) {
		perror("MMAPDEMO_IOC_STATS");
		exit(1);
	}
	return st;
}

static unsigned char pattern(__u32 mode, size_t i)
{
	return (unsigned char)(i * 7 + i / 4096 + mode * 31 + 1);
}

static void smoke_mode(int fd, __u32 mode, const char *name, size_t psz)
{
	size_t len = NPAGES * psz, i;
	struct mmapdemo_stats before, after;
	unsigned char *buf = malloc(len), *p;
	long flt;
	int ok;

	for (i = 0; i < len; i++)
		buf[i] = pattern(mode, i);
	if (pwrite(fd, buf, len, 0) != (ssize_t)len || ioctl(fd, MMAPDEMO_IOC_SET_MODE, &mode)) {
		result(0, "%s: set up: %s", name, strerror(errno));
		free(buf);
		return;
	}

	before = stats(fd);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	result(p != MAP_FAILED, "%s: mmap %zu bytes", name, len);
	if (p == MAP_FAILED) {
		free(buf);
		return;
	}

	flt = minflt();
	ok = 1;
	for (i = 0; i < len; i += psz)
		ok &= p[i] == buf[i];
	flt = minflt() - flt;
	ok &= !memcmp(p, buf, len);
	after = stats(fd);
	result(ok, "%s: mapping shows what write() stored", name);

	if (mode == MMAPDEMO_MODE_FAULT) {
		result(after.faults - before.faults == NPAGES,
		       "%s: driver fault handler ran once per page (%llu for %d)",
		       name, after.faults - before.faults, NPAGES);
		result(flt >= NPAGES, "%s: touching %d pages took %ld minor faults",
		       name, NPAGES, flt);
	} else {
		result(after.faults == before.faults,
		       "%s: driver fault handler never ran (%llu)",
		       name, after.faults - before.faults);
		result(after.eager_pages - before.eager_pages == NPAGES,
		       "%s: %d pages mapped at mmap() time (%llu)",
		       name, NPAGES, after.eager_pages - before.eager_pages);
		result(flt == 0, "%s: touching %d pages took no fault (%ld)",
		       name, NPAGES, flt);
	}

	for (i = 0; i < len; i++)
		p[i] = ~buf[i];
	ok = pread(fd, buf, len, 0) == (ssize_t)len;
	for (i = 0; ok && i < len; i++)
		ok = buf[i] == (unsigned char)~pattern(mode, i);
	result(ok, "%s: read() shows what the mapping stored", name);

	result(after.live_vmas == before.live_vmas + 1 && !munmap(p, len) &&
	       stats(fd).live_vmas == before.live_vmas,
	       "%s: one live VMA while mapped, none after munmap", name);
	free(buf);
}

int main(void)
{
	size_t psz = sysconf(_SC_PAGESIZE);
	struct mmapdemo_info info;
	int fd, ok;

	printf("TAP version 13\n1..14\n");
	fd = open("/dev/mmapdemo", O_RDWR);
	if (fd < 0) {
		printf("Bail out! /dev/mmapdemo: %s\n", strerror(errno));
		return 1;
	}
	memset(&info, 0, sizeof(info));
	ok = !ioctl(fd, MMAPDEMO_IOC_INFO, &info);
	result(ok && info.size >= NPAGES * psz && info.pages * psz == info.size &&
	       info.chunks >= 1, "info: %llu bytes in %u chunks",
	       info.size, info.chunks);
	if (!ok || info.pages < NPAGES) {
		printf("Bail out! the buffer must hold %d pages\n", NPAGES);
		return 1;
	}
	smoke_mode(fd, MMAPDEMO_MODE_REMAP, "remap", psz);
	smoke_mode(fd, MMAPDEMO_MODE_FAULT, "fault", psz);
	close(fd);
	return failures ? 1 : 0;
}
