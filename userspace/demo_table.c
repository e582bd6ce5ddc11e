// SPDX-License-Identifier: GPL-2.0
/*
 * The demo for people: one table with the facts as rows and the modes as
 * columns (five of them fit in 80 columns), the driver's trace events, and
 * a few sentences on what they show.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

#define LABEL_WIDTH	19
#define CELL_WIDTH	12
#define TEXT_WIDTH	78

static void cell_us(char *buf, size_t size, uint64_t ns)
{
	snprintf(buf, size, "%.1f", ns / 1e3);
}

static void cell_present(char *buf, size_t size, const struct demo_mode *r, long n)
{
	if (r->pfnmap)
		snprintf(buf, size, "PFN map");
	else if (n < 0)
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, "%ld", n);
}

static void cell_mmap(const struct demo_mode *r, char *buf, size_t size)
{
	cell_us(buf, size, r->mmap_ns);
}

static void cell_after_mmap(const struct demo_mode *r, char *buf, size_t size)
{
	cell_present(buf, size, r, r->present_after_mmap);
}

static void cell_after_touch(const struct demo_mode *r, char *buf, size_t size)
{
	cell_present(buf, size, r, r->present_after_touch);
}

static void cell_eager(const struct demo_mode *r, char *buf, size_t size)
{
	snprintf(buf, size, "%llu", (unsigned long long)r->eager_pages);
}

static void cell_faults(const struct demo_mode *r, char *buf, size_t size)
{
	snprintf(buf, size, "%llu", (unsigned long long)r->driver_faults);
}

static void cell_minflt(const struct demo_mode *r, char *buf, size_t size)
{
	snprintf(buf, size, "%ld", r->minor_faults);
}

static void cell_touch(const struct demo_mode *r, char *buf, size_t size)
{
	cell_us(buf, size, r->touch_ns);
}

static void cell_vmflags(const struct demo_mode *r, char *buf, size_t size)
{
	snprintf(buf, size, "%s", r->vmflags);
}

static void cell_gup(const struct demo_mode *r, char *buf, size_t size)
{
	snprintf(buf, size, "%s", r->gup_err ? errno_name(r->gup_err) : "yes");
}

static const struct row {
	const char *label;
	/* The text of the cell of one mode; NULL for a heading. */
	void (*cell)(const struct demo_mode *r, char *buf, size_t size);
} rows[] = {
	{ "mmap() µs", cell_mmap },
	{ "pages in pagemap", NULL },
	{ "  after mmap()", cell_after_mmap },
	{ "  after touch", cell_after_touch },
	{ "driver eager pages", cell_eager },
	{ "driver faults", cell_faults },
	{ "minor faults", cell_minflt },
	{ "touch µs", cell_touch },
	{ "VmFlags", cell_vmflags },
	{ "process_vm_readv()", cell_gup },
};

/* Print @s left-aligned in @width columns: printf() would count bytes. */
static void print_padded(const char *s, int width)
{
	const char *p;

	for (p = s; *p; p++)
		width -= (*p & 0xc0) != 0x80;
	printf("%s%*s", s, width > 0 ? width : 0, "");
}

static void print_row(const struct demo *d, const struct row *row)
{
	const struct demo_mode *r;
	char buf[CELL_WIDTH + 8];

	if (!row->cell) {
		printf("%s\n", row->label);
		return;
	}
	print_padded(row->label, LABEL_WIDTH);
	for (r = d->modes; r < d->modes + d->nr_modes; r++) {
		if (r->mmap_err)
			snprintf(buf, sizeof(buf), "%s", row->cell == cell_mmap ?
				 errno_name(r->mmap_err) : "-");
		else
			row->cell(r, buf, sizeof(buf));
		printf("%*s", CELL_WIDTH, buf);
	}
	printf("\n");
}

static void print_table(const struct demo *d)
{
	const struct demo_mode *r;
	char size[32];
	size_t i;

	printf("Mapping %s (%llu page%s) of %s once per mode and reading\n"
	       "each page once:\n\n",
	       format_size(size, sizeof(size), d->length),
	       (unsigned long long)d->pages, d->pages == 1 ? "" : "s", device_path);
	printf("%*s", LABEL_WIDTH, "");
	for (r = d->modes; r < d->modes + d->nr_modes; r++)
		printf("%*s", CELL_WIDTH, mode_name(r->mode));
	printf("\n");
	for (i = 0; i < ARRAY_SIZE(rows); i++)
		print_row(d, &rows[i]);
}

/*
 * Print @s indented by @indent, folded at spaces to fit TEXT_WIDTH columns,
 * its continuation lines indented four more.
 */
static void print_folded(const char *s, int indent)
{
	int width = TEXT_WIDTH - indent, len;

	while ((len = strlen(s)) > width) {
		for (len = width; len > 0 && s[len] != ' '; len--)
			;
		if (!len)
			break;	/* one long word: let it overflow */
		printf("%*s%.*s\n", indent, "", len, s);
		s += len + 1;
		if (width == TEXT_WIDTH - indent) {
			indent += 4;
			width -= 4;
		}
	}
	printf("%*s%s\n", indent, "", s);
}

static void print_trace(const struct demo *d)
{
	const struct demo_mode *r;
	size_t i;

	printf("\n");
	switch (d->trace_err) {
	case 0:
		break;
	case ENOENT:
		printf("No trace: tracefs is not mounted at %s.\n", d->trace_root);
		return;
	case ENODEV:
		printf("No trace: the driver has no tracepoints (no %s/events/mmapdemo).\n",
		       d->trace_root);
		return;
	default:
		printf("No trace: %s: %s.\n", d->trace_root, strerror(d->trace_err));
		return;
	}
	printf("The driver's trace events for %llu page%s mapped, read once and unmapped:\n",
	       (unsigned long long)d->trace_pages, d->trace_pages == 1 ? "" : "s");
	for (r = d->modes; r < d->modes + d->nr_modes; r++) {
		printf("%s:\n", mode_name(r->mode));
		for (i = 0; i < r->trace_nr; i++)
			print_folded(r->trace[i], 2);
		if (!r->trace_nr)
			printf("  (no events)\n");
	}
}

static const char explanation[] =
	"remap is eager: its mmap() wrote every page table entry with\n"
	"remap_pfn_range(), so mapping took longer and the first touch took no\n"
	"fault at all. fault is lazy: mmap() only installed the driver's\n"
	"vm_operations, and each first touch trapped into its ->fault handler, one\n"
	"minor fault per page.\n"
	"\n"
	"A remap mapping is a PFN map (VmFlags pf): its entries are bare page frame\n"
	"numbers, and the page walker behind /proc/self/pagemap treats such a\n"
	"mapping as a hole, so only the driver's eager_pages counter shows the\n"
	"pages are there. For the same reason get_user_pages() refuses it and\n"
	"process_vm_readv() fails with EFAULT, while the pages fault hands out are\n"
	"ordinary struct pages that GUP can pin.\n";

void demo_print_table(const struct demo *d)
{
	print_table(d);
	print_trace(d);
	printf("\n%s", explanation);
}
