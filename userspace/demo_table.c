// SPDX-License-Identifier: GPL-2.0
/*
 * The demo for people: one table with the facts as rows and the modes as
 * columns (five of them fit in 80 columns), the driver's trace events, and
 * a few sentences on what they show.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

#define LABEL_WIDTH 19
#define CELL_WIDTH  12
#define TEXT_WIDTH  78

static void cell_us(char *buf, size_t size, uint64_t ns)
{
	snprintf(buf, size, "%.1f", ns / 1e3);
}

static void cell_present(char *buf, size_t size, const struct demo_mode *r,
			 long n)
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

static void cell_u64(char *buf, size_t size, uint64_t n)
{
	snprintf(buf, size, "%llu", (unsigned long long)n);
}

static void cell_faults(const struct demo_mode *r, char *buf, size_t size)
{
	cell_u64(buf, size, r->driver_faults);
}

static void cell_vma_lock(const struct demo_mode *r, char *buf, size_t size)
{
	cell_u64(buf, size, r->vma_lock_faults);
}

static void cell_around(const struct demo_mode *r, char *buf, size_t size)
{
	cell_u64(buf, size, r->around_pages);
}

static void cell_huge(const struct demo_mode *r, char *buf, size_t size)
{
	cell_u64(buf, size, r->huge_faults);
}

static void cell_fallbacks(const struct demo_mode *r, char *buf, size_t size)
{
	cell_u64(buf, size, r->huge_fallbacks);
}

static void cell_pud(const struct demo_mode *r, char *buf, size_t size)
{
	cell_u64(buf, size, r->pud_faults);
}

static void cell_pud_fallbacks(const struct demo_mode *r, char *buf,
			       size_t size)
{
	cell_u64(buf, size, r->pud_fallbacks);
}

static void cell_minflt(const struct demo_mode *r, char *buf, size_t size)
{
	snprintf(buf, size, "%ld", r->minor_faults);
}

static void cell_populate(const struct demo_mode *r, char *buf, size_t size)
{
	if (r->populate_faults < 0)
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, "%ld", r->populate_faults);
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
	{ "driver faults", NULL },
	{ "  4 KiB", cell_faults },
	{ "  2 MiB", cell_huge },
	{ "  1 GiB", cell_pud },
	{ "  under VMA lock", cell_vma_lock },
	{ "  2 MiB fell back", cell_fallbacks },
	{ "  1 GiB fell back", cell_pud_fallbacks },
	{ "fault-around pages", cell_around },
	{ "minor faults", cell_minflt },
	{ "  if MAP_POPULATE", cell_populate },
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
			snprintf(buf, sizeof(buf), "%s",
				 row->cell == cell_mmap ?
					 errno_name(r->mmap_err) :
					 "-");
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
	       (unsigned long long)d->pages, d->pages == 1 ? "" : "s",
	       device_path);
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
			break; /* one long word: let it overflow */
		printf("%*s%.*s\n", indent, "", len, s);
		s += len + 1;
		if (width == TEXT_WIDTH - indent) {
			indent += 4;
			width -= 4;
		}
	}
	printf("%*s%s\n", indent, "", s);
}

/* Print paragraph @s after a blank line, folded at spaces to TEXT_WIDTH. */
static void print_paragraph(const char *s)
{
	int len;

	printf("\n");
	while ((len = strlen(s)) > TEXT_WIDTH) {
		for (len = TEXT_WIDTH; len > 0 && s[len] != ' '; len--)
			;
		if (!len)
			break;
		printf("%.*s\n", len, s);
		s += len + 1;
	}
	printf("%s\n", s);
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
		printf("No trace: tracefs is not mounted at %s.\n",
		       d->trace_root);
		return;
	case ENODEV:
		printf("No trace: the driver has no tracepoints (no %s/events/mmapdemo).\n",
		       d->trace_root);
		return;
	default:
		printf("No trace: %s: %s.\n", d->trace_root,
		       strerror(d->trace_err));
		return;
	}
	printf("The driver's trace events for %llu page%s mapped, read once and unmapped:\n",
	       (unsigned long long)d->trace_pages,
	       d->trace_pages == 1 ? "" : "s");
	for (r = d->modes; r < d->modes + d->nr_modes; r++) {
		printf("%s:\n", mode_name(r->mode));
		for (i = 0; i < r->trace_nr; i++)
			print_folded(r->trace[i], 2);
		if (!r->trace_nr)
			printf("  (no events)\n");
	}
}

