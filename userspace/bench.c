// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo bench: what mapping memory costs, per page, in each mode of the
 * driver and for the kernel's own memory (the peers).  For each size, each
 * mapping is made several times; one repetition is
 *
 *	mmap()		timed, read-write, at an address aligned to 2 MiB
 *			(1 GiB from 1 GiB up, where huge mode maps PUDs)
 *	first read	of one byte in every page, timed
 *	munmap()	timed, with every page the read mapped
 *
 * and the minor faults from the mmap() to the end of the read (so those of
 * MAP_POPULATE too), and for a mode the 1 GiB mappings the driver made.
 * Then the write side, each on a fresh mapping of its own:
 *
 *	first write	of one byte in every page, timed, and its minor faults:
 *			with write tracking off, then (modes only) on
 *	msync()		MS_SYNC of the whole mapping, timed, after that write:
 *			the tracked one of a mode, the shared one of a memfd peer
 *	reset		MMAPDEMO_IOC_RESET, timed, with every page of a mapping
 *			(tracking off) read first; modes only
 *
 * and once per repetition a reset with nothing mapped: a reset zeroes the
 * whole buffer, whatever is mapped, and that part of its cost is the same
 * for every mode.
 *
 * The repetitions interleave the mappings, so that a slow moment of the
 * machine does not fall on one of them only; the results are the medians,
 * per 4 KiB page whatever the pages behind it, as a table or CSV.  A row
 * that cannot be measured at a size says why: a mode's size larger than the
 * buffer, a peer's memory or 1 GiB pages that the system does not have.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#define HUGE_SIZE	   (2UL << 20) /* what a PMD maps on x86-64 */
#define GIGANTIC_SIZE	   (1UL << 30) /* a PUD, and hugetlb's largest page */
#define DEFAULT_MAX	   (256ULL << 20)
#define REPS		   5
#define THP_ENABLED	   "/sys/kernel/mm/transparent_hugepage/enabled"
#define FAULT_AROUND_BYTES "/sys/kernel/debug/fault_around_bytes"
#define HUGETLB_1G_DIR	   "/sys/kernel/mm/hugepages/hugepages-1048576kB/"
/* Memory a peer leaves free beyond its own: page tables, the tool. */
#define MEMORY_MARGIN	   (64ULL << 20)

/* Newer than the C library of some distributions: <linux/memfd.h>. */
#ifndef MFD_HUGE_1GB
#define MFD_HUGE_1GB (30U << 26)
#endif

/* What a peer maps: anonymous memory, or a memfd of shmem or of hugetlb. */
enum backing { ANON, SHMEM, HUGETLB_1G, NR_BACKINGS };

/*
 * The kernel's own memory, each the peer of the row of modes it is naturally
 * compared with (@like, which the CSV gives and the plot draws in that row's
 * colour): anon, private memory in 4 KiB pages, a fault each (like pfn mode;
 * a first read maps the zero page); thp, the same in 2 MiB, a PMD per fault
 * (like huge mode; a first read maps the huge zero page); memfd, shmem pages
 * that exist already, shared, mapped lazily with fault-around (like fault
 * mode with it) or with MAP_POPULATE (like the eager modes, insert the one
 * with struct pages); hugetlb-1g, hugetlb's 1 GiB pages that exist already,
 * shared, a PUD per fault (like huge mode where it maps 1 GiB).  @advice
 * goes to madvise() with the mmap(), timed with it; its failure is ignored
 * (a kernel without THP has 4 KiB pages anyway).
 */
static const struct peer {
	const char *name;
	const char *like;
	int flags;
	int advice;
	enum backing backing;
} peers[] = {
	{ "anon", "pfn", MAP_PRIVATE | MAP_ANONYMOUS, MADV_NOHUGEPAGE, ANON },
	{ "thp", "huge", MAP_PRIVATE | MAP_ANONYMOUS, MADV_HUGEPAGE, ANON },
	{ "memfd", "fault_around", MAP_SHARED, 0, SHMEM },
	{ "memfd-pop", "insert", MAP_SHARED | MAP_POPULATE, 0, SHMEM },
	{ "hugetlb-1g", "huge", MAP_SHARED, 0, HUGETLB_1G },
};

/* A row of the modes' table the driver has, or a peer. */
struct subject {
	const char *name;
	const struct mode_info *row; /* NULL for a peer */
	const struct peer *peer;     /* NULL for a mode */
	int fd;			     /* the device in the row's mode, or -1 */
	int track_fd;		     /* the same with tracking on, or -1 */
	int track_err;		     /* why there is no track_fd, or 0 */
	bool set_around; /* fault_around=row->around for its mmap() */
};

/*
 * What one repetition measures: the read side, then the write side.  The
 * number of faults follows the time it goes with.
 */
enum {
	MMAP,
	READ,
	MUNMAP,
	FAULTS,
	WRITE, /* the first write, tracking off */
	WRITE_FAULTS,
	TRACK, /* the first write, tracking on */
	TRACK_FAULTS,
	MSYNC,
	RESET,
	RESET_IDLE, /* with nothing mapped, the same for each mode */
	NR_MEASURES
};

