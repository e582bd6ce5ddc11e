// SPDX-License-Identifier: GPL-2.0
/*
 * The device node and its ioctls.  A failure here means the device is not
 * what this tool expects, so it ends the command.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

int device_open(void)
{
	int fd = open(device_path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die_device(errno, "%s", device_path);
	return fd;
}

void device_info(int fd, struct mmapdemo_info *info)
{
	int ret = device_read_info(fd, info);

	if (ret)
		die_ioctl(-ret, "MMAPDEMO_IOC_INFO");
}

const struct map_level map_levels[] = {
	{ MMAPDEMO_LEVEL_PTE, "4 KiB", "PTE", "pte", "4K", 12 },
	{ MMAPDEMO_LEVEL_PMD, "2 MiB", "PMD", "pmd", "2M", 21 },
	{ MMAPDEMO_LEVEL_PUD, "1 GiB", "PUD", "pud", "1G", 30 },
};
const size_t nr_map_levels = ARRAY_SIZE(map_levels);

uint64_t level_pages(const struct mmapdemo_info *info,
		     const struct map_level *l)
{
	switch (l->bit) {
	case MMAPDEMO_LEVEL_PMD:
		return info->pmd_pages;
	case MMAPDEMO_LEVEL_PUD:
		return info->pud_pages;
	default:
		return info->pages;
	}
}

void device_get_stats(int fd, struct mmapdemo_stats *st)
{
	int ret = device_stats(fd, st);

	if (ret)
		die_ioctl(-ret, "MMAPDEMO_IOC_STATS");
}

const char *device_err_hint(int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
		return " (is mmapdemo.ko loaded? modprobe mmapdemo, or insmod module/mmapdemo.ko)";
	case EACCES:
		return " (the node is root's by default: the udev rule"
		       " packaging/60-mmapdemo.rules gives it to group mmapdemo)";
	case EPERM:
		return " (needs CAP_SYS_ADMIN)";
	case ENOTTY:
		return " (not an mmapdemo device, or one older than this tool)";
	default:
		return "";
	}
}

void die_ioctl(int err, const char *ioctl)
{
	die_device(err, "%s: %s", device_path, ioctl);
}

int device_set_track(int fd, bool track)
{
	__u32 arg = track;

	return ioctl(fd, MMAPDEMO_IOC_SET_TRACK, &arg) ? -errno : 0;
}

int device_reset(int fd)
{
	return ioctl(fd, MMAPDEMO_IOC_RESET) ? -errno : 0;
}

int device_remove(int fd)
{
	return ioctl(fd, MMAPDEMO_IOC_REMOVE) ? -errno : 0;
}

unsigned int device_get_mode(int fd)
{
	__u32 mode;

	if (ioctl(fd, MMAPDEMO_IOC_GET_MODE, &mode))
		die_ioctl(errno, "MMAPDEMO_IOC_GET_MODE");
	return mode;
}

int device_set_mode(int fd, unsigned int mode)
{
	__u32 arg = mode;

	if (!ioctl(fd, MMAPDEMO_IOC_SET_MODE, &arg))
		return 0;
	if (errno == EINVAL)
		return -EINVAL;
	die_ioctl(errno, "MMAPDEMO_IOC_SET_MODE");
}

/*
 * Ask the driver about each mode this tool knows, as a bit mask: -EINVAL
 * from MMAPDEMO_IOC_SET_MODE means the driver has no such mode, which the
 * tool treats as absent rather than as an error.  The mode of @fd changes on
 * the way and is put back at the end.
 */
uint32_t modes_present(int fd)
{
	unsigned int old = device_get_mode(fd);
	const struct mode_info *m;
	uint32_t mask = 0;

	for_each_mode(m)
		if (!device_set_mode(fd, m->mode))
			mask |= 1u << m->mode;
	device_set_mode(fd, old);
	return mask;
}

const char *mode_mask_names(uint32_t mask, const char *sep)
{
	const struct mode_info *m;
	static char buf[256];

	buf[0] = '\0';
	for_each_mode(m)
		if (mask & (1u << m->mode))
			list_add(buf, sizeof(buf), sep, m->name);
	return buf;
}
