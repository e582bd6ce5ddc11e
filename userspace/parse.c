// SPDX-License-Identifier: GPL-2.0
/* Numbers on the command line, and sizes for people to read. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

/* Parse an unsigned number in C syntax (0x1f, 017, 31); 0 or -errno. */
static int parse_u64(const char *s, char **end, uint64_t *val)
{
	unsigned long long v;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, end, 0);
	if (errno)
		return -errno;
	*val = v;
	return 0;
}

/* A byte count with an optional K, M or G suffix (powers of 1024). */
int parse_size(const char *s, uint64_t *val)
{
	unsigned int shift = 0;
	char *end;
	int ret;

	ret = parse_u64(s, &end, val);
	if (ret)
		return ret;
	switch (toupper((unsigned char)*end)) {
	case 'G':
		shift += 10;
		/* fall through */
	case 'M':
		shift += 10;
		/* fall through */
	case 'K':
		shift += 10;
		end++;
		break;
	}
	if (*end)
		return -EINVAL;
	if (*val > UINT64_MAX >> shift)
		return -ERANGE;
	*val <<= shift;
	return 0;
}

int parse_byte(const char *s, unsigned char *val)
{
	uint64_t v;
	char *end;
	int ret;

	ret = parse_u64(s, &end, &v);
	if (ret)
		return ret;
	if (*end)
		return -EINVAL;
	if (v > 0xff)
		return -ERANGE;
	*val = v;
	return 0;
}

/* "4 MiB" when @bytes is a whole number of a unit, else "4100 bytes". */
char *format_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	int unit = -1;

	while (unit + 1 < (int)ARRAY_SIZE(units) && bytes >= 1024 &&
	       !(bytes % 1024)) {
		bytes /= 1024;
		unit++;
	}
	if (unit < 0)
		snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
	else
		snprintf(buf, size, "%llu %s", (unsigned long long)bytes,
			 units[unit]);
	return buf;
}