#define BIT(m)	  (1u << (m))
#define READ_SIDE (BIT(MMAP) | BIT(READ) | BIT(MUNMAP) | BIT(FAULTS))

/* The medians of one subject at one size, or why there are none. */
struct result {
	bool ok;	   /* the read side was measured */
	unsigned int have; /* BIT() of each measure with a median */
	char note[160];
	double v[NR_MEASURES];
};

struct bench {
	uint64_t sizes[MAX_SIZES];
	unsigned int nr_sizes, reps;
	const char *modes, *peers; /* comma-separated lists, or NULL for all */
	const char *csv;	   /* "-": CSV, not the table, on stdout */
	bool quiet;
	struct subject subjects[2 * MAX_MODES + ARRAY_SIZE(peers)];
	unsigned int nr;
	struct result *results; /* [nr_sizes][nr] */
	char around[8];		/* the fault_around parameter, or "" */
	int memfd[NR_BACKINGS]; /* shared by the peers of a backing, or -1 */
	size_t memfd_len[NR_BACKINGS]; /* bytes of pages in it */
	int reset_err;	 /* of the first reset that failed, or 0 */
	uint64_t buffer; /* the device's buffer, in bytes */
};

static int add_size(struct bench *b, uint64_t size)
{
	if (!size)
		return -EINVAL;
	if (b->nr_sizes == MAX_SIZES)
		return -E2BIG;
	b->sizes[b->nr_sizes++] = size;
	return 0;
}

/* "4K,1M", "4K-256M" (by 4) or "4K-256M:2". */
static int parse_sizes(struct bench *b, const char *arg)
{
	char *list = strdupa(arg), *item, *save, *to_s, *factor_s;
	uint64_t from, to, factor = 4;
	int ret = 0;

	b->nr_sizes = 0;
	for (item = strtok_r(list, ",", &save); item && !ret;
	     item = strtok_r(NULL, ",", &save)) {
		to_s = strchr(item, '-');
		if (to_s)
			*to_s++ = '\0';
		factor_s = to_s ? strchr(to_s, ':') : NULL;
		if (factor_s)
			*factor_s++ = '\0';
		ret = parse_size(item, &from);
		to = from;
		if (!ret && to_s)
			ret = parse_size(to_s, &to);
		if (!ret && factor_s)
			ret = parse_size(factor_s, &factor);
		if (!ret && (!from || from > to || factor < 2))
			ret = -EINVAL;
		for (; !ret && from <= to; from *= factor)
			ret = add_size(b, from);
	}
	return ret ?: b->nr_sizes ? 0 : -EINVAL;
}

const char *bench_row_names(const char *sep)
{
	const struct mode_info *m;
	static char buf[256];

	buf[0] = '\0';
	for_each_mode_row(m)
		list_add(buf, sizeof(buf), sep, m->variant);
	list_add(buf, sizeof(buf), sep, "none");
	return buf;
}

const char *bench_peer_names(const char *sep)
{
	static char buf[256];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(peers); i++)
		list_add(buf, sizeof(buf), sep, peers[i].name);
	list_add(buf, sizeof(buf), sep, "none");
	return buf;
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

/*
 * The first item of the comma-separated @list not in @names, into @item;
 * "none" names nothing, and is in every list.
 */
static const char *unlisted(const char *list, const char *names, char *item,
			    size_t size)
{
	size_t len;

	for (; *list; list += len + !!list[len]) {
		len = strcspn(list, ",");
		snprintf(item, size, "%.*s", (int)len, list);
		if (strcmp(item, "none") && !listed(names, item))
			return item;
	}
	return NULL;
}

static void parse_args(const struct command *cmd, int argc, char **argv,
		       struct bench *b)
{
	char item[64];
	uint64_t n;
	int opt, ret;

	while ((opt = command_getopt(cmd, argc, argv)) != -1) {
		ret = 0;
		switch (opt) {
		case 's':
			ret = parse_sizes(b, optarg);
			break;
		case 'r':
			ret = parse_size(optarg, &n);
			if (!ret && (!n || n > MAX_REPS))
				ret = -ERANGE;
			b->reps = n;
			break;
		case 'm':
			if (unlisted(optarg, bench_row_names(","), item,
				     sizeof(item)))
				die_bad_arg(cmd, opt, item, EINVAL);
			b->modes = optarg;
			break;
		case 'p':
			if (unlisted(optarg, bench_peer_names(","), item,
				     sizeof(item)))
				die_bad_arg(cmd, opt, item, EINVAL);
			b->peers = optarg;
			break;
		case 'c':
			b->csv = optarg ?: "-";
			break;
		case 'q':
			b->quiet = true;
			break;
		}
		if (ret < 0)
			die_bad_arg(cmd, opt, optarg, -ret);
	}
}

