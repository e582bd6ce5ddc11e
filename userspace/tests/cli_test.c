// SPDX-License-Identifier: GPL-2.0
/*
 * The facts "mmapdemo demo --json" reports for each mode are the ones this
 * suite proves: the demo must not teach anything the driver does not do.
 * "mmapdemo bench --csv" gives a well-formed row for every mode and peer,
 * and counts the faults each mode takes.  Its timings are not judged here.
 * "mmapdemo map --track --sync", sync, reset and remove report what the
 * driver's counters say, and fail saying why.  A mistake on the command line
 * is reported, with what was valid, before the device is opened; info and
 * stats speak JSON with a format version; the version is dkms.conf's; the
 * bash completion offers the modes.
 * The tool is $MMAPDEMO_CLI, or mmapdemo on PATH.
 */
#include <libgen.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "mmapdemo_test.h"

#define DEMO_PAGES	16

/* Run "mmapdemo @args" and return its standard output, or NULL. */
static char *cli_output(const char *args)
{
	const char *cli = getenv("MMAPDEMO_CLI") ?: "mmapdemo";
	size_t len = 0, size = 1 << 16;
	char cmd[256], *out = malloc(size);
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s %s 2>/dev/null", cli, args);
	f = popen(cmd, "r");
	if (!f || !out) {
		free(out);
		return NULL;
	}
	len = fread(out, 1, size - 1, f);
	out[len] = '\0';
	if (pclose(f) || !len) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * Run the shell command @cmd, without CAP_SYS_ADMIN if @drop_admin (dropped
 * from the bounding set, so that a program's execve() as root does not get
 * it back): its exit status, or -1, with its standard output and error in
 * @out.
 */
static int sh_run(const char *cmd, bool drop_admin, char *out, size_t size)
{
	size_t len = 0;
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		if (drop_admin && prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0))
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while (len < size - 1 && (n = read(pipefd[0], out + len, size - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Run "mmapdemo @args" as sh_run() does. */
static int cli_run(const char *args, bool drop_admin, char *out, size_t size)
{
	const char *cli = getenv("MMAPDEMO_CLI") ?: "mmapdemo";
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "%s %s", cli, args);
	return sh_run(cmd, drop_admin, out, size);
}

/* Run the demo and return its JSON output, or NULL. */
static char *demo_json(size_t page)
{
	char args[64];

	snprintf(args, sizeof(args), "demo --json --length %zu",
		 DEMO_PAGES * page);
	return cli_output(args);
}

/*
 * The first object whose "@name" is "@value" (that of a mode in the "modes"
 * array, of a row in "write"), cut out of @json from that member on: the
 * demo writes flat objects, so the first '}' after it closes it.
 */
static char *object_of(const char *json, const char *name, const char *value)
{
	char key[64], *start, *end;

	snprintf(key, sizeof(key), "\"%s\": \"%s\"", name, value);
	start = strstr(json, key);
	end = start ? strchr(start, '}') : NULL;
	return end ? strndup(start, end - start) : NULL;
}

/* The value of "@key" in @obj as text ("null", "true", a number), or "". */
static const char *field(const char *obj, const char *key)
{
	static char val[64];
	char pattern[64];
	const char *p;

	snprintf(pattern, sizeof(pattern), "\"%s\": ", key);
	p = strstr(obj, pattern);
	if (!p || sscanf(p + strlen(pattern), "%63[^,\n]", val) != 1)
		return "";
	return val;
}

static const char *number(unsigned long n)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%lu", n);
	return buf;
}

/* A number field of @obj, or -1. */
static long number_field(const char *obj, const char *key)
{
	const char *val = field(obj, key);
	char *end;
	long n;

	n = strtol(val, &end, 10);
	return *val && !*end ? n : -1;
}

TEST_F(mmapdemo, demo_json_reports_what_mode_does)
{
	char *json = demo_json(self->page), *obj, vmflags[64];
	long lazy, faults, min, max;
	const char *str;
	void *addr;

	if (!json)
		SKIP(return, "mmapdemo demo failed or is not on PATH (set MMAPDEMO_CLI)");
	obj = object_of(json, "mode", mode_name(variant->mode));
	ASSERT_NE(NULL, obj) TH_LOG("%s", json);

	EXPECT_STREQ(variant->around ? "true" : "false", field(json, "fault_around"));
	EXPECT_STREQ("null", field(obj, "mmap_error"));
	lazy = number_field(obj, "driver_faults") + number_field(obj, "around_pages") +
	       number_field(obj, "huge_faults") * (long)pmd_pages();
	EXPECT_EQ(expect_lazy(variant, DEMO_PAGES), lazy);
	addr = (void *)(uintptr_t)number_field(obj, "address");
	expect_read_faults(self, variant, addr, 0, DEMO_PAGES, &min, &max);
	faults = number_field(obj, "minor_faults");
	EXPECT_LE(min, faults);
	EXPECT_GE(max, faults);
	EXPECT_STREQ(number(expect_eager(variant, DEMO_PAGES)),
		     field(obj, "eager_pages"));
	EXPECT_STREQ(variant->pfnmap ? "true" : "false", field(obj, "pfnmap"));
	EXPECT_STREQ(variant->pfnmap ? "null" :
		     number(expect_present_after_mmap(variant, DEMO_PAGES)),
		     field(obj, "present_after_mmap"));
	EXPECT_STREQ(variant->pfnmap ? "null" : number(DEMO_PAGES),
		     field(obj, "present_after_touch"));
	/* A JSON string: without its quotes. */
	str = field(obj, "vmflags");
	str += *str == '"';
	snprintf(vmflags, sizeof(vmflags), "%.*s", (int)strcspn(str, "\""), str);
	EXPECT_STREQ("", vma_flag_mismatch(vmflags, expect_vmflags(variant), true));
	EXPECT_STREQ("", vma_flag_mismatch(vmflags, expect_no_vmflags(variant), false));
	EXPECT_STREQ(expect_gup(variant) ? "true" : "false",
		     field(obj, "process_vm_readv"));
	free(obj);
	free(json);
}

/* The trace part shows this mode's mmap() and the events that map its pages. */
TEST_F(mmapdemo, demo_json_traces_mode)
{
	char *json = demo_json(self->page), key[64];
	const char *event = expect_mode_event(variant);

	if (!json)
		SKIP(return, "mmapdemo demo failed or is not on PATH (set MMAPDEMO_CLI)");
	if (!strstr(json, "\"trace\": ["))
		SKIP(goto out, "the demo found no tracefs with mmapdemo events");
	snprintf(key, sizeof(key), "mmapdemo_mmap: mode=%s ", mode_name(variant->mode));
	EXPECT_NE(NULL, strstr(json, key));
	if (event)
		EXPECT_NE(NULL, strstr(json, event)) TH_LOG("no %s", event);
out:
	free(json);
}

#define BENCH_HUGE	(2UL << 20)

/*
 * The benchmark, as small as it goes: one repetition of one page, and of
 * 2 MiB (where THP can be measured) when the buffer has room.
 */
static char *bench_csv(const struct mmapdemo_info *info)
{
	char args[64];

	snprintf(args, sizeof(args), "bench --csv --quiet --reps 1 --sizes %s",
		 info->size >= BENCH_HUGE ? "4K,2M" : "4K");
	return cli_output(args);
}

#define BENCH_COLUMNS	"size,pages,kind,name,status,reps,"		\
			"mmap_ns_per_page,read_ns_per_page,"		\
			"munmap_ns_per_page,faults_per_page,note,"	\
			"write_ns_per_page,write_faults_per_page,"	\
			"track_write_ns_per_page,"			\
			"track_write_faults_per_page,"			\
			"msync_ns_per_page,reset_ns_per_page,"		\
			"reset_idle_ns_per_page,like"
#define BENCH_FIELDS	19
#define FIRST_NUMBER	6	/* mmap_ns_per_page */
#define LAST_NUMBER	9	/* faults_per_page */

enum {
	SIZE, PAGES, KIND, NAME, STATUS, REPS, FAULTS = 9, NOTE,
	/* The write side, after the note. */
	WRITE_NS, WRITE_FAULTS, TRACK_NS, TRACK_FAULTS, MSYNC_NS, RESET_NS,
	RESET_IDLE_NS, LIKE,
};

/* The peers every run has, in the order of the CSV. */
static const char *const bench_peers[] = { "anon", "thp", "memfd", "memfd-pop",
					   "hugetlb-1g" };

/* Cut @line (modified) at commas into exactly BENCH_FIELDS fields. */
static bool split_row(char *line, char **fields)
{
	int n;

	for (n = 0; n < BENCH_FIELDS; n++)
		fields[n] = strsep(&line, ",");
	return !line && fields[NOTE];
}

static bool is_number(const char *s, double *val)
{
	char *end;

	*val = strtod(s, &end);
	return *s && !*end && *val >= 0;
}

/* The next row of @csv after @line (the header skipped). */
static char *next_row(char **csv)
{
	char *line;

	while ((line = strsep(csv, "\n")))
		if (*line && strcmp(line, BENCH_COLUMNS))
			return line;
	return NULL;
}

/*
 * The rows of modes the bench gives a size: one per row of the table of
 * modes (fault mode with and without fault-around) whose mode the driver
 * lets a file switch to.
 */
static unsigned int driver_mode_rows(int fd)
{
	const struct mode_info *m;
	unsigned int nr = 0;
	__u32 mode;

	for_each_mode_row(m) {
		mode = m->mode;
		nr += !ioctl(fd, MMAPDEMO_IOC_SET_MODE, &mode);
	}
	return nr;
}

/*
 * Whether a row that is ok has a number in field @i of the write side: a
 * peer tracks nothing and has no reset, and of the peers only the memfds
 * sync; a mode has every one, but the resets where it has no right to them,
 * which its note says.
 */
static bool has_write_field(char **f, unsigned int i)
{
	if (!strcmp(f[KIND], "peer"))
		return i == WRITE_NS || i == WRITE_FAULTS ||
		       (i == MSYNC_NS && !strncmp(f[NAME], "memfd", 5));
	if (i == RESET_NS || i == RESET_IDLE_NS)
		return !strstr(f[NOTE], "reset: EPERM");
	return true;
}

/* What is wrong with the fields of a row of the CSV, or NULL. */
static const char *bad_row(char **f)
{
	bool na = !strcmp(f[STATUS], "n/a");
	static char why[128];
	unsigned int i;
	double v;

	if (strcmp(f[SIZE], "4096") && strcmp(f[SIZE], "2097152"))
		return "a size that was not asked for";
	if (strtoul(f[SIZE], NULL, 10) / page_size() != strtoul(f[PAGES], NULL, 10))
		return "pages do not match the size";
	if (strcmp(f[KIND], "mode") && strcmp(f[KIND], "peer"))
		return "kind";
	if (!na && strcmp(f[STATUS], "ok"))
		return "status";
	if (!na && strcmp(f[REPS], "1"))
		return "not 1 repetition";
	/*
	 * Only THP may be missing (PREEMPT_RT), or refuse a 4 KiB size, and
	 * hugetlb's 1 GiB pages every size the test asks for.
	 */
	if (na && !strcmp(f[KIND], "peer") && strcmp(f[NAME], "thp") &&
	    strcmp(f[NAME], "hugetlb-1g"))
		return "a peer of 4 KiB pages is n/a";
	if (na && !*f[NOTE])
		return "n/a without a note";
	for (i = FIRST_NUMBER; i <= LAST_NUMBER; i++) {
		if (na ? !*f[i] : is_number(f[i], &v))
			continue;
		snprintf(why, sizeof(why), "field %u is '%s'", i, f[i]);
		return why;
	}
	for (i = WRITE_NS; i < LIKE; i++) {
		if (!na && has_write_field(f, i) ? is_number(f[i], &v) : !*f[i])
			continue;
		snprintf(why, sizeof(why), "field %u is '%s'", i, f[i]);
		return why;
	}
	/* A peer is like a row of modes; a mode is like no other. */
	if (!strcmp(f[KIND], "peer") ? !mode_row(f[LIKE]) : *f[LIKE])
		return "like";
	return NULL;
}

static bool is_peer(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bench_peers); i++)
		if (!strcmp(name, bench_peers[i]))
			return true;
	return false;
}

