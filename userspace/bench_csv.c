// SPDX-License-Identifier: GPL-2.0
/*
 * The results as CSV: "# " lines saying what the run was made on, a header,
 * then one row per size and mapping.  A row that could not be measured has
 * status "n/a", empty numbers and the reason in "note".  One table of columns
 * writes the rows and reads them back, so "mmapdemo bench --from FILE" shows
 * a file that was measured elsewhere (in a QEMU guest, say).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

enum column_type {
	COL_SIZE,   /* uint64_t */
	COL_PAGES,  /* written from size, ignored when read */
	COL_KIND,   /* bool peer: "mode" or "peer" */
	COL_NAME,   /* char[BENCH_NAME] */
	COL_STATUS, /* bool ok: "ok" or "n/a" */
	COL_REPS,   /* unsigned int */
	COL_NUM,    /* double, empty when n/a */
	COL_NOTE,   /* char[BENCH_NOTE], commas replaced */
};

static const struct column {
	const char *name;
	enum column_type type;
	size_t offset;
	int decimals;
} columns[] = {
/* clang-format off */
#define COLUMN(name, type, field, decimals) \
	{ name, type, offsetof(struct bench_result, field), decimals }
	/* clang-format on */
	COLUMN("size", COL_SIZE, size, 0),
	COLUMN("pages", COL_PAGES, size, 0),
	COLUMN("kind", COL_KIND, peer, 0),
	COLUMN("name", COL_NAME, name, 0),
	COLUMN("status", COL_STATUS, ok, 0),
	COLUMN("reps", COL_REPS, reps, 0),
	COLUMN("mmap_ns_per_page", COL_NUM, mmap_ns, 2),
	COLUMN("read_ns_per_page", COL_NUM, read_ns, 2),
	COLUMN("read_faults_per_page", COL_NUM, read_faults, 6),
	COLUMN("write_ns_per_page", COL_NUM, write_ns, 2),
	COLUMN("write_faults_per_page", COL_NUM, write_faults, 6),
	COLUMN("mmap_read_ns_per_page", COL_NUM, read_map_ns, 2),
	COLUMN("mmap_write_ns_per_page", COL_NUM, write_map_ns, 2),
	COLUMN("read_mb_s", COL_NUM, read_mbps, 1),
	COLUMN("write_mb_s", COL_NUM, write_mbps, 1),
	COLUMN("munmap_ns_per_page", COL_NUM, munmap_ns, 2),
	COLUMN("note", COL_NOTE, note, 0),
#undef COLUMN
};

#define NR_COLUMNS   ARRAY_SIZE(columns)
#define MAX_FIELDS   (2 * NR_COLUMNS)
#define LINE_MAX_CSV 1024

struct bench_result *bench_run_add(struct bench_run *run)
{
	struct bench_result *r;
	size_t cap = run->cap ? run->cap * 2 : 64;

	if (run->nr == run->cap) {
		r = realloc(run->results, cap * sizeof(*r));
		if (!r)
			die("out of memory");
		run->results = r;
		run->cap = cap;
	}
	r = &run->results[run->nr++];
	memset(r, 0, sizeof(*r));
	return r;
}

void bench_run_free(struct bench_run *run)
{
	free(run->results);
	memset(run, 0, sizeof(*run));
}

static void write_field(FILE *f, const struct column *c,
			const struct bench_result *r)
{
	const void *field = (const char *)r + c->offset;
	const char *s;

	switch (c->type) {
	case COL_SIZE:
		fprintf(f, "%llu", (unsigned long long)r->size);
		break;
	case COL_PAGES:
		fprintf(f, "%llu", (unsigned long long)(r->size / page_size()));
		break;
	case COL_KIND:
		fputs(r->peer ? "peer" : "mode", f);
		break;
	case COL_NAME:
		fputs(r->name, f);
		break;
	case COL_STATUS:
		fputs(r->ok ? "ok" : "n/a", f);
		break;
	case COL_REPS:
		fprintf(f, "%u", r->reps);
		break;
	case COL_NUM:
		if (r->ok)
			fprintf(f, "%.*f", c->decimals, *(const double *)field);
		break;
	case COL_NOTE:
		for (s = r->note; *s; s++)
			fputc(*s == ',' || *s == '\n' ? ';' : *s, f);
		break;
	}
}

void bench_csv_write(FILE *f, const struct bench_run *run)
{
	unsigned int i;
	size_t row, c;

	for (i = 0; i < run->nr_about; i++)
		fprintf(f, "# %s\n", run->about[i]);
	for (c = 0; c < NR_COLUMNS; c++)
		fprintf(f, "%s%s", c ? "," : "", columns[c].name);
	fputc('\n', f);
	for (row = 0; row < run->nr; row++) {
		for (c = 0; c < NR_COLUMNS; c++) {
			if (c)
				fputc(',', f);
			write_field(f, &columns[c], &run->results[row]);
		}
		fputc('\n', f);
	}
	fflush(f);
}