/* Every row --modes names is one the driver has. */
static void check_modes(const struct command *cmd, const struct bench *b)
{
	char has[256] = "", item[64];
	unsigned int i;

	for (i = 0; i < b->nr; i++)
		if (b->subjects[i].row)
			list_add(has, sizeof(has), ",", b->subjects[i].name);
	if (b->modes && unlisted(b->modes, has, item, sizeof(item)))
		die_usage(cmd,
			  "--modes %s: the driver has no such mode (it has: %s)",
			  item, has);
}

/* A subject for row @m, with a file of its own in the row's mode. */
static void add_mode(struct bench *b, const struct mode_info *m)
{
	struct subject *s = &b->subjects[b->nr++];
	const struct mode_info *r;

	/* Two rows of a mode at most, and room for the peers after them. */
	if (b->nr > ARRAY_SIZE(b->subjects) - ARRAY_SIZE(peers))
		die("too many rows of modes");
	*s = (struct subject){ .name = m->variant, .row = m };
	/* The mode has a row with fault-around and one without. */
	for_each_mode_row(r)
		s->set_around |= r->mode == m->mode && r->around;
	s->fd = device_open();
	if (device_set_mode(s->fd, m->mode))
		die_err(EINVAL, "%s: mode %s", device_path, m->name);
	/* A driver without write tracking still has the read side. */
	s->track_fd = device_open();
	device_set_mode(s->track_fd, m->mode);
	s->track_err = -device_set_track(s->track_fd, true);
	if (s->track_err) {
		close(s->track_fd);
		s->track_fd = -1;
	}
}

static void close_subject(struct subject *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->track_fd >= 0)
		close(s->track_fd);
}

/* Each row of the modes' table whose mode @dev has, then the peers. */
static void add_subjects(struct bench *b, int dev)
{
	uint32_t present = modes_present(dev);
	const struct mode_info *m;
	unsigned int i;

	for_each_mode_row(m)
		if (present & (1u << m->mode))
			add_mode(b, m);
	for (i = 0; i < ARRAY_SIZE(peers); i++)
		b->subjects[b->nr++] = (struct subject){ .name = peers[i].name,
							 .peer = &peers[i],
							 .fd = -1,
							 .track_fd = -1 };
}

/* Keep the subjects --modes and --peers name. */
static void pick_subjects(struct bench *b)
{
	unsigned int i, kept = 0;
	struct subject *s;

	for (i = 0; i < b->nr; i++) {
		s = &b->subjects[i];
		if (listed(s->row ? b->modes : b->peers, s->name))
			b->subjects[kept++] = *s;
		else
			close_subject(s);
	}
	b->nr = kept;
}

/* THP's setting, the word in [brackets], or "none" without THP. */
static const char *thp_setting(char *buf, size_t size)
{
	char *start, *end;

	if (read_small_file(THP_ENABLED, buf, size))
		return "none";
	start = strchr(buf, '[');
	end = start ? strchr(start, ']') : NULL;
	if (!end)
		return "?";
	*end = '\0';
	return start + 1;
}

/*
 * The memfd of backing @k holds @len bytes of pages that exist, so that a
 * mapping of it only maps them: shmem written (zeros), hugetlb's 1 GiB pages
 * taken from the pool by fallocate() (hugetlbfs has no write()).  0 or -errno.
 */
static int memfd_fill(struct bench *b, enum backing k, size_t len)
{
	static const char zeros[64 << 10];
	unsigned int flags = k == HUGETLB_1G ? MFD_HUGETLB | MFD_HUGE_1GB : 0;
	size_t chunk;
	ssize_t n;

	if (b->memfd[k] < 0)
		b->memfd[k] =
			memfd_create("mmapdemo-bench", MFD_CLOEXEC | flags);
	if (b->memfd[k] < 0)
		return -errno;
	if (k == HUGETLB_1G && b->memfd_len[k] < len) {
		if (fallocate(b->memfd[k], 0, 0, len))
			return -errno;
		b->memfd_len[k] = len;
	}
	for (; b->memfd_len[k] < len; b->memfd_len[k] += n) {
		chunk = len - b->memfd_len[k];
		if (chunk > sizeof(zeros))
			chunk = sizeof(zeros);
		n = pwrite(b->memfd[k], zeros, chunk, b->memfd_len[k]);
		if (n <= 0)
			return n ? -errno : -EIO;
	}
	return 0;
}

/* The number in the file @path, or -1. */
/*
 * Whether the memory a peer keeps at @len bytes, @need bytes more than it
 * has, is there; if not, why in @note.  A peer of anonymous memory keeps
 * it while it writes; a memfd from then on, so they come first (keeps()).
 */
static bool memory_there(uint64_t need, char *note, size_t size)
{
	long avail = proc_field_sum("/proc/meminfo", "MemAvailable");
	uint64_t have = avail < 0 ? UINT64_MAX : (uint64_t)avail << 10;

	if (have >= need + MEMORY_MARGIN)
		return true;
	snprintf(note, size, "needs %llu MiB of memory, %llu MiB available",
		 (unsigned long long)(need >> 20),
		 (unsigned long long)(have >> 20));
	return false;
}

/*
 * Whether hugetlb's pool has the 1 GiB pages for @len bytes, counting those
 * the memfd holds already; if not, why in @note.
 */
