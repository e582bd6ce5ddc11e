// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark for people, in 80 columns: what the run was made on, one row
 * per size and mapping, then, at one size (64 MiB when it was measured), each
 * mode over each peer and the targets against those ratios.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "bench.h"

#define RATIO_SIZE (64ULL << 20)
#define CELL	   8 /* a number and the space before it */

/* The targets: a ratio of "mmap + first read" ns/page, at most @max. */
static const struct ratio_target {
	const char *mode, *peer;
	double max;
} ratio_targets[] = {
	{ "fault", "memfd", 1.0 },
	{ "remap", "memfd-pop", 0.5 },
	{ "huge", "thp", 1.0 },
};

#define FAULTS_MODE   "huge"
#define FAULTS_MAX    (1.0 / 512)
#define BANDWIDTH_MIN 0.95 /* of anonymous memory's */

/* "4K", "64M", "1G", or bytes. */
static const char *size_name(uint64_t size)
{
	static char buf[24];
	const char *units = "KMGT";
	int unit = -1;

	while (unit < 3 && size >= 1024 && !(size % 1024)) {
		size /= 1024;
		unit++;
	}
	if (unit < 0)
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)size);
	else
		snprintf(buf, sizeof(buf), "%llu%c", (unsigned long long)size,
			 units[unit]);
	return buf;
}

/* At most 7 characters, with the precision that makes sense there. */
static void print_num(FILE *f, double v)
{
	if (v >= 99.95)
		fprintf(f, " %7.0f", v);
	else if (v >= 9.995)
		fprintf(f, " %7.1f", v);
	else
		fprintf(f, " %7.2f", v);
}

static void print_faults(FILE *f, double v)
{
	if (v == 0)
		fprintf(f, " %7s", "0");
	else
		fprintf(f, " %7.4f", v);
}

static void print_ratio(FILE *f, double v)
{
	if (!isfinite(v))
		fprintf(f, " %7s", "n/a");
	else
		fprintf(f, " %6.2fx", v);
}

static void print_header(FILE *f)
{
	fprintf(f, "%-15s %-31s %-15s %s\n", "",
		"----------- ns/page -----------", "- faults/page -",
		"---- MB/s -----");
	fprintf(f, "%-5s %-9s %7s %7s %7s %7s %7s %7s %7s %7s\n", "size",
		"mapping", "mmap", "1st rd", "1st wr", "munmap", "1st rd",
		"1st wr", "read", "write");
}

static void print_result(FILE *f, const struct bench_result *r)
{
	fprintf(f, "%-5s %-9s", size_name(r->size), r->name);
	if (!r->ok) {
		fprintf(f, " n/a: %s\n", r->note);
		return;
	}
	print_num(f, r->mmap_ns);
	print_num(f, r->read_ns);
	print_num(f, r->write_ns);
	print_num(f, r->munmap_ns);
	print_faults(f, r->read_faults);
	print_faults(f, r->write_faults);
	print_num(f, r->read_mbps);
	print_num(f, r->write_mbps);
	fputc('\n', f);
}

static const struct bench_result *
find(const struct bench_run *run, uint64_t size, bool peer, const char *name)
{
	const struct bench_result *r;

	for (r = run->results; r < run->results + run->nr; r++)
		if (r->size == size && r->peer == peer &&
		    !strcmp(r->name, name))
			return r;
	return NULL;
}

/* 64 MiB if the run has it, else its largest size; 0 for an empty run. */
static uint64_t ratio_size(const struct bench_run *run)
{
	uint64_t size = 0;
	size_t i;

	for (i = 0; i < run->nr; i++) {
		if (run->results[i].size == RATIO_SIZE)
			return RATIO_SIZE;
		if (run->results[i].size > size)
			size = run->results[i].size;
	}
	return size;
}

#define FIELD(name) offsetof(struct bench_result, name)

/* The field at @offset of @a over that of @b, or NAN if one is missing. */
static double ratio(const struct bench_result *a, const struct bench_result *b,
		    size_t offset)
{
	if (!a || !b || !a->ok || !b->ok)
		return NAN;
	return *(const double *)((const char *)a + offset) /
	       *(const double *)((const char *)b + offset);
}

/* One line of the ratio table: a mode, first read or first write. */
static void print_ratio_row(FILE *f, const struct bench_run *run,
			    const struct bench_result *m, bool write)
{
	size_t map = write ? FIELD(write_map_ns) : FIELD(read_map_ns);
	size_t mbps = write ? FIELD(write_mbps) : FIELD(read_mbps);
	const char *peer;
	unsigned int i;

	fprintf(f, "%-10s %-9s", m->name, write ? "1st write" : "1st read");
	for (i = 0; (peer = bench_peer_name(i)); i++)
		print_ratio(f, ratio(m, find(run, m->size, true, peer), map));
	print_ratio(f, ratio(m, find(run, m->size, true, "anon"), mbps));
	fputc('\n', f);
}