/*
 * The header, then rows with its columns: a size of the run, "mode" or
 * "peer", and either "ok" with every number of the row's kind there, or
 * "n/a" with none and a note.  Each size has a row per mode row of the
 * driver and per peer.
 */
TEST(bench_csv_rows_are_well_formed)
{
	unsigned int modes, rows[2] = { 0 }, peers[2] = { 0 }, s;
	char *csv, *p, *line, *f[BENCH_FIELDS];
	struct mmapdemo_info info;
	const char *why;
	int fd;

	fd = open(DEVICE, O_RDWR);
	if (fd < 0)
		SKIP(return, DEVICE ": %s (is mmapdemo.ko loaded?)", strerror(errno));
	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_INFO, &info));
	modes = driver_mode_rows(fd);
	close(fd);
	csv = bench_csv(&info);
	if (!csv)
		SKIP(return, "mmapdemo bench failed or is not on PATH (set MMAPDEMO_CLI)");
	ASSERT_EQ(0, strncmp(csv, BENCH_COLUMNS "\n", strlen(BENCH_COLUMNS) + 1))
		TH_LOG("%s", csv);

	for (p = csv; (line = next_row(&p));) {
		ASSERT_TRUE(split_row(line, f)) TH_LOG("%s", line);
		why = bad_row(f);
		EXPECT_EQ(NULL, why) TH_LOG("%s %s: %s", f[SIZE], f[NAME], why);
		s = !strcmp(f[SIZE], "2097152");
		rows[s]++;
		peers[s] += !strcmp(f[KIND], "peer") && is_peer(f[NAME]);
	}
	for (s = 0; s < (info.size >= BENCH_HUGE ? 2 : 1); s++) {
		EXPECT_EQ(ARRAY_SIZE(bench_peers), peers[s]);
		EXPECT_EQ(modes + ARRAY_SIZE(bench_peers), rows[s]);
	}
	free(csv);
}