static bool gigantic_there(const struct bench *b, size_t len, char *note,
			   size_t size)
{
	long nr = read_long(HUGETLB_1G_DIR "nr_hugepages");
	long free = read_long(HUGETLB_1G_DIR "free_hugepages");
	unsigned long long want = len / GIGANTIC_SIZE;

	if (len % GIGANTIC_SIZE) {
		snprintf(note, size, "not a multiple of 1 GiB");
		return false;
	}
	if (nr < 0 || free < 0) {
		snprintf(note, size, "no 1 GiB hugetlb pages in this kernel");
		return false;
	}
	/* The pool's pages the memfd holds are its own. */
	free += b->memfd_len[HUGETLB_1G] / GIGANTIC_SIZE;
	if ((unsigned long long)free >= want)
		return true;
	snprintf(note, size,
		 "needs %llu hugetlb page%s of 1 GiB, %ld free "
		 "(boot with hugepagesz=1G hugepages=%llu)",
		 want, want == 1 ? "" : "s", free,
		 want + (unsigned long long)(nr - free));
	return false;
}

/* Whether @s keeps memory from one size to the next: a memfd peer. */
static bool keeps(const struct subject *s)
{
	return s->peer && s->peer->backing != ANON;
}

/* Whether @s can be measured at @len bytes; if not, why in @note. */
static bool available(struct bench *b, const struct subject *s, size_t len,
		      char *note, size_t size)
{
	enum backing k = s->peer ? s->peer->backing : ANON;
	char thp[64], buf[32];
	const char *setting;
	int ret;

	if (s->row && len > b->buffer) {
		snprintf(note, size, "larger than the buffer (%s)",
			 format_size(buf, sizeof(buf), b->buffer));
		return false;
	}
	if (s->set_around && !b->around[0]) {
		snprintf(note, size, "no fault_around parameter");
		return false;
	}
	if (s->row)
		return true;
	if (s->peer->advice == MADV_HUGEPAGE) {
		setting = thp_setting(thp, sizeof(thp));
		if (!strcmp(setting, "none") || !strcmp(setting, "never")) {
			snprintf(note, size, "THP %s", setting);
			return false;
		}
		if (len % HUGE_SIZE) {
			snprintf(note, size, "not a multiple of 2 MiB");
			return false;
		}
	}
	if (k == HUGETLB_1G) {
		if (!gigantic_there(b, len, note, size))
			return false;
	} else if (len > b->memfd_len[k] &&
		   !memory_there(len - b->memfd_len[k], note, size)) {
		return false;
	}
	ret = k != ANON ? memfd_fill(b, k, len) : 0;
	if (ret)
		snprintf(note, size, "memfd: %s", strerror(-ret));
	return !ret;
}

/* Add "what" to @note, after a "; ", unless @note says it already. */
static void __attribute__((format(printf, 3, 4)))
add_note(char *note, size_t size, const char *fmt, ...)
{
	size_t len = strlen(note);
	char what[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!strstr(note, what))
		snprintf(note + len, size - len, "%s%s", len ? "; " : "", what);
}

/* The measures that @s has: a peer has no tracking and no reset. */
static unsigned int measures(const struct subject *s)
{
	unsigned int m = READ_SIDE | BIT(WRITE) | BIT(WRITE_FAULTS);

	if (s->row)
		return m | BIT(TRACK) | BIT(TRACK_FAULTS) | BIT(MSYNC) |
		       BIT(RESET) | BIT(RESET_IDLE);
	return s->peer->backing == SHMEM ? m | BIT(MSYNC) : m;
}

/* Where the next mmap() of a subject goes, and how. */
struct map_args {
	void *addr;
	int flags, fd;
};

/*
 * Ready an mmap() of @s at @len bytes into @a, through @fd: at an address
 * aligned to 2 MiB, or to 1 GiB from 1 GiB up (where a PUD can map it, and
 * hugetlb's 1 GiB pages must be), where there is room; and with the
 * fault_around parameter of its row.  False, with the reason in @note, if
 * that fails.
 */
static bool map_prepare(const struct subject *s, int fd, size_t len,
			struct map_args *a, char *note, size_t size)
{
	int ret;

	a->fd = fd;
	a->flags = s->peer ? s->peer->flags : MAP_SHARED;
	a->addr = reserve_aligned(len, len >= GIGANTIC_SIZE ? GIGANTIC_SIZE :
							      HUGE_SIZE);
	if (a->addr != MAP_FAILED) {
		munmap(a->addr, len);
		a->flags |= MAP_FIXED_NOREPLACE;
	} else {
		a->addr = NULL;
	}
	/* The driver reads the parameter at mmap() time. */
	if (s->set_around) {
		ret = write_param("fault_around", s->row->around ? "1" : "0");
		if (ret) {
			add_note(note, size, "fault_around: %s",
				 strerror(-ret));
			return false;
		}
	}
	return true;
}

