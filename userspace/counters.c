// SPDX-License-Identifier: GPL-2.0
/*
 * The driver's counters, from MMAPDEMO_IOC_STATS (struct mmapdemo_stats),
 * printed one a line, per mode where the counter is; in JSON, named after
 * the fields of struct mmapdemo_stats, an object of modes where the counter
 * is per mode.
 */
#include <stddef.h>

#include "cli.h"

/* clang-format off */
#define COUNTER(field, label, per_mode) \
	{ #field, label, offsetof(struct mmapdemo_stats, field), per_mode }
/* clang-format on */

/* In the order they are printed. */
static const struct counter {
	const char *name;
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
	COUNTER(pud_faults, "1 GiB faults", false),
	COUNTER(pud_fallbacks, "1 GiB fallbacks", false),
	COUNTER(dirty_pages, "dirty pages", false),
	COUNTER(synced_pages, "synced pages", false),
	COUNTER(resets, "resets", false),
};

static __u64 *counter_field(const struct mmapdemo_stats *st,
			    const struct counter *c, unsigned int mode)
{
	return (__u64 *)((char *)st + c->offset) + mode;
}

void counters_ioctl(int fd, struct counters *c)
{
	*c = (struct counters){ 0 };
	device_get_stats(fd, &c->st);
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

	printf("counters:\n");
	for (counter = counters; counter < counters + ARRAY_SIZE(counters);
	     counter++) {
		if (!counter->per_mode) {
			print_counter(counter->label, NULL,
				      *counter_field(&c->st, counter, 0));
			continue;
		}
		for (mode = 0; mode < nr_modes(); mode++)
			if (c->modes & (1u << mode))
				print_counter(counter->label, mode_name(mode),
					      *counter_field(&c->st, counter,
							     mode));
	}
}

void counters_json(struct json *j, const struct counters *c)
{
	const struct counter *counter;
	unsigned int mode;

	json_open(j, "counters", '{');
	for (counter = counters; counter < counters + ARRAY_SIZE(counters);
	     counter++) {
		if (!counter->per_mode) {
			json_u64(j, counter->name,
				 *counter_field(&c->st, counter, 0));
			continue;
		}
		json_open(j, counter->name, '{');
		for (mode = 0; mode < nr_modes(); mode++)
			if (c->modes & (1u << mode))
				json_u64(j, mode_name(mode),
					 *counter_field(&c->st, counter, mode));
		json_close(j, '}');
	}
	json_close(j, '}');
}