/* Split @line at commas in place; the number of fields, or @max + 1. */
static size_t split(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	for (;;) {
		if (n == max)
			return max + 1;
		fields[n++] = p;
		p = strchr(p, ',');
		if (!p)
			return n;
		*p++ = '\0';
	}
}

static bool parse_double(const char *s, double *val)
{
	char *end;

	errno = 0;
	*val = strtod(s, &end);
	return *s && !*end && !errno;
}

static bool parse_choice(const char *s, const char *yes, const char *no,
			 bool *val)
{
	*val = !strcmp(s, yes);
	return *val || !strcmp(s, no);
}

static bool read_field(const struct column *c, const char *s,
		       struct bench_result *r)
{
	void *field = (char *)r + c->offset;
	unsigned long u;
	char *end;

	switch (c->type) {
	case COL_SIZE:
		return !parse_size(s, &r->size) && r->size;
	case COL_PAGES:
		return true;
	case COL_KIND:
		return parse_choice(s, "peer", "mode", &r->peer);
	case COL_NAME:
		snprintf(r->name, sizeof(r->name), "%s", s);
		return *s;
	case COL_STATUS:
		return parse_choice(s, "ok", "n/a", &r->ok);
	case COL_REPS:
		errno = 0;
		u = strtoul(s, &end, 10);
		r->reps = u;
		return *s && !*end && !errno && u == r->reps;
	case COL_NUM:
		return r->ok ? parse_double(s, field) : !*s;
	case COL_NOTE:
		snprintf(r->note, sizeof(r->note), "%s", s);
		return true;
	}
	return false;
}

/*
 * Which column of the table each field of the header is, or -1 for one this
 * tool does not know; every column of the table must be there.
 */
static int read_header(char *line, int *index, size_t *nr_fields)
{
	char *fields[MAX_FIELDS];
	size_t i, c, found = 0;

	*nr_fields = split(line, fields, MAX_FIELDS);
	if (*nr_fields > MAX_FIELDS)
		return -E2BIG;
	for (i = 0; i < *nr_fields; i++) {
		index[i] = -1;
		for (c = 0; c < NR_COLUMNS; c++)
			if (!strcmp(fields[i], columns[c].name))
				index[i] = c;
		found += index[i] >= 0;
	}
	return found == NR_COLUMNS ? 0 : -EINVAL;
}

/* Fill @r from the fields of @line; the status first, the numbers need it. */
static int read_row(char *line, const int *index, size_t nr_fields,
		    struct bench_result *r, char *why, size_t size)
{
	char *fields[MAX_FIELDS];
	const struct column *c;
	unsigned int pass;
	size_t i;

	if (split(line, fields, MAX_FIELDS) != nr_fields) {
		snprintf(why, size, "not %zu fields", nr_fields);
		return -EINVAL;
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nr_fields; i++) {
			if (index[i] < 0)
				continue;
			c = &columns[index[i]];
			if ((c->type == COL_STATUS) != !pass ||
			    read_field(c, fields[i], r))
				continue;
			snprintf(why, size, "bad %s '%s'", c->name, fields[i]);
			return -EINVAL;
		}
	}
	return 0;
}

int bench_csv_read(FILE *f, struct bench_run *run, char *why, size_t size)
{
	char line[LINE_MAX_CSV], msg[128];
	int index[MAX_FIELDS], ret;
	size_t nr_fields = 0;
	unsigned int n = 0;
	bool header = false;

	while (fgets(line, sizeof(line), f)) {
		n++;
		if (line[0] == '#') {
			if (run->nr_about < ARRAY_SIZE(run->about))
				snprintf(run->about[run->nr_about++],
					 sizeof(run->about[0]), "%.*s",
					 (int)strcspn(line + 2, "\r\n"),
					 line + 2);
			continue;
		}
		if (!header) {
			ret = read_header(line, index, &nr_fields);
			if (ret) {
				snprintf(why, size, "line %u: %s", n,
					 "not a header of mmapdemo bench --csv");
				return ret;
			}
			header = true;
			continue;
		}
		ret = read_row(line, index, nr_fields, bench_run_add(run), msg,
			       sizeof(msg));
		if (ret) {
			snprintf(why, size, "line %u: %s", n, msg);
			return ret;
		}
	}
	if (!header) {
		snprintf(why, size, "no header line");
		return -EINVAL;
	}
	return 0;
}