/* mmap() as @a says, and the peer's madvise(): the mapping, or MAP_FAILED. */
static void *map(const struct subject *s, const struct map_args *a, size_t len)
{
	void *p =
		mmap(a->addr, len, PROT_READ | PROT_WRITE, a->flags, a->fd, 0);

	if (p != MAP_FAILED && s->peer && s->peer->advice)
		madvise(p, len, s->peer->advice);
	return p;
}

/* The file to map @s through, or -1 for anonymous memory. */
static int subject_fd(const struct bench *b, const struct subject *s,
		      bool track)
{
	if (!s->peer)
		return track ? s->track_fd : s->fd;
	return s->peer->backing == ANON ? -1 : b->memfd[s->peer->backing];
}

/*
 * The 1 GiB mappings the driver made between its counters @before and
 * @after, from a read: a note, as they are few and each is news.
 */
static void note_pud_faults(const struct mmapdemo_stats *before,
			    const struct mmapdemo_stats *after, char *note,
			    size_t size)
{
	unsigned long long n = after->pud_faults - before->pud_faults;

	if (n)
		add_note(note, size, "read: %llu PUD fault%s", n,
			 n == 1 ? "" : "s");
}

/*
 * The read side of one repetition of @s at @len bytes into @v, in ns and
 * faults; false, with the reason in @note, if it fails.
 */
static bool sample_read(struct bench *b, const struct subject *s, size_t len,
			double *v, char *note, size_t size)
{
	struct mmapdemo_stats st[2];
	struct map_args a;
	bool counted;
	uint64_t t[4];
	long faults;
	void *p;

	if (!map_prepare(s, subject_fd(b, s, false), len, &a, note, size))
		return false;
	counted = s->row && !device_stats(s->fd, &st[0]);
	faults = minor_faults();
	t[0] = now_ns();
	p = map(s, &a, len);
	t[1] = now_ns();
	if (p == MAP_FAILED) {
		add_note(note, size, "mmap() fails with %s", errno_name(errno));
		return false;
	}
	touch_pages(p, len);
	t[2] = now_ns();
	v[FAULTS] = minor_faults() - faults;
	munmap(p, len);
	t[3] = now_ns();
	if (counted && !device_stats(s->fd, &st[1]))
		note_pud_faults(&st[0], &st[1], note, size);
	v[MMAP] = t[1] - t[0];
	v[READ] = t[2] - t[1];
	v[MUNMAP] = t[3] - t[2];
	return true;
}

/* Write one byte in every page of [p, p + len). */
static void write_pages(volatile unsigned char *p, size_t len)
{
	size_t i, page = page_size();

	for (i = 0; i < len; i += page)
		p[i] = 1;
}

/*
 * What the driver counted of a tracked write to every page of @len bytes
 * and the msync() after it, from its counters @st before the write, after
 * it and after the msync(): a note if that is not every page, each once.
 */
static void check_counts(const struct mmapdemo_stats *st, size_t len,
			 char *note, size_t size)
{
	unsigned long long pages = len / page_size();
	unsigned long long dirty = st[1].dirty_pages - st[0].dirty_pages;
	unsigned long long synced = st[2].synced_pages - st[1].synced_pages;

	if (dirty != pages || synced != pages)
		add_note(note, size,
			 "driver: %llu dirty and %llu synced of %llu pages",
			 dirty, synced, pages);
}

/*
 * The first write to every page of a fresh mapping of @s, with tracking off
 * or (@track) on, into @v; then msync(MS_SYNC) of the whole mapping, if it
 * tracks writes or is a peer's memfd.  Returns the BIT()s of the measures
 * that could not be taken, with the reason in @note.
 */
static unsigned int sample_write(struct bench *b, const struct subject *s,
				 size_t len, bool track, double *v, char *note,
				 size_t size)
{
	unsigned int ns = track ? TRACK : WRITE; /* ns + 1: its faults */
	bool sync = track || (s->peer && s->peer->backing == SHMEM);
	unsigned int sync_bit = sync ? BIT(MSYNC) : 0;
	struct mmapdemo_stats st[3];
	struct map_args a;
	bool counted;
	uint64_t t;
	long faults;
	void *p;
	int ret;

	if (track && s->track_fd < 0) {
		add_note(note, size, "MMAPDEMO_IOC_SET_TRACK: %s%s",
			 errno_name(s->track_err),
			 device_err_hint(s->track_err));
		return BIT(ns) | BIT(ns + 1) | sync_bit;
	}
	if (!map_prepare(s, subject_fd(b, s, track), len, &a, note, size))
		return BIT(ns) | BIT(ns + 1) | sync_bit;
	p = map(s, &a, len);
	if (p == MAP_FAILED) {
		add_note(note, size, "%smmap() fails with %s",
			 track ? "tracked " : "", errno_name(errno));
		return BIT(ns) | BIT(ns + 1) | sync_bit;
	}
	counted = track && !device_stats(s->track_fd, &st[0]);
	faults = minor_faults();
	t = now_ns();
	write_pages(p, len);
	v[ns] = now_ns() - t;
	v[ns + 1] = minor_faults() - faults;
	if (sync) {
		counted = counted && !device_stats(s->track_fd, &st[1]);
		t = now_ns();
		ret = msync(p, len, MS_SYNC);
		v[MSYNC] = now_ns() - t;
		if (ret)
			add_note(note, size, "msync(): %s", errno_name(errno));
		else
			sync_bit = 0;
		if (counted && !ret && !device_stats(s->track_fd, &st[2]))
			check_counts(st, len, note, size);
	}
	munmap(p, len);
	return sync_bit;
}