/* The name of the variant's row in the table of modes, as the bench says it. */
static const char *row_name(VARIANT *v)
{
	const struct mode_info *m;

	for_each_mode_row(m)
		if (m->mode == v->mode && m->around == v->around)
			return m->variant;
	return "?";
}

/*
 * The row of this mode counts the faults of its first read as the driver
 * sees them.  Its first write, with tracking off, takes no fault in an eager
 * mode and one per page at most in a lazy one; with tracking on, the first
 * write to each page enters the driver, a fault at least, and the driver
 * counts every page dirty once and writes each back (else the bench notes
 * what it counted).  A mode may refuse a size (n/a), not every size.
 */
TEST_F(mmapdemo, bench_csv_counts_mode_faults)
{
	char *csv = bench_csv(&self->info), *p, *line, *f[BENCH_FIELDS];
	/* The bench maps each mode at a 2 MiB-aligned address, offset 0. */
	const void *aligned = (const void *)(2UL << 20);
	unsigned int found = 0;
	unsigned long pages;
	long min, max;
	double v;

	if (!csv)
		SKIP(return, "mmapdemo bench failed or is not on PATH (set MMAPDEMO_CLI)");
	for (p = csv; (line = next_row(&p));) {
		ASSERT_TRUE(split_row(line, f)) TH_LOG("%s", line);
		if (strcmp(f[KIND], "mode") || strcmp(f[NAME], row_name(variant)) ||
		    strcmp(f[STATUS], "ok"))
			continue;
		found++;
		pages = strtoul(f[PAGES], NULL, 10);
		expect_read_faults(self, variant, aligned, 0, pages, &min, &max);
		ASSERT_TRUE(is_number(f[FAULTS], &v));
		EXPECT_LE(min, (long)(v * pages + 0.5)) TH_LOG("%s bytes", f[SIZE]);
		EXPECT_GE(max, (long)(v * pages + 0.5)) TH_LOG("%s bytes", f[SIZE]);

		ASSERT_TRUE(is_number(f[WRITE_FAULTS], &v)) TH_LOG("%s", line);
		EXPECT_GE(variant->eager ? 0 : pages, (long)(v * pages + 0.5))
			TH_LOG("%s bytes", f[SIZE]);
		ASSERT_TRUE(is_number(f[TRACK_FAULTS], &v)) TH_LOG("%s", line);
		EXPECT_LE(pages, (long)(v * pages + 0.5)) TH_LOG("%s bytes", f[SIZE]);
		EXPECT_EQ(NULL, strstr(f[NOTE], "driver: ")) TH_LOG("%s", f[NOTE]);
	}
	EXPECT_LE(1, found);
	free(csv);
}