static const char *const explanation[] = {
	"remap and insert are eager: their mmap() wrote every page table entry, "
	"with remap_pfn_range() and vm_insert_pages(), so mapping took longer and "
	"reading took no fault. fault, pfn and huge are lazy: mmap() only installed "
	"the driver's vm_operations, and first touches trapped into its fault "
	"handlers.",
	"remap, pfn and huge make PFN maps (VmFlags pf): their entries are bare "
	"page frame numbers, which the page walker behind /proc/self/pagemap "
	"treats as a hole (only the driver's counters show the pages are there), "
	"and which get_user_pages() refuses, so process_vm_readv() fails with "
	"EFAULT. fault and insert hand the core struct pages, which GUP can pin; "
	"vm_insert_pages() wants VmFlags mm (VM_MIXEDMAP) for that.",
	"MAP_POPULATE (and MADV_POPULATE_READ or _WRITE) faults the pages in "
	"ahead with GUP, so a populated fault mapping reads without a fault; GUP "
	"cannot follow a PFN map, so pfn and huge mappings stay empty and fault "
	"as before (MADV_POPULATE_* fails with EINVAL on them), and the eager "
	"modes have nothing left to populate.",
};

/* The results of @mode, or NULL if it is not in the demo or failed. */
static const struct demo_mode *find_mode(const struct demo *d,
					 unsigned int mode)
{
	const struct demo_mode *r;

	for (r = d->modes; r < d->modes + d->nr_modes; r++)
		if (r->mode == mode)
			return r->mmap_err ? NULL : r;
	return NULL;
}

/* Which lock the fault handlers ran under, as far as fault mode tells. */
static void explain_locks(const struct demo_mode *fault)
{
	if (!fault || !fault->driver_faults)
		return;
	if (!fault->vma_lock_faults) {
		print_paragraph(
			"Every fault held mmap_lock: per-VMA locks came in "
			"6.4, or the fault VMA has no ->map_pages.");
		return;
	}
	print_paragraph(
		"Because fault's VMA has ->map_pages, the core called its "
		"->fault under the VMA's own lock, while it gave up that "
		"lock for each fault of pfn, whose VMA has none, and "
		"retried the fault under mmap_lock (lock=mmap in the "
		"trace): fault_around=0 makes fault mode do the same.");
}

/* What fault-around did, or why it did nothing. */
static void explain_fault_around(const struct demo *d)
{
	if (d->fault_around < 0 || !find_mode(d, MMAPDEMO_MODE_FAULT))
		return;
	if (!d->fault_around)
		print_paragraph(
			"fault-around is off (the module's fault_around=0): "
			"fault took a fault per page, and had no ->map_pages.");
	else
		print_paragraph(
			"fault mapped the pages around each read fault "
			"(fault-around: the fault_around_bytes window, 64 KiB "
			"by default, kept inside the VMA and one page table), "
			"except for the first fault in a new page table, which "
			"maps its page only.");
	explain_locks(find_mode(d, MMAPDEMO_MODE_FAULT));
}

/* The entries of level @l that huge mode's faults made in @r. */
static uint64_t huge_entries(const struct demo_mode *r,
			     const struct map_level *l)
{
	switch (l->bit) {
	case MMAPDEMO_LEVEL_PUD:
		return r->pud_faults;
	case MMAPDEMO_LEVEL_PMD:
		return r->huge_faults;
	default:
		return r->driver_faults;
	}
}