/*
 * MMAPDEMO_IOC_RESET, with every page of a fresh mapping of @s read first,
 * into @v.  Returns 0, or BIT(RESET) with the reason in @note.  After a
 * reset fails, none is tried again.
 */
static unsigned int sample_reset(struct bench *b, const struct subject *s,
				 size_t len, double *v, char *note, size_t size)
{
	struct map_args a;
	uint64_t t;
	void *p;
	int ret;

	if (!b->reset_err) {
		if (!map_prepare(s, s->fd, len, &a, note, size))
			return BIT(RESET);
		p = map(s, &a, len);
		if (p == MAP_FAILED) {
			add_note(note, size, "reset: mmap() fails with %s",
				 errno_name(errno));
			return BIT(RESET);
		}
		touch_pages(p, len);
		t = now_ns();
		ret = device_reset(s->fd);
		v[RESET] = now_ns() - t;
		munmap(p, len);
		if (!ret)
			return 0;
		b->reset_err = -ret;
	}
	add_note(note, size, "reset: %s%s", errno_name(b->reset_err),
		 device_err_hint(b->reset_err));
	return BIT(RESET);
}

/*
 * One repetition of @s at @len bytes into @v, in ns and faults; false, with
 * the reason in @note, if the read side fails.  The BIT()s of the measures
 * of the write side that fail are cleared in *@have.
 */
static bool sample(struct bench *b, const struct subject *s, size_t len,
		   double *v, unsigned int *have, char *note, size_t size)
{
	if (!sample_read(b, s, len, v, note, size))
		return false;
	*have &= ~sample_write(b, s, len, false, v, note, size);
	if (s->row) {
		*have &= ~sample_write(b, s, len, true, v, note, size);
		*have &= ~sample_reset(b, s, len, v, note, size);
	}
	return true;
}

/*
 * A reset with nothing of the device mapped, through the first mode's file:
 * its time in ns, or -1 without a mode or once a reset has failed.
 */
static double reset_idle(struct bench *b)
{
	const struct subject *s = b->subjects;
	uint64_t t;
	int ret;

	if (!b->nr || !s->row || b->reset_err)
		return -1;
	t = now_ns();
	ret = device_reset(s->fd);
	t = now_ns() - t;
	if (!ret)
		return t;
	b->reset_err = -ret;
	return -1;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @nr values, reordered, over @pages. */
static double median(double *v, unsigned int nr, double pages)
{
	qsort(v, nr, sizeof(*v), compare_doubles);
	return (nr % 2 ? v[nr / 2] : (v[nr / 2 - 1] + v[nr / 2]) / 2) / pages;
}

/* Every subject at @len bytes, b->reps times over, into @r[]. */
static void measure_size(struct bench *b, size_t len, struct result *r)
{
	double *v, *row, col[MAX_REPS], idle, pages = len / page_size();
	size_t stride = (size_t)b->reps * NR_MEASURES; /* of a subject in v */
	unsigned int i, rep, m, pass;
	bool modes = false;

	v = calloc(b->nr * stride, sizeof(*v));
	if (!v)
		die("out of memory");
	/* The memfds first: what they keep is not there for the others. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < b->nr; i++) {
			if (keeps(&b->subjects[i]) != !pass)
				continue;
			r[i].ok = available(b, &b->subjects[i], len, r[i].note,
					    sizeof(r[i].note));
			r[i].have = measures(&b->subjects[i]);
			modes |= r[i].ok && b->subjects[i].row;
		}
	}
	for (rep = 0; rep < b->reps; rep++) {
		/* Not for nothing: a reset zeroes the whole buffer. */
		idle = modes ? reset_idle(b) : -1;
		for (i = 0; i < b->nr; i++) {
			row = v + i * stride + rep * NR_MEASURES;
			r[i].ok = r[i].ok && sample(b, &b->subjects[i], len,
						    row, &r[i].have, r[i].note,
						    sizeof(r[i].note));
			row[RESET_IDLE] = idle;
			if (idle < 0)
				r[i].have &= ~BIT(RESET_IDLE);
		}
	}
	for (i = 0; i < b->nr; i++) {
		if (!r[i].ok)
			r[i].have = 0;
		for (m = 0; m < NR_MEASURES; m++) {
			if (!(r[i].have & BIT(m)))
				continue;
			for (rep = 0; rep < b->reps; rep++)
				col[rep] =
					v[i * stride + rep * NR_MEASURES + m];
			r[i].v[m] = median(col, b->reps, pages);
		}
	}
	free(v);
}

/*
 * One page of each subject first, untimed: the first call of each path
 * faults in the tool's own code and data, faults that the first repetition
 * would otherwise count as the mapping's.
 */