/*
 * The write side of the demo, for this variant's row: the driver counted
 * each page written once and wrote each back; a read of a synced page
 * faults only in a PFN map (whose PTEs the sync zapped, where a page map's
 * were write-protected), and after the reset a written page reads zero
 * through a fault, in every mode.
 */
TEST_F(mmapdemo, demo_json_reports_writes)
{
	char *json = demo_json(self->page), *write, *obj;
	long written;

	if (!json)
		SKIP(return, "mmapdemo demo failed or is not on PATH (set MMAPDEMO_CLI)");
	write = strstr(json, "\"write\": {");
	ASSERT_NE(NULL, write) TH_LOG("%s", json);
	written = number_field(write, "written_pages");
	ASSERT_LT(0, written);
	obj = object_of(write, "row", row_name(variant));
	ASSERT_NE(NULL, obj) TH_LOG("%s", write);

	EXPECT_STREQ("null", field(obj, "failed")) TH_LOG("%s", obj);
	EXPECT_EQ(written, number_field(obj, "dirty_pages"));
	EXPECT_EQ(written, number_field(obj, "synced_pages"));
	EXPECT_EQ(variant->pfnmap ? 1 : 0, number_field(obj, "synced_read_faults"));
	/* Without CAP_SYS_ADMIN the reset fails, and its facts are null. */
	if (strcmp(field(write, "reset_error"), "null")) {
		EXPECT_STREQ("\"EPERM\"", field(write, "reset_error"));
		EXPECT_STREQ("null", field(obj, "reset_byte"));
	} else {
		EXPECT_EQ(0, number_field(obj, "reset_byte"));
		EXPECT_EQ(1, number_field(obj, "reset_read_faults"));
	}
	free(obj);
	free(json);
}

