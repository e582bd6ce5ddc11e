// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo demo: map the same range once in each mode the driver has, read
 * every page, and collect what the kernel and the driver say about it; then
 * the write side (demo_write.c).  Then record the driver's trace events for
 * a small mapping in each mode, and for one sequence of the write side.
 * demo_table.c and demo_json.c print the result.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"

#define DEMO_LENGTH (2 * 1024 * 1024) /* one PMD's worth */
#define TRACE_PAGES 4

/* Map @len bytes in the mode @fd is in, touch them, and take notes. */
static void demo_measure(int fd, size_t len, struct demo_mode *r)
{
	struct mmapdemo_stats before, after;
	unsigned char *p;
	char flags[256];
	uint64_t t;
	long flt;

	device_get_stats(fd, &before);
	t = now_ns();
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	r->mmap_ns = now_ns() - t;
	if (p == MAP_FAILED) {
		r->mmap_err = errno;
		return;
	}
	r->address = (uintptr_t)p;

	if (vma_flags(p, flags, sizeof(flags)))
		flags[0] = '\0';
	r->pfnmap = has_vma_flag(flags, "pf");
	vma_flags_pick(flags, DEMO_VMFLAGS, r->vmflags, sizeof(r->vmflags));
	r->present_after_mmap = r->pfnmap ? -1 :
					    pages_present(p, len / page_size());

	flt = minor_faults();
	t = now_ns();
	touch_pages(p, len);
	r->touch_ns = now_ns() - t;
	r->minor_faults = minor_faults() - flt;
	device_get_stats(fd, &after);

	r->present_after_touch =
		r->pfnmap ? -1 : pages_present(p, len / page_size());
	r->gup_err = -gup_read(p);
	r->driver_faults = after.faults - before.faults;
	r->eager_pages = after.eager_pages - before.eager_pages;
	r->around_pages = after.around_pages - before.around_pages;
	r->huge_faults = after.huge_faults - before.huge_faults;
	r->huge_fallbacks = after.huge_fallbacks - before.huge_fallbacks;
	r->vma_lock_faults = after.vma_lock_faults - before.vma_lock_faults;
	r->pud_faults = after.pud_faults - before.pud_faults;
	r->pud_fallbacks = after.pud_fallbacks - before.pud_fallbacks;
	munmap(p, len);

	/* MAP_POPULATE faults the pages in with GUP, which PFN maps refuse. */
	r->populate_faults = -1;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		 fd, 0);
	if (p == MAP_FAILED)
		return;
	flt = minor_faults();
	touch_pages(p, len);
	r->populate_faults = minor_faults() - flt;
	munmap(p, len);
}

void demo_record(struct trace *t, void (*act)(void *arg), void *arg,
		 char ***lines, size_t *nr)
{
	int ret;

	ret = trace_clear(t);
	if (ret)
		die_err(-ret, "%s/trace", t->dir);
	act(arg);
	ret = trace_lines(t, lines, nr);
	if (ret)
		die_err(-ret, "%s/trace", t->dir);
}

struct trace_map {
	int fd;
	size_t len;
};

/* Map, touch and unmap a struct trace_map's @len bytes of its @fd. */
static void map_touch(void *arg)
{
	const struct trace_map *m = arg;
	unsigned char *p;

	p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (p != MAP_FAILED) {
		touch_pages(p, m->len);
		munmap(p, m->len);
	}
}

static void demo_run(int fd, struct demo *d)
{
	struct trace_map map = { .fd = fd };
	size_t len = d->length;
	struct demo_mode *r;
	struct trace t;
	unsigned int i;
	int ret;

	for (i = 0; i < nr_modes(); i++) {
		if (device_set_mode(fd, i))
			continue; /* a mode this driver does not have */
		r = &d->modes[d->nr_modes++];
		*r = (struct demo_mode){ .mode = i };
		demo_measure(fd, len, r);
	}
	demo_write_run(d);

	/* After the timings, which the tracepoints would slow down. */
	d->trace_pages = d->pages < TRACE_PAGES ? d->pages : TRACE_PAGES;
	map.len = d->trace_pages * page_size();
	ret = trace_start(&t, d->trace_root, sizeof(d->trace_root));
	d->trace_err = -ret;
	if (ret)
		return;
	for (r = d->modes; r < d->modes + d->nr_modes; r++) {
		device_set_mode(fd, r->mode);
		demo_record(&t, map_touch, &map, &r->trace, &r->trace_nr);
	}
	demo_write_trace(d, &t);
	trace_stop(&t);
}

static void demo_free(struct demo *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_modes; i++)
		trace_lines_free(d->modes[i].trace, d->modes[i].trace_nr);
	trace_lines_free(d->write_trace, d->write_trace_nr);
}

int cmd_demo(const struct command *cmd, int argc, char **argv)
{
	size_t page = page_size();
	const char *length = NULL;
	struct demo d = { 0 };
	bool json = false;
	char size[32];
	int fd, opt, ret;

	while ((opt = command_getopt(cmd, argc, argv)) != -1) {
		switch (opt) {
		case 'l':
			length = optarg;
			ret = parse_size(length, &d.length);
			if (!ret && !d.length)
				ret = -EINVAL;
			if (ret)
				die_bad_arg(cmd, opt, optarg, -ret);
			break;
		case 'j':
			json = true;
			break;
		}
	}

	fd = device_open();
	device_info(fd, &d.info);
	if (!length)
		d.length = d.info.size < DEMO_LENGTH ? d.info.size :
						       DEMO_LENGTH;
	if (d.length > d.info.size)
		die_usage(cmd, "--length %s: the buffer of %s has only %s",
			  length, device_path,
			  format_size(size, sizeof(size), d.info.size));
	d.length = (d.length + page - 1) / page * page;
	d.pages = d.length / page;
	d.fault_around = module_param_bool("fault_around");
	if (d.fault_around < 0)
		d.fault_around = -1;

	demo_run(fd, &d);
	close(fd);
	if (json)
		demo_print_json(&d);
	else
		demo_print_table(&d);
	demo_free(&d);
	return 0;
}
