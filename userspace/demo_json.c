// SPDX-License-Identifier: GPL-2.0
/*
 * The demo for programs: the facts of the table as one JSON object.  Times
 * are in nanoseconds; a fact that does not apply is null, such as the
 * pagemap counts of a PFN map or everything after a failed mmap().
 *
 *	{ "format": 1, "device": "/dev/mmapdemo", "length": 2097152,
 *	  "pages": 512, "fault_around": true, "huge_pages": 512,
 *	  "levels": [ "pte", "pmd", "pud" ], "pmd_pages": 512, ...
 *	  "modes": [ { "mode": "remap", "mmap_ns": 41250, ... }, ... ],
 *	  "trace": [ "mmapdemo_mmap: mode=remap ...", ... ],
 *	  "write": { "pages": 8, "writes": 4, "written_pages": 3, ...
 *	    "rows": [ { "row": "remap", "dirty_pages": 3, ... }, ... ],
 *	    "trace": [ "mmapdemo_mmap: mode=fault ...", ... ] } }
 *
 * "write" is null when the driver cannot track writes ("write_error" says
 * why); the reset's facts are null when the reset failed ("reset_error").
 */
#include "cli.h"

/* A count, null when it is unknown (negative) or @applies is false. */
static void json_count(struct json *j, const char *key, int64_t n, bool applies)
{
	if (applies && n >= 0)
		json_u64(j, key, n);
	else
		json_null(j, key);
}

static void json_errno(struct json *j, const char *key, int err)
{
	if (err)
		json_str(j, key, errno_name(err));
	else
		json_null(j, key);
}

static void json_mode(struct json *j, const struct demo_mode *r)
{
	bool ok = !r->mmap_err;

	json_open(j, NULL, '{');
	json_str(j, "mode", mode_name(r->mode));
	json_errno(j, "mmap_error", r->mmap_err);
	json_count(j, "address", r->address, ok);
	json_count(j, "mmap_ns", r->mmap_ns, ok);
	json_count(j, "present_after_mmap", r->present_after_mmap,
		   ok && !r->pfnmap);
	json_count(j, "present_after_touch", r->present_after_touch,
		   ok && !r->pfnmap);
	json_count(j, "eager_pages", r->eager_pages, ok);
	json_count(j, "driver_faults", r->driver_faults, ok);
	json_count(j, "vma_lock_faults", r->vma_lock_faults, ok);
	json_count(j, "around_pages", r->around_pages, ok);
	json_count(j, "huge_faults", r->huge_faults, ok);
	json_count(j, "huge_fallbacks", r->huge_fallbacks, ok);
	json_count(j, "pud_faults", r->pud_faults, ok);
	json_count(j, "pud_fallbacks", r->pud_fallbacks, ok);
	json_count(j, "minor_faults", r->minor_faults, ok);
	json_count(j, "populate_minor_faults", r->populate_faults,
		   ok && r->populate_faults >= 0);
	json_count(j, "touch_ns", r->touch_ns, ok);
	if (ok) {
		json_str(j, "vmflags", r->vmflags);
		json_bool(j, "pfnmap", r->pfnmap);
		json_bool(j, "process_vm_readv", !r->gup_err);
	} else {
		json_null(j, "vmflags");
		json_null(j, "pfnmap");
		json_null(j, "process_vm_readv");
	}
	json_errno(j, "process_vm_readv_error", ok ? r->gup_err : 0);
	json_close(j, '}');
}

/* The events of every mode in one list; null without a trace. */
static void json_trace(struct json *j, const struct demo *d)
{
	const struct demo_mode *r;
	size_t i;

	if (d->trace_err) {
		json_null(j, "trace");
		return;
	}
	json_open(j, "trace", '[');
	for (r = d->modes; r < d->modes + d->nr_modes; r++)
		for (i = 0; i < r->trace_nr; i++)
			json_str(j, NULL, r->trace[i]);
	json_close(j, ']');
}

/* The write side of one row of the table of modes. */
static void json_write_row(struct json *j, const struct demo *d,
			   const struct demo_write *w)
{
	bool ok = !w->failed, reset = ok && !d->reset_err;

	json_open(j, NULL, '{');
	json_str(j, "row", w->row->variant);
	json_str(j, "mode", w->row->name);
	json_bool(j, "fault_around", w->row->around);
	if (ok)
		json_null(j, "failed");
	else
		json_str(j, "failed", w->failed);
	json_errno(j, "error", w->err);
	json_count(j, "dirty_pages", w->dirty_pages, ok);
	json_count(j, "synced_pages", w->synced_pages, ok);
	json_count(j, "synced_read_faults", w->synced_read_faults, ok);
	json_count(j, "reset_byte", w->reset_byte, reset);
	json_count(j, "reset_read_faults", w->reset_read_faults, reset);
	json_close(j, '}');
}

static void json_lines(struct json *j, const char *key, char **lines, size_t nr)
{
	size_t i;

	json_open(j, key, '[');
	for (i = 0; i < nr; i++)
		json_str(j, NULL, lines[i]);
	json_close(j, ']');
}

static void json_write(struct json *j, const struct demo *d)
{
	unsigned int i;

	json_errno(j, "write_error", d->write_err);
	if (d->write_err) {
		json_null(j, "write");
		return;
	}
	json_open(j, "write", '{');
	json_u64(j, "pages", d->write_pages);
	json_u64(j, "writes", d->nr_writes);
	json_u64(j, "written_pages", d->written_pages);
	json_errno(j, "reset_error", d->reset_err);
	json_open(j, "rows", '[');
	for (i = 0; i < d->nr_write_rows; i++)
		json_write_row(j, d, &d->write_rows[i]);
	json_close(j, ']');
	json_str(j, "trace_mode", mode_name(d->write_trace_mode));
	if (d->trace_err)
		json_null(j, "trace");
	else
		json_lines(j, "trace", d->write_trace, d->write_trace_nr);
	json_close(j, '}');
}

void demo_print_json(const struct demo *d)
{
	const struct demo_mode *r;
	struct json j;

	json_begin(&j, stdout);
	json_str(&j, "device", device_path);
	json_u64(&j, "length", d->length);
	json_u64(&j, "pages", d->pages);
	if (d->fault_around < 0)
		json_null(&j, "fault_around");
	else
		json_bool(&j, "fault_around", d->fault_around);
	json_u64(&j, "huge_pages", d->info.huge_pages);
	info_levels_json(&j, &d->info);
	json_open(&j, "modes", '[');
	for (r = d->modes; r < d->modes + d->nr_modes; r++)
		json_mode(&j, r);
	json_close(&j, ']');
	json_u64(&j, "trace_pages", d->trace_pages);
	json_trace(&j, d);
	json_write(&j, d);
	json_end(&j);
}