/* The trace of the write side shows the driver's write, sync and reset events. */
TEST(demo_json_traces_writes)
{
	static const char *const events[] = {
		"mmapdemo_mkwrite: ", "mmapdemo_writeback: ", "mmapdemo_reset: ",
	};
	char *json = demo_json(page_size()), *write;
	const char *event;
	unsigned int i;

	if (!json)
		SKIP(return, "mmapdemo demo failed or is not on PATH (set MMAPDEMO_CLI)");
	write = strstr(json, "\"write\": {");
	ASSERT_NE(NULL, write) TH_LOG("%s", json);
	if (!strstr(write, "\"trace\": ["))
		SKIP(goto out, "the demo found no tracefs with mmapdemo events");
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		event = events[i];
		EXPECT_NE(NULL, strstr(write, event)) TH_LOG("no %s", event);
	}
out:
	free(json);
}

/* The number after "@label" at the start of a line of @out, or -1. */
static long labelled(const char *out, const char *label)
{
	const char *p;

	for (p = out; (p = strstr(p, label)); p++)
		if (p == out || p[-1] == '\n' || p[-1] == ' ')
			return strtol(p + strlen(label), NULL, 10);
	return -1;
}

/*
 * A tracked mapping filled and msync()ed: map says how many pages the fill
 * made dirty and the msync() wrote back, as the driver's counters do.
 */
TEST_F(mmapdemo, map_track_sync_counts_pages)
{
	struct mmapdemo_stats before, after;
	char args[128], out[4096];
	const char *line;

	ASSERT_EQ(0, device_stats(self->fd, &before));
	snprintf(args, sizeof(args), "map --mode %s --length %zu --track --fill 0xab --sync",
		 mode_name(variant->mode), 4 * self->page);
	ASSERT_EQ(0, cli_run(args, false, out, sizeof(out))) TH_LOG("%s", out);
	ASSERT_EQ(0, device_stats(self->fd, &after));
	EXPECT_EQ(4, after.dirty_pages - before.dirty_pages);
	EXPECT_EQ(4, after.synced_pages - before.synced_pages);
	EXPECT_NE(NULL, strstr(out, "tracking writes")) TH_LOG("%s", out);
	line = strstr(out, "fill 0xab: ");
	ASSERT_NE(NULL, line) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(line, ", 4 pages made dirty")) TH_LOG("%s", out);
	line = strstr(out, "msync: ");
	ASSERT_NE(NULL, line) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(line, ", 4 pages written back\n")) TH_LOG("%s", out);
}

/* mmapdemo stats prints the write tracking counters as the ioctl gives them. */
TEST(stats_shows_write_counters)
{
	struct mmapdemo_stats st;
	char out[4096];
	int fd;

	fd = OPEN_OR_SKIP(O_RDWR);
	ASSERT_EQ(0, cli_run("stats", false, out, sizeof(out))) TH_LOG("%s", out);
	ASSERT_EQ(0, device_stats(fd, &st));
	close(fd);
	EXPECT_EQ((long)st.dirty_pages, labelled(out, "dirty pages")) TH_LOG("%s", out);
	EXPECT_EQ((long)st.synced_pages, labelled(out, "synced pages")) TH_LOG("%s", out);
	EXPECT_EQ((long)st.resets, labelled(out, "resets")) TH_LOG("%s", out);
}

