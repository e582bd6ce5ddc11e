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
		die("%s", device_path);
	return fd;
}

void device_info(int fd, struct mmapdemo_info *info)
{
	if (ioctl(fd, MMAPDEMO_IOC_INFO, info))
		die("%s: MMAPDEMO_IOC_INFO", device_path);
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
	die_err(err, "%s: %s%s", device_path, ioctl, device_err_hint(err));
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
		die("%s: MMAPDEMO_IOC_GET_MODE", device_path);
	return mode;
}

int device_set_mode(int fd, unsigned int mode)
{
	__u32 arg = mode;

	if (!ioctl(fd, MMAPDEMO_IOC_SET_MODE, &arg))
		return 0;
	if (errno == EINVAL)
		return -EINVAL;
	die("%s: MMAPDEMO_IOC_SET_MODE %s", device_path, mode_name(mode));
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