static void print_ratios(FILE *f, const struct bench_run *run, uint64_t size)
{
	const struct bench_result *r;
	const char *peer;
	unsigned int i;
	char buf[32];

	fprintf(f,
		"\nat %s, each mode over each peer: ns/page of mmap() and the\n"
		"first read (or write) of every page; MB/s over anon's\n",
		format_size(buf, sizeof(buf), size));
	fprintf(f, "%-20s", "");
	for (i = 0; (peer = bench_peer_name(i)); i++)
		fprintf(f, " %7s", peer);
	fprintf(f, " %7s\n", "MB/s");
	for (r = run->results; r < run->results + run->nr; r++) {
		if (r->size != size || r->peer)
			continue;
		print_ratio_row(f, run, r, false);
		print_ratio_row(f, run, r, true);
	}
}

/* "  fault over memfd        <= 1.00x  missed  6.82x"; @met < 0: not known */
static void print_target(FILE *f, const char *what, const char *goal,
			 const char *value, int met)
{
	/* clang-format off */
	fprintf(f, "  %-25s %-8s %-7s %s\n", what, goal,
		met < 0 ? "-" : met ? "met" : "missed", value);
	/* clang-format on */
}

/* A mode that is missing, or the ratio of its ns/page over the peer's. */
static void print_ratio_target(FILE *f, const struct bench_run *run,
			       uint64_t size, const struct ratio_target *t)
{
	const struct bench_result *m = find(run, size, false, t->mode);
	const struct bench_result *p = find(run, size, true, t->peer);
	char what[64], goal[16], value[64];
	double r;

	snprintf(what, sizeof(what), "%s over %s", t->mode, t->peer);
	snprintf(goal, sizeof(goal), "<= %.2fx", t->max);
	if (!m || !m->ok) {
		snprintf(value, sizeof(value), "no %s mode", t->mode);
		print_target(f, what, goal, value, -1);
		return;
	}
	if (!p || !p->ok) {
		snprintf(value, sizeof(value), "%s: %s", t->peer,
			 p ? p->note : "not measured");
		print_target(f, what, goal, value, -1);
		return;
	}
	r = ratio(m, p, FIELD(read_map_ns));
	snprintf(value, sizeof(value), "%.2fx", r);
	print_target(f, what, goal, value, r <= t->max);
}

static void print_faults_target(FILE *f, const struct bench_run *run,
				uint64_t size)
{
	const struct bench_result *m = find(run, size, false, FAULTS_MODE);
	char what[64], goal[16], value[64];
	double faults;

	snprintf(what, sizeof(what), "%s faults per page", FAULTS_MODE);
	snprintf(goal, sizeof(goal), "<= 1/%.0f", 1 / FAULTS_MAX);
	if (!m || !m->ok) {
		snprintf(value, sizeof(value), "no %s mode", FAULTS_MODE);
		print_target(f, what, goal, value, -1);
		return;
	}
	faults = fmax(m->read_faults, m->write_faults);
	if (faults)
		snprintf(value, sizeof(value), "1/%.0f", 1 / faults);
	else
		snprintf(value, sizeof(value), "0");
	print_target(f, what, goal, value, faults <= FAULTS_MAX);
}

/* Every mode's read and write MB/s over anon's; the worst one decides. */
static void print_bandwidth_target(FILE *f, const struct bench_run *run,
				   uint64_t size)
{
	const struct bench_result *anon = find(run, size, true, "anon"), *r;
	const struct bench_result *worst = NULL;
	double read, write, min = INFINITY;
	char goal[16], value[64];
	bool worst_write = false;

	for (r = run->results; r < run->results + run->nr; r++) {
		if (r->size != size || r->peer || !r->ok)
			continue;
		read = ratio(r, anon, FIELD(read_mbps));
		write = ratio(r, anon, FIELD(write_mbps));
		if (fmin(read, write) < min) {
			min = fmin(read, write);
			worst = r;
			worst_write = write < read;
		}
	}
	snprintf(goal, sizeof(goal), ">= %.2fx", BANDWIDTH_MIN);
	if (worst)
		snprintf(value, sizeof(value), "%.2fx (%s %s)", min,
			 worst->name, worst_write ? "write" : "read");
	else
		snprintf(value, sizeof(value), "nothing to compare");
	print_target(f, "MB/s of modes over anon's", goal, value,
		     worst ? min >= BANDWIDTH_MIN : -1);
}

static void print_targets(FILE *f, const struct bench_run *run, uint64_t size)
{
	char buf[32];
	size_t i;

	fprintf(f, "\ntargets at %s (ns/page of mmap() and the first read):\n",
		format_size(buf, sizeof(buf), size));
	for (i = 0; i < ARRAY_SIZE(ratio_targets); i++)
		print_ratio_target(f, run, size, &ratio_targets[i]);
	print_faults_target(f, run, size);
	print_bandwidth_target(f, run, size);
}

void bench_print_table(FILE *f, const struct bench_run *run)
{
	uint64_t size = ratio_size(run), last = 0;
	unsigned int i;
	size_t row;

	for (i = 0; i < run->nr_about; i++)
		fprintf(f, "%s\n", run->about[i]);
	fputc('\n', f);
	print_header(f);
	for (row = 0; row < run->nr; row++) {
		if (row && run->results[row].size != last)
			fputc('\n', f);
		last = run->results[row].size;
		print_result(f, &run->results[row]);
	}
	if (!size)
		return;
	print_ratios(f, run, size);
	print_targets(f, run, size);
}
