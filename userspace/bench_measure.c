// SPDX-License-Identifier: GPL-2.0
/*
 * One repetition of the benchmark for one subject and size:
 *
 *  1. mmap() (timed), read one byte of every page (timed, counting the minor
 *     faults of both): the lazy path as a reader meets it, with fault-around
 *     where the memory has it;
 *  2. write every byte once, untimed, so that every page is present and
 *     writable (anonymous memory leaves the zero page), then read it all in
 *     64-bit words and write it all with memset() for a few passes each:
 *     the steady-state bandwidth;
 *  3. munmap() with every page present (timed);
 *  4. a fresh mmap() (timed) and one written byte in every page (timed, with
 *     its faults): the lazy path as a writer meets it, which never faults
 *     around and gets anonymous memory its own pages at once.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

/*
 * A bandwidth is the median of 3 timed rounds, each of whole passes over the
 * mapping and at least 8 MiB: a moment when the machine is busy elsewhere
 * spoils one round, not the figure.
 */
#define STREAM_ROUNDS	   3
#define STREAM_ROUND_BYTES (8UL << 20)

static volatile uint64_t sink;

/*
 * A free address aligned to 2 MiB with room for @len bytes: reserve a bit
 * more and give it back.  NULL lets mmap() choose.
 */
static void *aligned_hint(size_t len)
{
	size_t span = len + BENCH_HUGE;
	uintptr_t p;
	void *area;

	area = mmap(NULL, span, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return NULL;
	munmap(area, span);
	p = ((uintptr_t)area + BENCH_HUGE - 1) & ~(BENCH_HUGE - 1);
	return (void *)p;
}

static void *timed_map(struct bench_subject *s, size_t len, uint64_t *ns)
{
	void *hint = aligned_hint(len), *p;
	uint64_t t;

	t = now_ns();
	p = s->ops->map(s, len, hint);
	*ns = now_ns() - t;
	return p;
}

static void write_pages(volatile unsigned char *p, size_t len)
{
	size_t i, page = page_size();

	for (i = 0; i < len; i += page)
		p[i] = 1;
}

static unsigned int round_passes(size_t len)
{
	return (STREAM_ROUND_BYTES + len - 1) / len;
}

static double mbps(uint64_t bytes, uint64_t ns)
{
	return ns ? bytes * 1e3 / ns : 0;
}

_Static_assert(STREAM_ROUNDS == 3, "median3() takes 3 rounds");

static double median3(const double *v)
{
	double lo = v[0] < v[1] ? v[0] : v[1], hi = v[0] < v[1] ? v[1] : v[0];

	return v[2] < lo ? lo : v[2] > hi ? hi : v[2];
}

static uint64_t sum_words(const uint64_t *p, size_t len)
{
	size_t i, words = len / sizeof(*p);
	uint64_t sum = 0;

	for (i = 0; i < words; i++)
		sum += p[i];
	return sum;
}

static double stream_read(const uint64_t *p, size_t len)
{
	unsigned int round, pass, passes = round_passes(len);
	double v[STREAM_ROUNDS];
	uint64_t t, sum = 0;

	for (round = 0; round < STREAM_ROUNDS; round++) {
		t = now_ns();
		for (pass = 0; pass < passes; pass++) {
			sum += sum_words(p, len);
			/* Read memory again in each pass. */
			__asm__ volatile("" : : : "memory");
		}
		v[round] = mbps((uint64_t)len * passes, now_ns() - t);
	}
	sink = sum;
	return median3(v);
}

static double stream_write(void *p, size_t len)
{
	unsigned int round, pass, passes = round_passes(len);
	double v[STREAM_ROUNDS];
	uint64_t t;

	for (round = 0; round < STREAM_ROUNDS; round++) {
		t = now_ns();
		for (pass = 0; pass < passes; pass++) {
			memset(p, pass, len);
			/* Each pass must reach memory, not just the last. */
			__asm__ volatile("" : : "r"(p) : "memory");
		}
		v[round] = mbps((uint64_t)len * passes, now_ns() - t);
	}
	return median3(v);
}

/* Steps 1 to 3. */
static int sample_read_first(struct bench_subject *s, size_t len,
			     struct bench_sample *out)
{
	unsigned char *p;
	long faults;
	uint64_t t;

	faults = minor_faults();
	p = timed_map(s, len, &out->mmap_ns);
	if (p == MAP_FAILED)
		return -errno;
	t = now_ns();
	touch_pages(p, len);
	out->read_ns = now_ns() - t;
	out->read_faults = minor_faults() - faults;

	memset(p, 0, len);
	out->read_mbps = stream_read((const uint64_t *)p, len);
	out->write_mbps = stream_write(p, len);

	t = now_ns();
	munmap(p, len);
	out->munmap_ns = now_ns() - t;
	return 0;
}

/* Step 4. */
static int sample_write_first(struct bench_subject *s, size_t len,
			      struct bench_sample *out)
{
	unsigned char *p;
	long faults;
	uint64_t t;

	faults = minor_faults();
	p = timed_map(s, len, &out->write_mmap_ns);
	if (p == MAP_FAILED)
		return -errno;
	t = now_ns();
	write_pages(p, len);
	out->write_ns = now_ns() - t;
	out->write_faults = minor_faults() - faults;
	munmap(p, len);
	return 0;
}

int bench_sample(struct bench_subject *s, size_t len, struct bench_sample *out)
{
	int ret;

	if (s->ops->no_thp)
		bench_thp_disable(true);
	ret = sample_read_first(s, len, out);
	if (!ret)
		ret = sample_write_first(s, len, out);
	if (s->ops->no_thp)
		bench_thp_disable(false);
	return ret;
}
