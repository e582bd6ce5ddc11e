// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo bench: for each size, map the device in each of its modes and the
 * kernel's own kinds of memory alike, several times over, and report the
 * median of each measure (see bench_measure.c for what one repetition does).
 * The repetitions interleave the mappings, so that a slow moment of the
 * machine does not fall on one of them only.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_SIZES   32
#define MAX_REPS    1000
#define DEFAULT_MAX (256ULL << 20)
#define BIG_SIZE    (64ULL << 20) /* above it, fewer repetitions */
#define REPS	    5
#define BIG_REPS    3

struct bench_args {
	uint64_t sizes[MAX_SIZES];
	unsigned int nr_sizes;
	unsigned int reps;	   /* 0: REPS, and BIG_REPS above BIG_SIZE */
	const char *modes, *peers; /* comma-separated lists, or NULL */
	const char *from;
	bool csv, quiet;
};

static int add_size(struct bench_args *a, uint64_t size)
{
	if (!size)
		return -EINVAL;
	if (a->nr_sizes == MAX_SIZES)
		return -E2BIG;
	a->sizes[a->nr_sizes++] = size;
	return 0;
}

/* "FROM-TO[:FACTOR]": FROM, FROM * FACTOR, ... up to TO, by 4 by default. */
static int parse_range(struct bench_args *a, char *s, char *dash)
{
	uint64_t from, to, factor = 4, size;
	char *colon = strchr(dash, ':');
	int ret;

	*dash = '\0';
	if (colon)
		*colon = '\0';
	ret = parse_size(s, &from);
	if (!ret)
		ret = parse_size(dash + 1, &to);
	if (!ret && colon)
		ret = parse_size(colon + 1, &factor);
	if (ret)
		return ret;
	if (!from || from > to || factor < 2)
		return -EINVAL;
	for (size = from; size <= to && !ret; size *= factor) {
		ret = add_size(a, size);
		if (size > UINT64_MAX / factor)
			break;
	}
	return ret;
}

/* "4K,64K,1M" or "4K-256M" or "4K-256M:2". */
static int parse_sizes(struct bench_args *a, const char *arg)
{
	char *copy = strdup(arg), *item, *save, *dash;
	uint64_t size;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	a->nr_sizes = 0;
	for (item = strtok_r(copy, ",", &save); item && !ret;
	     item = strtok_r(NULL, ",", &save)) {
		dash = strchr(item, '-');
		if (dash) {
			ret = parse_range(a, item, dash);
			continue;
		}
		ret = parse_size(item, &size);
		if (!ret)
			ret = add_size(a, size);
	}
	free(copy);
	return ret ? ret : a->nr_sizes ? 0 : -EINVAL;
}

static int parse_reps(const char *arg, unsigned int *reps)
{
	uint64_t n;
	int ret = parse_size(arg, &n);

	if (ret)
		return ret;
	if (!n || n > MAX_REPS)
		return -ERANGE;
	*reps = n;
	return 0;
}

/* Is @name in the comma-separated @list?  A NULL list has every name. */
static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	if (!list)
		return true;
	for (p = list; (p = strstr(p, name)); p += len)
		if ((p == list || p[-1] == ',') && (!p[len] || p[len] == ','))
			return true;
	return false;
}