/* Why huge mode mapped no block of level @l (above 4 KiB): a sentence. */
static void huge_why_not(const struct demo *d, const struct demo_mode *r,
			 const struct map_level *l, char *buf, size_t size)
{
	uint64_t fallbacks = l->bit == MMAPDEMO_LEVEL_PUD ? r->pud_fallbacks :
							    r->huge_fallbacks;

	if (l->bit == MMAPDEMO_LEVEL_PUD &&
	    !(d->info.levels & (MMAPDEMO_LEVEL_PMD | MMAPDEMO_LEVEL_PUD)))
		snprintf(buf, size,
			 "No 1 GiB either, for the same reason with a PUD "
			 "(CONFIG_ARCH_SUPPORTS_PUD_PFNMAP).");
	else if (!(d->info.levels & l->bit))
		snprintf(
			buf, size,
			"No %s: this kernel cannot map a page frame number "
			"with a %s (that needs %s_special(), "
			"CONFIG_ARCH_SUPPORTS_%s_PFNMAP, which came in 6.12)%s.",
			l->size, l->entry, l->name, l->entry,
			l->bit == MMAPDEMO_LEVEL_PMD ?
				", so the driver has no ->huge_fault here" :
				"");
	else if (!level_pages(&d->info, l))
		snprintf(buf, size, "No %s: the buffer has no %s chunk.",
			 l->size, l->size);
	else if (d->length < 1ULL << l->shift)
		snprintf(buf, size,
			 "No %s: the demo's mapping covers less than %s (try "
			 "--length %s).",
			 l->size, l->size, l->arg);
	else if (fallbacks)
		snprintf(buf, size,
			 "No %s: the driver's %s handler fell back %llu "
			 "time%s.",
			 l->size, l->size, (unsigned long long)fallbacks,
			 fallbacks == 1 ? "" : "s");
	else
		snprintf(buf, size,
			 "No %s: the kernel never asked the driver for %s "
			 "(transparent huge pages off for this process, or "
			 "page tables below the %s there already).",
			 l->size, l->size, l->entry);
}

/* What huge mode's faults mapped at each level, and why no larger blocks. */
static void explain_huge(const struct demo *d)
{
	const struct demo_mode *r = find_mode(d, MMAPDEMO_MODE_HUGE);
	const struct map_level *l, *top = map_levels;
	char got[256] = "", item[64], text[1024];
	size_t len;
	uint64_t n;

	if (!r)
		return;
	for (l = map_levels; l < map_levels + nr_map_levels; l++) {
		n = huge_entries(r, l);
		if (!n)
			continue;
		top = l;
		snprintf(item, sizeof(item), "%llu %s%s of %s",
			 (unsigned long long)n, l->entry, n == 1 ? "" : "s",
			 l->size);
		list_add(got, sizeof(got), ", ", item);
	}
	len = snprintf(text, sizeof(text), "huge's faults mapped %s.",
		       got[0] ? got : "nothing");
	if (top->bit != MMAPDEMO_LEVEL_PTE)
		len += snprintf(text + len, sizeof(text) - len,
				" Its mmap() placed the mapping at an address "
				"that agrees with its offset modulo %s, so that "
				"a %s maps a whole %s of the buffer.",
				top->size, top->entry, top->size);
	for (l = top + 1; l < map_levels + nr_map_levels; l++) {
		if (len + 2 >= sizeof(text))
			break;
		text[len++] = ' ';
		huge_why_not(d, r, l, text + len, sizeof(text) - len);
		len += strlen(text + len);
	}
	print_paragraph(text);
}

static void print_explanation(const struct demo *d)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(explanation); i++)
		print_paragraph(explanation[i]);
	explain_fault_around(d);
	explain_huge(d);
}

static void cell_dirty(const struct demo_write *w, char *buf, size_t size)
{
	cell_u64(buf, size, w->dirty_pages);
}

static void cell_synced(const struct demo_write *w, char *buf, size_t size)
{
	cell_u64(buf, size, w->synced_pages);
}

static void cell_synced_read(const struct demo_write *w, char *buf, size_t size)
{
	snprintf(buf, size, "%ld", w->synced_read_faults);
}

