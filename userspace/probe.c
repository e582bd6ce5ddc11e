// SPDX-License-Identifier: GPL-2.0
/*
 * What the tool asks of the kernel beyond lib/util.h: which of a list of
 * VmFlags a mapping has, whether get_user_pages() works on it (as seen
 * through process_vm_readv()), and the module's Y/N parameters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cli.h"

void vma_flags_pick(const char *flags, const char *want, char *out, size_t size)
{
	char flag[8];
	size_t used = 0;
	int len;

	out[0] = '\0';
	for (; sscanf(want, " %7s%n", flag, &len) == 1; want += len)
		if (has_vma_flag(flags, flag) && used < size)
			used += snprintf(out + used, size - used, "%s%s",
					 used ? " " : "", flag);
	if (!used)
		snprintf(out, size, "-");
}

int module_param_bool(const char *name)
{
	char val[8];
	int ret = read_param(name, val, sizeof(val));

	return ret ? ret : val[0] == 'Y' || val[0] == '1';
}

int module_param_set_bool(const char *name, bool val)
{
	return write_param(name, val ? "Y" : "N");
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
