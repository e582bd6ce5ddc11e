// SPDX-License-Identifier: GPL-2.0
/* The table of lib/modes.h, and the lookups the tool and the tests share. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "modes.h"

#define MODE_ROW(variant_, name_, mode_, eager_, pfnmap_, around_, huge_) \
	{                                                                 \
		.variant = #variant_,                                     \
		.name = #name_,                                           \
		.mode = MMAPDEMO_MODE_##mode_,                            \
		.eager = eager_,                                          \
		.pfnmap = pfnmap_,                                        \
		.around = around_,                                        \
		.huge = huge_,                                            \
	},

const struct mode_info mode_rows[] = { MMAPDEMO_MODES(MODE_ROW) };
const unsigned int nr_mode_rows = sizeof(mode_rows) / sizeof(mode_rows[0]);

unsigned int nr_modes(void)
{
	const struct mode_info *m;
	unsigned int n = 0;

	for_each_mode(m)
		n++;
	return n;
}

const struct mode_info *mode_info(__u32 mode)
{
	const struct mode_info *m;

	for_each_mode(m)
		if (m->mode == mode)
			return m;
	return NULL;
}

const struct mode_info *mode_row(const char *variant)
{
	const struct mode_info *m;

	for_each_mode_row(m)
		if (!strcmp(m->variant, variant))
			return m;
	return NULL;
}

const char *mode_name(__u32 mode)
{
	const struct mode_info *m = mode_info(mode);

	return m ? m->name : "?";
}

int mode_parse(const char *name)
{
	const struct mode_info *m;

	for_each_mode(m)
		if (!strcmp(m->name, name))
			return m->mode;
	return -EINVAL;
}

const char *mode_names(const char *sep)
{
	static char buf[256];
	const struct mode_info *m;
	size_t len = 0;

	buf[0] = '\0';
	for_each_mode(m)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s",
				len ? sep : "", m->name);
	return buf;
}
