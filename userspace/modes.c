// SPDX-License-Identifier: GPL-2.0
/*
 * The mapping modes.  The table names the modes of the uAPI this tool was
 * built with; a new mode is one more line.  Which of them a driver really
 * has is its answer to MMAPDEMO_IOC_SET_MODE: -EINVAL means "no such mode",
 * and the tool treats that mode as absent rather than as an error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const mode_names[] = {
	[MMAPDEMO_MODE_REMAP] = "remap",   [MMAPDEMO_MODE_FAULT] = "fault",
	[MMAPDEMO_MODE_INSERT] = "insert", [MMAPDEMO_MODE_PFN] = "pfn",
	[MMAPDEMO_MODE_HUGE] = "huge",
};

_Static_assert(ARRAY_SIZE(mode_names) <= MAX_MODES,
	       "struct mmapdemo_stats counts fewer modes than the table names");

unsigned int mode_count(void)
{
	return ARRAY_SIZE(mode_names);
}

const char *mode_name(unsigned int mode)
{
	return mode < ARRAY_SIZE(mode_names) && mode_names[mode] ?
		       mode_names[mode] :
		       "?";
}

/* The mode called @name, or -EINVAL. */
int mode_parse(const char *name)
{
	unsigned int mode;

	for (mode = 0; mode < ARRAY_SIZE(mode_names); mode++)
		if (mode_names[mode] && !strcmp(name, mode_names[mode]))
			return mode;
	return -EINVAL;
}

/*
 * Ask the driver about each mode of the table, as a bit mask.  The mode of
 * @fd changes on the way and is put back at the end.
 */
uint32_t modes_present(int fd)
{
	unsigned int mode, old = device_get_mode(fd);
	uint32_t mask = 0;

	for (mode = 0; mode < ARRAY_SIZE(mode_names); mode++)
		if (mode_names[mode] && !device_set_mode(fd, mode))
			mask |= 1u << mode;
	device_set_mode(fd, old);
	return mask;
}
