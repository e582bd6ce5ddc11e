// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo reset and mmapdemo remove: the driver takes down every mapping of
 * its buffer, as on a reset of the device or a surprise removal of its
 * hardware.  Both need CAP_SYS_ADMIN.
 */
#include <unistd.h>

#include "cli.h"

int cmd_reset(const struct command *cmd, int argc, char **argv)
{
	struct mmapdemo_stats st;
	int fd, ret;

	command_no_options(cmd, argc, argv);
	fd = device_open();
	ret = device_reset(fd);
	if (ret)
		die_ioctl(-ret, "MMAPDEMO_IOC_RESET");
	device_get_stats(fd, &st);
	close(fd);
	printf("reset: %s: every mapping taken down, the buffer zeroed (resets: %llu)\n",
	       device_path, (unsigned long long)st.resets);
	return 0;
}

int cmd_remove(const struct command *cmd, int argc, char **argv)
{
	int fd, ret;

	command_no_options(cmd, argc, argv);
	fd = device_open();
	ret = device_remove(fd);
	if (ret)
		die_ioctl(-ret, "MMAPDEMO_IOC_REMOVE");
	close(fd);
	printf("remove: %s is gone, and every access through a mapping of it\n"
	       "        raises SIGBUS. The module can be unloaded (rmmod mmapdemo) once\n"
	       "        every file and mapping of the device is gone; loading it again\n"
	       "        brings the device back.\n",
	       device_path);
	return 0;
}
