// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo info: what the device says about its buffer and itself, as a
 * table or (--json) as one JSON object:
 *
 *	{ "format": 1, "device": "/dev/mmapdemo", "size": 67108864, ...
 *	  "modes": [ "remap", ... ], "fault_around": true, "huge_pages": 16384,
 *	  "levels": [ "pte", "pmd", "pud" ], "pmd_pages": 16384, "pud_pages": 0,
 *	  "counters": { "opens": 3, "mmaps": { "remap": 1, ... }, ... } }
 */
#include <unistd.h>

#include "cli.h"

void info_levels_json(struct json *j, const struct mmapdemo_info *info)
{
	const struct map_level *l;

	json_open(j, "levels", '[');
	for (l = map_levels; l < map_levels + nr_map_levels; l++)
		if (info->levels & l->bit)
			json_str(j, NULL, l->name);
	json_close(j, ']');
	json_u64(j, "pmd_pages", info->pmd_pages);
	json_u64(j, "pud_pages", info->pud_pages);
}

/*
 * Per level: whether this kernel lets huge mode map at it, and how much of
 * the buffer is in chunks it can map whole.
 */
static void print_levels(const struct mmapdemo_info *info)
{
	const struct map_level *l;
	char size[32], kernel[32];
	uint64_t pages;

	printf("huge mode:\n");
	for (l = map_levels; l < map_levels + nr_map_levels; l++) {
		snprintf(kernel, sizeof(kernel), "kernel can");
		if (!(info->levels & l->bit))
			snprintf(kernel, sizeof(kernel),
				 "kernel cannot (no %s PFN maps)", l->entry);
		pages = level_pages(info, l);
		format_size(size, sizeof(size), pages * page_size());
		if (l->bit == MMAPDEMO_LEVEL_PTE)
			printf("  %-14s%s; the whole buffer, %s\n", l->size,
			       kernel, size);
		else if (pages)
			printf("  %-14s%s; %s in %s chunks\n", l->size, kernel,
			       size, l->size);
		else
			printf("  %-14s%s; no %s chunk\n", l->size, kernel,
			       l->size);
	}
}

static void print_json(const struct mmapdemo_info *info,
		       const struct counters *c, int fault_around)
{
	const struct mode_info *m;
	struct json j;

	json_begin(&j, stdout);
	json_str(&j, "device", device_path);
	json_u64(&j, "size", info->size);
	json_u64(&j, "pages", info->pages);
	json_u64(&j, "chunks", info->chunks);
	json_u64(&j, "max_order", info->max_order);
	json_u64(&j, "meta_bytes", info->meta_bytes);
	json_str(&j, "default_mode", mode_name(info->default_mode));
	json_open(&j, "modes", '[');
	for_each_mode(m)
		if (c->modes & (1u << m->mode))
			json_str(&j, NULL, m->name);
	json_close(&j, ']');
	if (fault_around < 0)
		json_null(&j, "fault_around");
	else
		json_bool(&j, "fault_around", fault_around);
	json_u64(&j, "huge_pages", info->huge_pages);
	info_levels_json(&j, info);
	counters_json(&j, c);
	json_end(&j);
}

int cmd_info(const struct command *cmd, int argc, char **argv)
{
	bool json = command_json_option(cmd, argc, argv);
	struct mmapdemo_info info;
	struct counters c;
	int fd, fault_around;
	char size[32];

	fd = device_open();
	device_info(fd, &info);
	counters_ioctl(fd, &c);
	close(fd);
	fault_around = module_param_bool("fault_around");
	if (json) {
		print_json(&info, &c, fault_around);
		return 0;
	}

	printf("%-16s%s\n", "device", device_path);
	printf("%-16s%llu bytes (%s)\n", "size", (unsigned long long)info.size,
	       format_size(size, sizeof(size), info.size));
	printf("%-16s%llu\n", "pages", (unsigned long long)info.pages);
	printf("%-16s%u\n", "chunks", info.chunks);
	printf("%-16sorder %u (%s)\n", "largest chunk", info.max_order,
	       format_size(size, sizeof(size),
			   (uint64_t)page_size() << info.max_order));
	printf("%-16s%llu bytes\n", "metadata",
	       (unsigned long long)info.meta_bytes);
	printf("%-16s%s\n", "default mode", mode_name(info.default_mode));
	printf("%-16s%s\n", "modes", mode_mask_names(c.modes, " "));
	printf("%-16s%s\n", "fault-around",
	       fault_around < 0 ? "?" :
	       fault_around	? "on" :
				  "off");
	print_levels(&info);
	counters_print(&c);
	return 0;
}