/* mmapdemo sync writes back what a tracked mapping dirtied, and says how much. */
TEST(sync_prints_pages_written_back)
{
	struct mmapdemo_stats before, after;
	size_t page = page_size();
	__u32 track = 1;
	char out[4096];
	unsigned char *p;
	int fd;

	fd = OPEN_OR_SKIP(O_RDWR);
	ASSERT_EQ(0, ioctl(fd, MMAPDEMO_IOC_SET_TRACK, &track));
	p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* Nothing left dirty by others, then two pages of ours. */
	ASSERT_EQ(0, fsync(fd));
	p[0] = 1;
	p[2 * page] = 2;
	ASSERT_EQ(0, device_stats(fd, &before));
	EXPECT_EQ(0, cli_run("sync", false, out, sizeof(out))) TH_LOG("%s", out);
	ASSERT_EQ(0, device_stats(fd, &after));
	EXPECT_EQ(2, after.synced_pages - before.synced_pages);
	EXPECT_NE(NULL, strstr(out, ", 2 pages written back\n")) TH_LOG("%s", out);
	munmap(p, 4 * page);
	close(fd);
}

/* Not the device: the tool fails, naming the file, and says what was expected. */
TEST(sync_fails_on_another_file)
{
	char out[4096];

	EXPECT_EQ(1, cli_run("-d /dev/null sync", false, out, sizeof(out)));
	EXPECT_EQ(0, strncmp(out, "mmapdemo: /dev/null: ", 21)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "not an mmapdemo device")) TH_LOG("%s", out);
}

/* mmapdemo reset zeroes the buffer and counts a reset. */
TEST(reset_zeroes_the_buffer)
{
	struct mmapdemo_stats before, after;
	unsigned char byte = 0xab;
	char out[4096];
	int fd;

	fd = OPEN_OR_SKIP(O_RDWR);
	ASSERT_EQ(1, pwrite(fd, &byte, 1, 0));
	ASSERT_EQ(0, device_stats(fd, &before));
	EXPECT_EQ(0, cli_run("reset", false, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(0, strncmp(out, "reset: ", 7)) TH_LOG("%s", out);
	ASSERT_EQ(0, device_stats(fd, &after));
	EXPECT_EQ(1, after.resets - before.resets);
	ASSERT_EQ(1, pread(fd, &byte, 1, 0));
	EXPECT_EQ(0, byte);
	close(fd);
}

/*
 * Without CAP_SYS_ADMIN the driver refuses a reset and a removal (they take
 * every mapping of the device down), and the tool says what they need; the
 * device stays.
 */
TEST(reset_and_remove_need_cap_sys_admin)
{
	static const char *const commands[][2] = {
		{ "reset", "MMAPDEMO_IOC_RESET: " },
		{ "remove", "MMAPDEMO_IOC_REMOVE: " },
	};
	const char *command, *message;
	char out[4096];
	unsigned int i;

	close(OPEN_OR_SKIP(O_RDWR));
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		command = commands[i][0];
		message = commands[i][1];
		EXPECT_EQ(1, cli_run(command, true, out, sizeof(out))) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, message)) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, strerror(EPERM))) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, " (needs CAP_SYS_ADMIN)\n")) TH_LOG("%s", out);
		EXPECT_EQ(0, access(DEVICE, F_OK)) TH_LOG("after %s", command);
	}
}

/*
 * mmapdemo remove takes the node away and says the module can go; with no
 * file or mapping left, it can.  The fixture loads the module again.
 */
TEST_F(module, remove_lets_the_module_go)
{
	char out[4096];

	ASSERT_EQ(0, module_load(""));
	EXPECT_EQ(0, cli_run("remove", false, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "unloaded")) TH_LOG("%s", out);
	EXPECT_NE(0, access(DEVICE, F_OK));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, module_unload());
}