static void warm_up(struct bench *b)
{
	double v[NR_MEASURES];
	unsigned int i, have;
	char note[160];

	for (i = 0; i < b->nr; i++) {
		note[0] = '\0';
		have = measures(&b->subjects[i]);
		if (available(b, &b->subjects[i], page_size(), note,
			      sizeof(note)))
			sample(b, &b->subjects[i], page_size(), v, &have, note,
			       sizeof(note));
	}
}

/*
 * The sizes asked for, in pages, or powers of 4 up to the buffer.  The modes
 * are n/a at a size larger than the buffer, and say so; the peers are not.
 */
static void check_sizes(struct bench *b, uint64_t buffer)
{
	uint64_t page = page_size(), size;
	unsigned int i;

	if (!b->nr_sizes)
		for (size = page; size <= buffer && size <= DEFAULT_MAX;
		     size *= 4)
			add_size(b, size);
	for (i = 0; i < b->nr_sizes; i++)
		b->sizes[i] = (b->sizes[i] + page - 1) / page * page;
}

static void measure(const struct command *cmd, struct bench *b)
{
	struct mmapdemo_info info;
	unsigned int i;
	char buf[32];
	uint64_t t;
	int dev;

	dev = device_open();
	device_info(dev, &info);
	b->buffer = info.size;
	check_sizes(b, info.size);
	add_subjects(b, dev);
	close(dev);
	check_modes(cmd, b);
	pick_subjects(b);
	b->results = calloc((size_t)b->nr_sizes * b->nr, sizeof(*b->results));
	if (!b->results)
		die("out of memory");
	if (read_param("fault_around", b->around, sizeof(b->around)))
		b->around[0] = '\0';

	warm_up(b);
	for (i = 0; i < b->nr_sizes; i++) {
		t = now_ns();
		measure_size(b, b->sizes[i], &b->results[i * b->nr]);
		if (!b->quiet)
			fprintf(stderr, "mmapdemo: %s, %u mappings: %.1f s\n",
				format_size(buf, sizeof(buf), b->sizes[i]),
				b->nr, (now_ns() - t) / 1e9);
	}
	if (b->around[0])
		write_param("fault_around", b->around);
	for (i = 0; i < b->nr; i++)
		close_subject(&b->subjects[i]);
	for (i = 0; i < NR_BACKINGS; i++)
		if (b->memfd[i] >= 0)
			close(b->memfd[i]);
}

