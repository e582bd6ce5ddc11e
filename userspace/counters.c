// SPDX-License-Identifier: GPL-2.0
/*
 * The driver's counters.  debugfs has one file per counter, each holding one
 * number and a newline:
 *
 *	/sys/kernel/debug/mmapdemo/{opens,mmaps_<mode>,faults,eager_pages,
 *				   live_vmas,bytes_read,bytes_written,
 *				   vma_lock_faults,around_pages,huge_faults,
 *				   huge_fallbacks}
 *
 * MMAPDEMO_IOC_STATS returns the same numbers in a struct mmapdemo_stats,
 * which is also how this tool holds them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

/* clang-format off */
#define COUNTER(field, label, per_mode) \
	{ #field, label, offsetof(struct mmapdemo_stats, field), per_mode }
/* clang-format on */

/* In the order they are printed. */
static const struct counter {
	const char *name; /* of the debugfs file, + "_<mode>" if per_mode */
	const char *label;
	size_t offset;
	bool per_mode; /* an array indexed by mode */
} counters[] = {
	COUNTER(opens, "opens", false),
	COUNTER(mmaps, "mmaps", true),
	COUNTER(faults, "faults", false),
	COUNTER(eager_pages, "eager pages", false),
	COUNTER(live_vmas, "live VMAs", false),
	COUNTER(bytes_read, "bytes read", false),
	COUNTER(bytes_written, "bytes written", false),
	COUNTER(vma_lock_faults, "VMA-lock faults", false),
	COUNTER(around_pages, "around pages", false),
	COUNTER(huge_faults, "2 MiB faults", false),
	COUNTER(huge_fallbacks, "2 MiB fallbacks", false),
};

static __u64 *counter_field(const struct mmapdemo_stats *st,
			    const struct counter *c, unsigned int mode)
{
	return (__u64 *)((char *)st + c->offset) + mode;
}

/* Read "<number>\n" from @path; 0 or -errno. */
static int read_number(const char *path, __u64 *val)
{
	char buf[32], *end;
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return -errno;
	buf[len] = '\0';
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (errno)
		return -errno;
	return end == buf || *end != '\n' ? -EINVAL : 0;
}

/*
 * Read the per-mode files of @counter.  A mode without its file is one the
 * driver does not have.
 */
static int read_per_mode(struct counters *c, const struct counter *counter,
			 char *path, size_t size)
{
	unsigned int mode;
	int ret;

	for (mode = 0; mode < mode_count(); mode++) {
		snprintf(path, size, DEBUGFS_DIR "/%s_%s", counter->name,
			 mode_name(mode));
		ret = read_number(path, counter_field(&c->st, counter, mode));
		if (ret == -ENOENT)
			continue;
		if (ret)
			return ret;
		c->modes |= 1u << mode;
	}
	return 0;
}

/* Fill @c from debugfs; 0, or -errno with the file that failed in @path. */
int counters_debugfs(struct counters *c, char *path, size_t size)
{
	const struct counter *counter;
	int ret;

	*c = (struct counters){ .source = DEBUGFS_DIR };
	for (counter = counters; counter < counters + ARRAY_SIZE(counters);
	     counter++) {
		if (counter->per_mode) {
			ret = read_per_mode(c, counter, path, size);
		} else {
			snprintf(path, size, DEBUGFS_DIR "/%s", counter->name);
			ret = read_number(path,
					  counter_field(&c->st, counter, 0));
		}
		if (ret)
			return ret;
	}
	return 0;
}

void counters_ioctl(int fd, struct counters *c)
{
	*c = (struct counters){ .source = "MMAPDEMO_IOC_STATS" };
	device_stats(fd, &c->st);
	c->modes = modes_present(fd);
}

static void print_counter(const char *label, const char *mode, __u64 val)
{
	char name[32];

	snprintf(name, sizeof(name), "%s%s%s", label, mode ? " " : "",
		 mode ? mode : "");
	printf("  %-17s%llu\n", name, (unsigned long long)val);
}

void counters_print(const struct counters *c)
{
	const struct counter *counter;
	unsigned int mode;

	printf("counters (from %s):\n", c->source);
	for (counter = counters; counter < counters + ARRAY_SIZE(counters);
	     counter++) {
		if (!counter->per_mode) {
			print_counter(counter->label, NULL,
				      *counter_field(&c->st, counter, 0));
			continue;
		}
		for (mode = 0; mode < mode_count(); mode++)
			if (c->modes & (1u << mode))
				print_counter(counter->label, mode_name(mode),
					      *counter_field(&c->st, counter,
							     mode));
	}
}