/* The value that starts at @p, skipped: what follows it, or NULL if not JSON. */
static const char *json_skip(const char *p)
{
	static const char *const literals[] = { "true", "false", "null" };
	char close, *end;
	unsigned int i;

	p += strspn(p, " \n");
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++)
			p += *p == '\\' && p[1];
		return *p ? p + 1 : NULL;
	}
	if (*p == '{' || *p == '[') {
		close = *p == '{' ? '}' : ']';
		p += 1 + strspn(p + 1, " \n");
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = json_skip(p);
				if (!p || *p != ':')
					return NULL;
				p++;
			}
			p = json_skip(p);
			if (!p)
				return NULL;
			p += strspn(p, " \n");
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	for (i = 0; i < ARRAY_SIZE(literals); i++)
		if (!strncmp(p, literals[i], strlen(literals[i])))
			return p + strlen(literals[i]);
	strtod(p, &end);
	return end > p ? end : NULL;
}

/* @json is one JSON object, and nothing else but white space. */
static bool is_json_object(const char *json)
{
	const char *end = json_skip(json);

	return json[strspn(json, " \n")] == '{' && end && !end[strspn(end, " \n")];
}

/* A mode that does not exist: the error names every mode there is. */
TEST(bad_mode_error_names_the_modes)
{
	const struct mode_info *m;
	char out[4096];

	EXPECT_EQ(2, cli_run("map --mode nosuch", false, out, sizeof(out)));
	EXPECT_EQ(0, strncmp(out, "mmapdemo: --mode 'nosuch': ", 27)) TH_LOG("%s", out);
	for_each_mode(m)
		EXPECT_NE(NULL, strstr(out, m->name)) TH_LOG("no %s: %s", m->name, out);
}

/*
 * --reps out of range: the error gives the range, and the range is the one
 * the tool takes (its top is accepted: the device is looked for next).
 */
TEST(bad_reps_error_names_the_range)
{
	unsigned int min, max;
	char out[4096], args[64];
	const char *p;

	EXPECT_EQ(2, cli_run("bench --reps 0", false, out, sizeof(out)));
	p = strstr(out, "(valid: ");
	ASSERT_NE(NULL, p) TH_LOG("%s", out);
	ASSERT_EQ(2, sscanf(p, "(valid: %u to %u)", &min, &max)) TH_LOG("%s", out);
	EXPECT_EQ(1, min);
	snprintf(args, sizeof(args), "-d /nonexistent bench --reps %u", max + 1);
	EXPECT_EQ(2, cli_run(args, false, out, sizeof(out))) TH_LOG("%s", out);
	snprintf(args, sizeof(args), "-d /nonexistent bench --reps %u", max);
	EXPECT_EQ(1, cli_run(args, false, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, strerror(ENOENT))) TH_LOG("%s", out);
}

/*
 * Every command checks its options before it opens the device: with no
 * device and a bad option, the option is what the error is about, and says
 * what was valid.
 */
TEST(options_are_checked_before_the_device)
{
	static const char *const cases[][2] = {
		{ "info --nosuch", "the options: " },
		{ "stats --json=1", "--json" },
		{ "map --mode nosuch", "(valid: " },
		{ "map --offset 1", "(valid: " },
		{ "map --length 0", "(valid: " },
		{ "sync extra", "takes options only" },
		{ "reset --nosuch", "the options: " },
		{ "remove --nosuch", "the options: " },
		{ "demo --length 0", "(valid: " },
		{ "bench --sizes 0", "(valid: " },
		{ "bench --modes nosuch", "(valid: " },
		{ "bench --peers nosuch", "(valid: " },
		{ "bench --reps", "(valid: " },
	};
	char out[4096], args[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(args, sizeof(args), "-d /nonexistent %s", cases[i][0]);
		EXPECT_EQ(2, cli_run(args, false, out, sizeof(out))) TH_LOG("%s: %s", args, out);
		EXPECT_NE(NULL, strstr(out, cases[i][1])) TH_LOG("%s: %s", args, out);
		EXPECT_EQ(NULL, strstr(out, "/nonexistent")) TH_LOG("%s: %s", args, out);
	}
}

/* No node: the error says that the module may not be loaded, and how to. */
TEST(missing_device_hints_at_the_module)
{
	char out[4096];

	EXPECT_EQ(1, cli_run("-d /nonexistent info", false, out, sizeof(out)));
	EXPECT_EQ(0, strncmp(out, "mmapdemo: /nonexistent: ", 24)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, strerror(ENOENT))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "is mmapdemo.ko loaded? modprobe mmapdemo")) TH_LOG("%s", out);
}