static void cell_reset_byte(const struct demo_write *w, char *buf, size_t size)
{
	snprintf(buf, size, "0x%02x", w->reset_byte);
}

static void cell_reset_read(const struct demo_write *w, char *buf, size_t size)
{
	snprintf(buf, size, "%ld", w->reset_read_faults);
}

/* The write side's table: a row per row of the table of modes. */
static const struct write_column {
	const char *head[2];
	int width;
	void (*cell)(const struct demo_write *w, char *buf, size_t size);
	bool reset; /* a fact of the reset */
} write_columns[] = {
	{ { "pages", "dirtied" }, 9, cell_dirty, false },
	{ { "written", "back" }, 9, cell_synced, false },
	{ { "synced page", "read faults" }, 13, cell_synced_read, false },
	{ { "after reset", "page reads" }, 13, cell_reset_byte, true },
	{ { "", "read faults" }, 13, cell_reset_read, true },
};

#define ROW_WIDTH 14 /* "fault_around" */

static void print_write_head(const struct demo *d, unsigned int line)
{
	const struct write_column *c;
	char buf[128];
	int len;

	len = snprintf(buf, sizeof(buf), "%*s", ROW_WIDTH, "");
	for (c = write_columns; c < write_columns + ARRAY_SIZE(write_columns);
	     c++)
		if (!c->reset || !d->reset_err)
			len += snprintf(buf + len, sizeof(buf) - len, "%*s",
					c->width, c->head[line]);
	while (len && buf[len - 1] == ' ')
		len--;
	printf("%.*s\n", len, buf);
}

static void print_write_row(const struct demo *d, const struct demo_write *w)
{
	const struct write_column *c;
	char buf[32];

	printf("%-*s", ROW_WIDTH, w->row->variant);
	if (w->failed) {
		printf("%s: %s\n", w->failed, errno_name(w->err));
		return;
	}
	for (c = write_columns; c < write_columns + ARRAY_SIZE(write_columns);
	     c++) {
		if (c->reset && d->reset_err)
			continue;
		c->cell(w, buf, sizeof(buf));
		printf("%*s", c->width, buf);
	}
	printf("\n");
}

/*
 * The names of the rows of the write side with results that @pick (all
 * with results if NULL), as "a, b and c" in @buf: how many there are.
 */
static unsigned int write_rows(const struct demo *d,
			       bool (*pick)(const struct demo *d,
					    const struct demo_write *w),
			       char *buf, size_t size)
{
	const struct demo_write *w, *end = d->write_rows + d->nr_write_rows;
	unsigned int n = 0, i = 0;
	size_t len = 0;

	for (w = d->write_rows; w < end; w++)
		n += !w->failed && (!pick || pick(d, w));
	buf[0] = '\0';
	for (w = d->write_rows; w < end; w++) {
		if (w->failed || (pick && !pick(d, w)))
			continue;
		i++;
		len += snprintf(buf + len, size - len, "%s%s",
				i == 1 ? "" :
				i == n ? " and " :
					 ", ",
				w->row->variant);
	}
	return n;
}

static bool counted_each_page(const struct demo *d, const struct demo_write *w)
{
	return w->dirty_pages == d->written_pages &&
	       w->synced_pages == d->written_pages;
}

/* Predicates for write_rows(); not all of them need @d. */
#define UNUSED __attribute__((unused))

static bool kept_ptes(const struct demo *d UNUSED, const struct demo_write *w)
{
	return !w->row->pfnmap && !w->synced_read_faults;
}

static bool zapped_ptes(const struct demo *d UNUSED, const struct demo_write *w)
{
	return w->row->pfnmap && w->synced_read_faults == 1;
}

static bool reset_refaulted(const struct demo *d, const struct demo_write *w)
{
	return !d->reset_err && !w->reset_byte && w->reset_read_faults == 1;
}

