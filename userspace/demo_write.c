// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's write side.  Per row of the table of modes, a mapping made with
 * write tracking on takes a few writes, msync(MS_SYNC) writes them back, and
 * MMAPDEMO_IOC_RESET takes the mapping down: the driver's counters say what
 * it tracked and wrote back, and the faults of a read after each step what
 * became of the page tables.  Then the trace of one such sequence.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"

#define WRITE_PAGES 8
/* The pages written, in order: three of them, one twice. */
static const unsigned int writes[] = { 1, 4, 6, 4 };
#define SYNCED_PAGE writes[0] /* read after the msync() */
#define RESET_PAGE  writes[1] /* read after the reset */
/* The mode of the trace: a page map, re-armed by write-protecting its PTEs. */
#define TRACE_MODE  MMAPDEMO_MODE_FAULT

static unsigned int distinct_pages(void)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < ARRAY_SIZE(writes); i++) {
		for (j = 0; j < i && writes[j] != writes[i]; j++)
			;
		n += j == i;
	}
	return n;
}

/* Read the byte at @p into *@byte: the minor faults that took. */
static long read_faults(const volatile unsigned char *p, int *byte)
{
	long faults = minor_faults();

	*byte = *p;
	return minor_faults() - faults;
}

/* The driver reads fault_around at mmap() time: set it for row @m. */
static int set_fault_around(const struct demo *d, const struct mode_info *m)
{
	if (d->fault_around < 0)
		return m->around ? -ENOENT : 0;
	return module_param_set_bool("fault_around", m->around);
}

/* Reset the device, unless a reset has failed before: 0 or -errno. */
static int demo_reset(int fd, struct demo *d)
{
	if (!d->reset_err)
		d->reset_err = -device_reset(fd);
	return -d->reset_err;
}

/* Write, msync(), read, reset and read through a new mapping of @fd. */
static void write_row(int fd, struct demo *d, struct demo_write *w)
{
	size_t page = page_size(), len = WRITE_PAGES * page;
	struct mmapdemo_stats before, after;
	unsigned char *p;
	unsigned int i;
	int byte;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		w->failed = "mmap";
		w->err = errno;
		return;
	}
	device_get_stats(fd, &before);
	for (i = 0; i < ARRAY_SIZE(writes); i++)
		p[writes[i] * page] = 0xab;
	if (msync(p, len, MS_SYNC)) {
		w->failed = "msync";
		w->err = errno;
		goto out;
	}
	device_get_stats(fd, &after);
	w->dirty_pages = after.dirty_pages - before.dirty_pages;
	w->synced_pages = after.synced_pages - before.synced_pages;
	w->synced_read_faults = read_faults(p + SYNCED_PAGE * page, &byte);
	if (!demo_reset(fd, d))
		w->reset_read_faults =
			read_faults(p + RESET_PAGE * page, &w->reset_byte);
out:
	munmap(p, len);
}

void demo_write_run(struct demo *d)
{
	const struct mode_info *m;
	struct demo_write *w;
	int fd, ret;

	d->write_pages = WRITE_PAGES;
	d->nr_writes = ARRAY_SIZE(writes);
	d->written_pages = distinct_pages();
	d->write_trace_mode = TRACE_MODE;
	fd = device_open();
	ret = device_set_track(fd, true);
	if (ret) {
		d->write_err = -ret;
		close(fd);
		return;
	}
	for_each_mode_row(m) {
		if (device_set_mode(fd, m->mode))
			continue; /* a mode this driver does not have */
		w = &d->write_rows[d->nr_write_rows++];
		*w = (struct demo_write){ .row = m };
		w->err = -set_fault_around(d, m);
		if (w->err)
			w->failed = "fault_around";
		else
			write_row(fd, d, w);
	}
	if (d->fault_around >= 0)
		module_param_set_bool("fault_around", d->fault_around);
	close(fd);
}

struct write_sequence {
	int fd;
	struct demo *d;
};

/* Through one page of a struct write_sequence: two writes, msync(), reset, a read. */
static void write_sequence(void *arg)
{
	const struct write_sequence *seq = arg;
	size_t page = page_size();
	unsigned char *p;

	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, seq->fd, 0);
	if (p == MAP_FAILED)
		return;
	p[0] = 1;
	p[0] = 2;
	msync(p, page, MS_SYNC);
	if (!demo_reset(seq->fd, seq->d))
		(void)*(volatile unsigned char *)p;
	munmap(p, page);
}

void demo_write_trace(struct demo *d, struct trace *t)
{
	struct write_sequence seq = { .d = d };

	if (d->write_err)
		return;
	seq.fd = device_open();
	if (!device_set_track(seq.fd, true) &&
	    !device_set_mode(seq.fd, d->write_trace_mode))
		demo_record(t, write_sequence, &seq, &d->write_trace,
			    &d->write_trace_nr);
	close(seq.fd);
}
