/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmapdemo bench: what it costs to map memory and to use it, in each mode of
 * the driver and for the kernel's own kinds of memory, its "peers".
 *
 *	bench.c		the command: options, sizes, repetitions, medians
 *	bench_peers.c	what is measured and how each one is mapped
 *	bench_measure.c	one repetition: map, touch, stream, unmap
 *	bench_csv.c	the results as CSV, written and read back
 *	bench_report.c	the results for people: table, ratios, targets
 */
#ifndef MMAPDEMO_BENCH_H
#define MMAPDEMO_BENCH_H

#include "cli.h"

#define BENCH_HUGE	(2UL << 20) /* a PMD maps 2 MiB on x86-64 */
#define BENCH_NAME	16
#define BENCH_NOTE	48
#define BENCH_PEERS	6
/* Every mode, fault mode once more without fault-around, the peers. */
#define BENCH_SUBJECTS	(MAX_MODES + 1 + BENCH_PEERS)
#define BENCH_NO_AROUND "fault-noFA"

struct bench_subject;

/* How to map one kind of memory. */
struct bench_ops {
	/*
	 * Why @len bytes cannot be measured here (written into @why), or
	 * false when they can.
	 */
	bool (*unavailable)(struct bench_subject *s, size_t len, char *why,
			    size_t size);
	/* Once per size, before the first map(); 0 or -errno. */
	int (*prepare)(struct bench_subject *s, size_t len);
	/* The mmap() and what belongs to it, at @hint; MAP_FAILED and errno. */
	void *(*map)(struct bench_subject *s, size_t len, void *hint);
	/* Anonymous memory in 4 KiB pages, whatever THP's setting. */
	bool no_thp;
};

/* A mode of the device, or a peer. */
struct bench_subject {
	char name[BENCH_NAME];
	bool peer;
	unsigned int mode; /* of the device, when !peer */
	int fd;		   /* the device in that mode, a memfd, or -1 */
	size_t fd_len;	   /* bytes prepared in a memfd */
	const struct bench_ops *ops;
};

/* One repetition of one subject at one size. */
struct bench_sample {
	uint64_t mmap_ns, read_ns, write_mmap_ns, write_ns, munmap_ns;
	long read_faults, write_faults;
	double read_mbps, write_mbps;
};

/*
 * The medians of the repetitions, or why there are none.  Times are in ns
 * per 4 KiB page of the mapping, whatever the size of the pages behind it.
 */
struct bench_result {
	uint64_t size;
	bool peer;
	char name[BENCH_NAME];
	bool ok;
	char note[BENCH_NOTE];
	unsigned int reps;
	double mmap_ns;	     /* the mmap() call */
	double read_ns;	     /* the first read of every page */
	double read_faults;  /* per page, in mmap() and the first read */
	double write_ns;     /* the first write of every page, anew */
	double write_faults; /* per page, in mmap() and the first write */
	double read_map_ns;  /* mmap() and the first read */
	double write_map_ns; /* mmap() and the first write */
	double read_mbps, write_mbps; /* MB/s after the first touch */
	double munmap_ns;	      /* munmap() with every page present */
};

/* A run: what it ran on, and one result per size and subject. */
struct bench_run {
	char about[8][192]; /* the comment lines at the top of the CSV */
	unsigned int nr_about;
	struct bench_result *results;
	size_t nr, cap;
};

/* bench_peers.c */
/* Fill @subjects with the device modes of @dev and the peers; how many. */
unsigned int bench_subjects(int dev, struct bench_subject *subjects);
void bench_subjects_close(struct bench_subject *subjects, unsigned int nr);
const char *bench_peer_name(unsigned int i);
void bench_thp_disable(bool disable);
/* How this kernel is set up for the peers, for the top of the CSV. */
void bench_describe_kernel(char *buf, size_t size);

/* bench_measure.c */
/* One repetition; 0, or -errno of a failed mmap(). */
int bench_sample(struct bench_subject *s, size_t len, struct bench_sample *out);

/* bench_csv.c */
void bench_csv_write(FILE *f, const struct bench_run *run);
/* Read what bench_csv_write() wrote; 0, or -errno with a message. */
int bench_csv_read(FILE *f, struct bench_run *run, char *why, size_t size);
struct bench_result *bench_run_add(struct bench_run *run);
void bench_run_free(struct bench_run *run);

/* bench_report.c */
void bench_print_table(FILE *f, const struct bench_run *run);

#endif /* MMAPDEMO_BENCH_H */