/* A field of CSV, quoted (RFC 4180) if it has to be. */
static void csv_field(FILE *f, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* The CSV's column of each measure; the note comes before WRITE's. */
static const char *const csv_columns[NR_MEASURES] = {
	[MMAP] = "mmap_ns_per_page",
	[READ] = "read_ns_per_page",
	[MUNMAP] = "munmap_ns_per_page",
	[FAULTS] = "faults_per_page",
	[WRITE] = "write_ns_per_page",
	[WRITE_FAULTS] = "write_faults_per_page",
	[TRACK] = "track_write_ns_per_page",
	[TRACK_FAULTS] = "track_write_faults_per_page",
	[MSYNC] = "msync_ns_per_page",
	[RESET] = "reset_ns_per_page",
	[RESET_IDLE] = "reset_idle_ns_per_page",
};

static bool is_faults(unsigned int m)
{
	return m == FAULTS || m == WRITE_FAULTS || m == TRACK_FAULTS;
}

/*
 * A header, then a row per size and subject.  The columns of the write side
 * come after the note, so that the older ones keep their places, and "like"
 * after them (a peer's row of modes); a cell is empty where the row has no
 * such measure.
 */
static void print_csv(FILE *f, const struct bench *b)
{
	const struct result *r = b->results;
	const struct peer *peer;
	unsigned int i, j, m;

	fprintf(f, "size,pages,kind,name,status,reps");
	for (m = 0; m < NR_MEASURES; m++)
		fprintf(f, "%s,%s", m == WRITE ? ",note" : "", csv_columns[m]);
	fprintf(f, ",like\n");
	for (i = 0; i < b->nr_sizes; i++) {
		for (j = 0; j < b->nr; j++, r++) {
			fprintf(f, "%llu,%llu,%s,%s,%s,%u",
				(unsigned long long)b->sizes[i],
				(unsigned long long)(b->sizes[i] / page_size()),
				b->subjects[j].row ? "mode" : "peer",
				b->subjects[j].name, r->ok ? "ok" : "n/a",
				r->ok ? b->reps : 0);
			for (m = 0; m < NR_MEASURES; m++) {
				if (m == WRITE) {
					fputc(',', f);
					csv_field(f, r->note);
				}
				fputc(',', f);
				if (r->have & BIT(m))
					fprintf(f,
						is_faults(m) ? "%.6g" : "%.2f",
						r->v[m]);
			}
			peer = b->subjects[j].peer;
			fprintf(f, ",%s\n", peer ? peer->like : "");
		}
	}
}

/* At most 9 characters, with the precision that makes sense there. */
static void print_num(FILE *f, double v)
{
	fprintf(f,
		v >= 999999999.5 ? " %9.3g" :
		v >= 99.95	 ? " %9.0f" :
		v >= 9.995	 ? " %9.1f" :
				   " %9.2f",
		v);
}

/*
 * Faults per page, @width characters: one fault per GiB is 3.8e-06, which
 * four decimals would show as none.
 */
static void print_faults(FILE *f, int width, double v)
{
	if (!v)
		fprintf(f, " %*s", width, "0");
	else if (v < 0.0001)
		fprintf(f, " %*.1e", width, v);
	else
		fprintf(f, " %*.4f", width, v);
}

/* mmap(), the first read, munmap(): a block per size. */
static void print_read_side(FILE *f, const struct bench *b)
{
	const struct result *r = b->results;
	unsigned int i, j;
	char buf[32];

	for (i = 0; i < b->nr_sizes; i++) {
		fprintf(f, "\n%-8s %-12s %9s %9s %9s %9s\n",
			format_size(buf, sizeof(buf), b->sizes[i]), "mapping",
			"mmap ns", "read ns", "munmap ns", "faults");
		for (j = 0; j < b->nr; j++, r++) {
			fprintf(f, "%-8s %-12s", "", b->subjects[j].name);
			if (!r->ok) {
				fprintf(f, " n/a: %s\n", r->note);
				continue;
			}
			print_num(f, r->v[MMAP]);
			print_num(f, r->v[READ]);
			print_num(f, r->v[MUNMAP]);
			print_faults(f, 9, r->v[FAULTS]);
			fputc('\n', f);
		}
	}
}

/* The first writes, msync() and reset: a block per size, the notes after. */
static void print_write_side(FILE *f, const struct bench *b)
{
	const struct result *r = b->results;
	unsigned int i, j, m;
	char buf[32];
	double idle;

	fprintf(f,
		"\nThe first write to every page, write tracking off (write) and on (track);\n"
		"msync(MS_SYNC) of the tracked mapping (a memfd's: of the written one), per\n"
		"dirty page; MMAPDEMO_IOC_RESET with every page mapped, per mapped page, and\n"
		"with nothing mapped (a reset zeroes the whole buffer, %s). Peers track\n"
		"nothing and have no reset: '-'.\n",
		format_size(buf, sizeof(buf), b->buffer));
	for (i = 0; i < b->nr_sizes; i++) {
		fprintf(f, "\n%-8s %-12s %9s %7s %9s %7s %9s %9s\n",
			format_size(buf, sizeof(buf), b->sizes[i]), "mapping",
			"write ns", "faults", "track ns", "faults", "msync ns",
			"reset ns");
		idle = -1;
		for (j = 0; j < b->nr; j++, r++) {
			fprintf(f, "%-8s %-12s", "", b->subjects[j].name);
			if (!r->ok) {
				fprintf(f, " n/a: %s\n", r->note);
				continue;
			}
			for (m = WRITE; m <= RESET; m++) {
				if (!(r->have & BIT(m)))
					fprintf(f, " %*s", is_faults(m) ? 7 : 9,
						"-");
				else if (is_faults(m))
					print_faults(f, 7, r->v[m]);
				else
					print_num(f, r->v[m]);
			}
			fprintf(f, "%s%s\n", r->note[0] ? "  " : "", r->note);
			if (r->have & BIT(RESET_IDLE))
				idle = r->v[RESET_IDLE];
		}
		/* Under "reset ns": 9 + 12 + 46 characters in. */
		if (idle >= 0) {
			fprintf(f, "%-8s %-58s", "",
				"reset with nothing mapped");
			print_num(f, idle);
			fputc('\n', f);
		}
	}
}

static void print_table(FILE *f, const struct bench *b)
{
	char thp[64], around[32] = "?";
	struct utsname u;

	if (uname(&u))
		die("uname");
	read_small_file(FAULT_AROUND_BYTES, around, sizeof(around));
	around[strcspn(around, "\n")] = '\0';
	fprintf(f, "Linux %s %s, THP %s, fault_around_bytes %s\n", u.release,
		u.machine, thp_setting(thp, sizeof(thp)), around);
	fprintf(f, "medians of %u repetition%s, per 4 KiB page\n", b->reps,
		b->reps == 1 ? "" : "s");
	print_read_side(f, b);
	print_write_side(f, b);
}

int cmd_bench(const struct command *cmd, int argc, char **argv)
{
	struct bench b = { .reps = REPS };
	FILE *f = stdout;
	unsigned int i;

	for (i = 0; i < NR_BACKINGS; i++)
		b.memfd[i] = -1;
	parse_args(cmd, argc, argv, &b);
	if (b.csv && strcmp(b.csv, "-")) {
		f = fopen(b.csv, "we");
		if (!f)
			die("%s", b.csv);
	}
	measure(cmd, &b);
	if (b.csv)
		print_csv(f, &b);
	if (f != stdout && fclose(f))
		die("%s", b.csv);
	if (!b.csv || f != stdout)
		print_table(stdout, &b);
	free(b.results);
	return 0;
}
