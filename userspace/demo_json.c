// SPDX-License-Identifier: GPL-2.0
/*
 * The demo for programs: the facts of the table as one JSON object.  Times
 * are in nanoseconds; a fact that does not apply is null, such as the
 * pagemap counts of a PFN map or everything after a failed mmap().
 *
 *	{ "length": 2097152, "pages": 512, "fault_around": true, ...
 *	  "modes": [ { "mode": "remap", "mmap_ns": 41250, ... }, ... ],
 *	  "trace": [ "mmapdemo_mmap: mode=remap ...", ... ] }
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
	json_count(j, "minor_faults", r->minor_faults, ok);
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

void demo_print_json(const struct demo *d)
{
	const struct demo_mode *r;
	struct json j;

	json_begin(&j, stdout);
	json_open(&j, NULL, '{');
	json_str(&j, "device", device_path);
	json_u64(&j, "length", d->length);
	json_u64(&j, "pages", d->pages);
	if (d->fault_around < 0)
		json_null(&j, "fault_around");
	else
		json_bool(&j, "fault_around", d->fault_around);
	json_u64(&j, "huge_pages", d->huge_pages);
	json_open(&j, "modes", '[');
	for (r = d->modes; r < d->modes + d->nr_modes; r++)
		json_mode(&j, r);
	json_close(&j, ']');
	json_u64(&j, "trace_pages", d->trace_pages);
	json_trace(&j, d);
	json_close(&j, '}');
	json_end(&j);
}