static void parse_args(const struct command *cmd, int argc, char **argv,
		       struct bench_args *a)
{
	static const struct option options[] = {
		COMMON_LONG_OPTIONS,
		{ "sizes", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "modes", required_argument, NULL, 'm' },
		{ "peers", required_argument, NULL, 'p' },
		{ "csv", no_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "from", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret;

	while ((opt = getopt_long(argc, argv,
				  COMMON_SHORT_OPTIONS "s:r:m:p:cqF:", options,
				  NULL)) != -1) {
		ret = 0;
		switch (opt) {
		case 's':
			ret = parse_sizes(a, optarg);
			break;
		case 'r':
			ret = parse_reps(optarg, &a->reps);
			break;
		case 'm':
			a->modes = optarg;
			break;
		case 'p':
			a->peers = optarg;
			break;
		case 'c':
			a->csv = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'F':
			a->from = optarg;
			break;
		default:
			command_option(cmd, opt);
		}
		if (ret < 0)
			die_bad_arg(cmd, options, opt, optarg, -ret);
	}
	command_no_args(cmd, argc, argv);
}

/* Powers of 4 from a page up to the buffer, and DEFAULT_MAX at most. */
static void default_sizes(struct bench_args *a, uint64_t buffer)
{
	uint64_t size, max = buffer < DEFAULT_MAX ? buffer : DEFAULT_MAX;

	for (size = page_size(); size <= max; size *= 4)
		add_size(a, size);
}

/* The sizes asked for, rounded up to pages, or powers of 4 up to the buffer. */
static void check_sizes(const struct command *cmd, struct bench_args *a,
			uint64_t buffer)
{
	uint64_t page = page_size();
	char buf[32];
	unsigned int i;

	if (!a->nr_sizes)
		default_sizes(a, buffer);
	for (i = 0; i < a->nr_sizes; i++) {
		a->sizes[i] = (a->sizes[i] + page - 1) / page * page;
		if (a->sizes[i] > buffer)
			die_usage(cmd,
				  "--sizes: %llu bytes: the buffer of %s has %s",
				  (unsigned long long)a->sizes[i], device_path,
				  format_size(buf, sizeof(buf), buffer));
	}
}

/* Keep the subjects that --modes and --peers name, and close the others. */
static unsigned int pick_subjects(const struct bench_args *a,
				  struct bench_subject *s, unsigned int nr)
{
	unsigned int i, kept = 0;

	for (i = 0; i < nr; i++) {
		if (listed(s[i].peer ? a->peers : a->modes, s[i].name))
			s[kept++] = s[i];
		else if (s[i].fd >= 0)
			close(s[i].fd);
	}
	return kept;
}

static void check_list(const struct command *cmd, const char *option,
		       const char *list, const struct bench_subject *s,
		       unsigned int nr, bool peers)
{
	char *copy, *item, *save;
	unsigned int i;

	if (!list || !strcmp(list, "none"))
		return;
	copy = strdup(list);
	if (!copy)
		die("out of memory");
	for (item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nr; i++)
			if (s[i].peer == peers && !strcmp(s[i].name, item))
				break;
		if (i == nr)
			die_usage(cmd, "%s %s: %s", option, item,
				  peers ? "no such peer" :
					  "the driver has no such mode");
	}
	free(copy);
}

/* Prepare @s for @len bytes; false, with the reason in @r, if it cannot be. */
static bool subject_start(struct bench_subject *s, size_t len,
			  struct bench_result *r)
{
	int ret;

	if (s->ops->unavailable &&
	    s->ops->unavailable(s, len, r->note, sizeof(r->note)))
		return false;
	ret = s->ops->prepare ? s->ops->prepare(s, len) : 0;
	if (ret)
		snprintf(r->note, sizeof(r->note), "cannot prepare it: %s",
			 strerror(-ret));
	return !ret;
}

/* One repetition in ns per page, in the fields of a result. */
static void sample_per_page(const struct bench_sample *s, size_t len,
			    struct bench_result *r)
{
	double pages = len / page_size();