/*
 * --version and the version command print the PACKAGE_VERSION of dkms.conf
 * (this test's build reads it as the tool's does), then the driver's when
 * it says it.
 */
TEST(version_is_dkms_conf)
{
	static const char *const args[] = { "--version", "version" };
	char out[4096], driver[64], line[80];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(args); i++) {
		EXPECT_EQ(0, cli_run(args[i], false, out, sizeof(out))) TH_LOG("%s", out);
		EXPECT_EQ(0, strncmp(out, "mmapdemo " MMAPDEMO_VERSION "\n",
				     strlen("mmapdemo " MMAPDEMO_VERSION "\n")))
			TH_LOG("%s: %s", args[i], out);
		if (read_small_file("/sys/module/mmapdemo/version", driver, sizeof(driver)))
			continue;
		snprintf(line, sizeof(line), "\ndriver %s", driver);
		EXPECT_NE(NULL, strstr(out, line)) TH_LOG("%s: %s", args[i], out);
	}
}

/* "mmapdemo help CMD" is "mmapdemo CMD --help"; "help" alone is "--help". */
TEST(help_command_is_help_option)
{
	static const char *const args[][2] = {
		{ "help", "--help" },
		{ "help map", "map --help" },
		{ "help bench", "bench --help" },
		{ "help stats", "stats --help" },
	};
	char help[8192], option[8192];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(args); i++) {
		EXPECT_EQ(0, cli_run(args[i][0], false, help, sizeof(help)));
		EXPECT_EQ(0, cli_run(args[i][1], false, option, sizeof(option)));
		EXPECT_STREQ(option, help);
		EXPECT_EQ(0, strncmp(help, "usage: mmapdemo ", 16)) TH_LOG("%s", help);
	}
}

/* info --json and stats --json: one JSON object each, of format 1. */
TEST(info_and_stats_json_have_a_format)
{
	static const char *const args[] = { "info --json", "stats --json" };
	char out[16384];
	unsigned int i;

	close(OPEN_OR_SKIP(O_RDWR));
	for (i = 0; i < ARRAY_SIZE(args); i++) {
		EXPECT_EQ(0, cli_run(args[i], false, out, sizeof(out))) TH_LOG("%s", out);
		EXPECT_TRUE(is_json_object(out)) TH_LOG("%s: %s", args[i], out);
		EXPECT_STREQ("1", field(out, "format")) TH_LOG("%s: %s", args[i], out);
		EXPECT_NE(NULL, strstr(out, "\"counters\": {")) TH_LOG("%s: %s", args[i], out);
	}
}

/*
 * The bash completion, installed beside this test ($MMAPDEMO_COMPLETION
 * otherwise), offers every mode after "map --mode".  It needs bash, which
 * the guest has with "qemu/run --add-program bash".
 */
TEST(completion_offers_the_modes)
{
	const char *cli = getenv("MMAPDEMO_CLI") ?: "mmapdemo";
	const char *script = getenv("MMAPDEMO_COMPLETION");
	char exe[256] = "", path[512], cmd[1024], out[4096], lines[4100], line[64];
	const struct mode_info *m;

	if (!script) {
		if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) < 0)
			SKIP(return, "/proc/self/exe: %s", strerror(errno));
		snprintf(path, sizeof(path), "%s/mmapdemo.bash-completion", dirname(exe));
		script = path;
	}
	if (access(script, R_OK))
		SKIP(return, "%s: %s (set MMAPDEMO_COMPLETION)", script, strerror(errno));
	if (sh_run("command -v bash", false, out, sizeof(out)))
		SKIP(return, "no bash");
	snprintf(cmd, sizeof(cmd),
		 "bash -c 'source \"$0\"; COMP_WORDS=(\"$1\" map --mode \"\"); COMP_CWORD=3; "
		 "_mmapdemo; printf \"%%s\\n\" \"${COMPREPLY[@]}\"' '%s' '%s'",
		 script, cli);
	ASSERT_EQ(0, sh_run(cmd, false, out, sizeof(out))) TH_LOG("%s", out);
	/* Each mode a line of its own. */
	snprintf(lines, sizeof(lines), "\n%s", out);
	for_each_mode(m) {
		snprintf(line, sizeof(line), "\n%s\n", m->name);
		EXPECT_NE(NULL, strstr(lines, line)) TH_LOG("no %s: %s", m->name, out);
	}
}

TEST_HARNESS_MAIN