/* What the write side showed: each paragraph names the rows it is true of. */
static void explain_writes(const struct demo *d)
{
	unsigned int all, n;
	char rows[256], text[1024];

	all = write_rows(d, NULL, rows, sizeof(rows));
	if (!all)
		return;
	n = write_rows(d, counted_each_page, rows, sizeof(rows));
	if (n) {
		snprintf(text, sizeof(text),
			 "The first write to each clean page entered the driver "
			 "(->page_mkwrite in page maps, ->pfn_mkwrite in PFN "
			 "maps), which counted the page dirty once: %u writes "
			 "to %u pages made %u pages dirty, and msync() wrote "
			 "them back%s%s.",
			 d->nr_writes, d->written_pages, d->written_pages,
			 n == all ? "" : ", in ", n == all ? "" : rows);
		print_paragraph(text);
	}
	if (write_rows(d, kept_ptes, rows, sizeof(rows))) {
		snprintf(text, sizeof(text),
			 "After msync(), reading a page it had written back "
			 "took no fault in %s: their PTEs map struct pages, "
			 "which folio_mkclean() write-protected, so the page "
			 "stays mapped and its next write enters the driver "
			 "again.",
			 rows);
		print_paragraph(text);
	}
	if (write_rows(d, zapped_ptes, rows, sizeof(rows))) {
		snprintf(text, sizeof(text),
			 "It took a fault in %s: a PFN map has no struct page "
			 "to write-protect through, so the driver zapped the "
			 "PTEs of the pages it wrote back, and the read "
			 "faulted the page in again.",
			 rows);
		print_paragraph(text);
	}
	if (d->reset_err) {
		snprintf(text, sizeof(text),
			 "MMAPDEMO_IOC_RESET failed with %s%s: no columns for "
			 "it.",
			 errno_name(d->reset_err),
			 device_err_hint(d->reset_err));
		print_paragraph(text);
		return;
	}
	n = write_rows(d, reset_refaulted, rows, sizeof(rows));
	if (n) {
		snprintf(text, sizeof(text),
			 "MMAPDEMO_IOC_RESET took down every mapping of the "
			 "buffer and zeroed it: the next read took a fault that "
			 "mapped a zeroed page, %s%s.",
			 n == all ? "in every mode, the eager ones included" :
				    "in ",
			 n == all ? "" : rows);
		print_paragraph(text);
	}
}

static void print_write_trace(const struct demo *d)
{
	size_t i;

	if (d->trace_err)
		return; /* print_trace() said why */
	printf("\nThe driver's trace events for one page of %s mode with write tracking on,\n"
	       "written twice, msync()ed%s:\n",
	       mode_name(d->write_trace_mode),
	       d->reset_err ? "" : ", reset and read");
	for (i = 0; i < d->write_trace_nr; i++)
		print_folded(d->write_trace[i], 2);
	if (!d->write_trace_nr)
		printf("  (no events)\n");
}

static void print_writes(const struct demo *d)
{
	char text[512];
	unsigned int i;

	if (d->write_err) {
		snprintf(
			text, sizeof(text),
			"No write side: MMAPDEMO_IOC_SET_TRACK failed with %s%s.",
			errno_name(d->write_err),
			device_err_hint(d->write_err));
		print_paragraph(text);
		return;
	}
	snprintf(text, sizeof(text),
		 "Then the write side, once per row of the table of modes: "
		 "a mapping of %u pages made with write tracking on, %u "
		 "writes to %u of its pages (one twice), msync(MS_SYNC) of "
		 "the mapping and a read of a page it wrote back; then "
		 "MMAPDEMO_IOC_RESET and a read of a page written before:",
		 d->write_pages, d->nr_writes, d->written_pages);
	print_paragraph(text);
	printf("\n");
	print_write_head(d, 0);
	print_write_head(d, 1);
	for (i = 0; i < d->nr_write_rows; i++)
		print_write_row(d, &d->write_rows[i]);
	explain_writes(d);
	print_write_trace(d);
}

void demo_print_table(const struct demo *d)
{
	print_table(d);
	print_trace(d);
	print_explanation(d);
	print_writes(d);
}