	r->mmap_ns = s->mmap_ns / pages;
	r->read_ns = s->read_ns / pages;
	r->read_faults = s->read_faults / pages;
	r->write_ns = s->write_ns / pages;
	r->write_faults = s->write_faults / pages;
	r->read_map_ns = (s->mmap_ns + s->read_ns) / pages;
	r->write_map_ns = (s->write_mmap_ns + s->write_ns) / pages;
	r->read_mbps = s->read_mbps;
	r->write_mbps = s->write_mbps;
	r->munmap_ns = s->munmap_ns / pages;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define FIELD(name) offsetof(struct bench_result, name)

static const size_t measures[] = {
	FIELD(mmap_ns),	     FIELD(read_ns),	  FIELD(read_faults),
	FIELD(write_ns),     FIELD(write_faults), FIELD(read_map_ns),
	FIELD(write_map_ns), FIELD(read_mbps),	  FIELD(write_mbps),
	FIELD(munmap_ns),
};

#define MEASURE(r, offset) (*(double *)((char *)(r) + (offset)))

/* Each measure of @r is the median of that measure over @reps. */
static void medians(struct bench_result *r, const struct bench_result *reps,
		    unsigned int nr)
{
	double v[MAX_REPS];
	unsigned int i, m;

	for (m = 0; m < ARRAY_SIZE(measures); m++) {
		for (i = 0; i < nr; i++)
			v[i] = MEASURE(&reps[i], measures[m]);
		qsort(v, nr, sizeof(v[0]), compare_doubles);
		MEASURE(r, measures[m]) =
			nr % 2 ? v[nr / 2] : (v[nr / 2 - 1] + v[nr / 2]) / 2;
	}
}

/* All the subjects at @len bytes, @reps times over, into @run. */
static void measure_size(struct bench_run *run, struct bench_subject *subjects,
			 unsigned int nr, size_t len, unsigned int reps)
{
	struct bench_result *per_rep, *r = NULL;
	struct bench_sample sample;
	bool ok[BENCH_SUBJECTS];
	unsigned int i, rep;
	int ret;

	per_rep = calloc((size_t)nr * reps, sizeof(*per_rep));
	if (!per_rep)
		die("out of memory");
	for (i = 0; i < nr; i++) {
		r = bench_run_add(run);
		r->size = len;
		r->peer = subjects[i].peer;
		memcpy(r->name, subjects[i].name, sizeof(r->name));
		ok[i] = subject_start(&subjects[i], len, r);
	}
	r -= nr - 1; /* the first result of this size */

	for (rep = 0; rep < reps; rep++) {
		for (i = 0; i < nr; i++) {
			if (!ok[i])
				continue;
			ret = bench_sample(&subjects[i], len, &sample);
			if (ret) {
				ok[i] = false;
				snprintf(r[i].note, sizeof(r[i].note),
					 "mmap() fails with %s",
					 errno_name(-ret));
				continue;
			}
			sample_per_page(&sample, len, &per_rep[i * reps + rep]);
		}
	}

	for (i = 0; i < nr; i++) {
		r[i].ok = ok[i];
		if (!ok[i])
			continue;
		r[i].reps = reps;
		medians(&r[i], &per_rep[i * reps], reps);
	}
	free(per_rep);
}

/*
 * One page of each subject, untimed: the first call of each path faults in
 * the tool's own code and data, faults that the first repetition would
 * otherwise count as the mapping's.
 */
static void warm_up(struct bench_subject *subjects, unsigned int nr)
{
	struct bench_sample sample;
	struct bench_result r;
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (subject_start(&subjects[i], page_size(), &r))
			bench_sample(&subjects[i], page_size(), &sample);
}

static unsigned int reps_for(const struct bench_args *a, uint64_t size)
{
	if (a->reps)
		return a->reps;
	return size > BIG_SIZE ? BIG_REPS : REPS;
}

/* The "# " lines of the CSV: when, where, and how the run was made. */
static void describe_run(struct bench_run *run, const struct bench_args *a,
			 const struct mmapdemo_info *info)
{
	char date[32], size[32], reps[64];
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
	if (uname(&u))
		die("uname");
	snprintf(run->about[run->nr_about++], sizeof(run->about[0]),
		 "mmapdemo bench, %s, Linux %s %s", date, u.release, u.machine);
	bench_describe_kernel(run->about[run->nr_about++],
			      sizeof(run->about[0]));
	if (a->reps)
		snprintf(reps, sizeof(reps), "%u repetitions", a->reps);
	else
		snprintf(reps, sizeof(reps), "%u repetitions (%u above 64 MiB)",
			 REPS, BIG_REPS);
	snprintf(run->about[run->nr_about++], sizeof(run->about[0]),
		 "buffer %s in %u chunks; medians of %s",
		 format_size(size, sizeof(size), info->size), info->chunks,
		 reps);
}

static void bench_measure(const struct command *cmd, struct bench_args *a,
			  struct bench_run *run)
{
	struct bench_subject subjects[BENCH_SUBJECTS];
	struct mmapdemo_info info;
	unsigned int nr, i, reps;
	char size[32];
	uint64_t t;
	int dev;

	dev = device_open();
	device_info(dev, &info);
	check_sizes(cmd, a, info.size);
	nr = bench_subjects(dev, subjects);
	check_list(cmd, "--modes", a->modes, subjects, nr, false);
	check_list(cmd, "--peers", a->peers, subjects, nr, true);
	nr = pick_subjects(a, subjects, nr);
	describe_run(run, a, &info);

	warm_up(subjects, nr);
	for (i = 0; i < a->nr_sizes; i++) {
		reps = reps_for(a, a->sizes[i]);
		t = now_ns();
		measure_size(run, subjects, nr, a->sizes[i], reps);
		if (a->quiet)
			continue;
		fprintf(stderr,
			"mmapdemo bench: %s, %u mappings, %u repetitions: %.1f s\n",
			format_size(size, sizeof(size), a->sizes[i]), nr, reps,
			(now_ns() - t) / 1e9);
	}
	bench_subjects_close(subjects, nr);
	close(dev);
}

static void bench_load(const char *path, struct bench_run *run)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char why[160];
	int ret;

	if (!f)
		die("%s", path);
	ret = bench_csv_read(f, run, why, sizeof(why));
	if (ret)
		die_err(0, "%s: %s", path, why);
	if (f != stdin)
		fclose(f);
}

int cmd_bench(const struct command *cmd, int argc, char **argv)
{
	struct bench_args a = { 0 };
	struct bench_run run = { 0 };

	parse_args(cmd, argc, argv, &a);
	if (a.from)
		bench_load(a.from, &run);
	else
		bench_measure(cmd, &a, &run);
	if (a.csv)
		bench_csv_write(stdout, &run);
	else
		bench_print_table(stdout, &run);
	bench_run_free(&run);
	return 0;
}
