// SPDX-License-Identifier: GPL-2.0
/*
 * The device buffer: pages allocated at load in physically contiguous chunks
 * of the highest order the allocator grants, and looked up by page index in
 * O(log chunks).  Where huge mode can map 1 GiB with one PUD, the buffer
 * starts with as many 1 GiB chunks as alloc_contig_range() finds, since the
 * page allocator cannot give them (its largest block is 4 MiB).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/memory_hotplug.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "mmapdemo.h"

/*
 * How hard to try for a block of 2^@order pages.  Order 0 must succeed if
 * anything can, and a PMD's worth (2 MiB) is worth compaction because huge
 * mode maps such a block with one PMD.  Other orders are only tried lightly
 * (no retries), since smaller blocks will do as well.
 */
static gfp_t mmapdemo_alloc_effort(unsigned int order)
{
	if (!order || order == MMAPDEMO_PMD_ORDER)
		return __GFP_RETRY_MAYFAIL;
	return __GFP_NORETRY;
}

/*
 * Allocate a zeroed block of at most 2^*order pages, trying smaller orders
 * until one succeeds (quietly: __GFP_NOWARN); *order is set to the order
 * obtained.
 */
static struct page *mmapdemo_alloc_block(unsigned int *order)
{
	/*
	 * __GFP_ZERO: userspace will see these pages, so they are cleared
	 * here whether or not the kernel runs with init_on_alloc.
	 */
	const gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;
	struct page *page;

	for (;; (*order)--) {
		page = alloc_pages(gfp | mmapdemo_alloc_effort(*order), *order);
		if (page || !*order)
			return page;
	}
}

#ifdef MMAPDEMO_HAVE_GIGANTIC_CHUNKS
/*
 * Whether the @nr pages at @pfn are all online, in @zone, and neither
 * reserved nor hugetlb's: what alloc_contig_range() needs of a range it is
 * to take whole, and what mm's own alloc_contig_pages() checks first.
 */
static bool mmapdemo_range_takeable(struct zone *zone, unsigned long pfn,
				    unsigned long nr)
{
	struct page *page;
	unsigned long i;

	for (i = 0; i < nr; i++) {
		page = pfn_to_online_page(pfn + i);
		if (!page || page_zone(page) != zone || PageReserved(page) ||
		    PageHuge(page))
			return false;
	}
	return true;
}

/*
 * A zeroed, naturally aligned block of 2^@order pages, as order-0 pages, or
 * NULL.  Blocks larger than the page allocator's are found as hugetlb finds
 * its 1 GiB pages at run time: alloc_contig_range() takes a given range of
 * physical memory, migrating away what is in use there and failing where
 * something cannot move.  mm's alloc_contig_pages(), which picks the range,
 * is not exported, so the candidates are tried here, each aligned block of
 * each zone in turn, from ZONE_NORMAL down, as GFP_KERNEL's zonelist goes:
 * the DMA zones come last, and ZONE_MOVABLE, which must stay free to
 * offline, never.
 */
static struct page *mmapdemo_alloc_contig(unsigned int order)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;
	const unsigned long nr = 1UL << order;
	struct zone *zone;
	unsigned long pfn;
	int nid, z;

	for_each_online_node(nid) {
		for (z = ZONE_NORMAL; z >= 0; z--) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (!populated_zone(zone))
				continue;
			for (pfn = ALIGN(zone->zone_start_pfn, nr);
			     pfn + nr <= zone_end_pfn(zone); pfn += nr) {
				cond_resched();
				if (mmapdemo_range_takeable(zone, pfn, nr) &&
				    !alloc_contig_range(pfn, pfn + nr,
							MIGRATE_MOVABLE, gfp))
					return pfn_to_page(pfn);
			}
		}
	}
	return NULL;
}
#endif /* MMAPDEMO_HAVE_GIGANTIC_CHUNKS */

/* Make room for one more chunk and the sentinel behind it. */
static int mmapdemo_buf_grow(struct mmapdemo_buf *buf, unsigned int *cap)
{
	struct mmapdemo_chunk *chunks;

	if (buf->nr_chunks + 2 <= *cap)
		return 0;

	chunks = kvmalloc_array(*cap * 2, sizeof(*chunks), GFP_KERNEL);
	if (!chunks)
		return -ENOMEM;
	memcpy(chunks, buf->chunks, buf->nr_chunks * sizeof(*chunks));
	kvfree(buf->chunks);
	buf->chunks = chunks;
	*cap *= 2;
	return 0;
}

/*
 * Give each page of a new chunk the address_space of the device's files, and
 * its index in the buffer, as the page cache does: the reverse map finds a
 * page's PTEs through them (folio_mkclean() in writeback.c), and the core
 * wants ->mapping set in a page that ->page_mkwrite let it write to.
 */
static void mmapdemo_buf_own(struct page *page, unsigned long nr,
			     struct address_space *mapping, pgoff_t pgoff)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		page[i].mapping = mapping;
		page[i].index = pgoff + i;
	}
}

/*
 * The next chunk of the buffer, with @left pages still to allocate: a block
 * of 2^*@order pages at most, as order-0 pages; *@order falls to the order
 * obtained.  1 GiB blocks come from mmapdemo_alloc_contig(), smaller ones
 * from the page allocator.
 */
static struct page *mmapdemo_alloc_chunk(unsigned int *order,
					 unsigned long left)
{
	struct page *page;

	*order = min_t(unsigned int, *order, ilog2(left));
#ifdef MMAPDEMO_HAVE_GIGANTIC_CHUNKS
	if (*order == MMAPDEMO_PUD_ORDER) {
		page = mmapdemo_alloc_contig(*order);
		if (page)
			return page;
	}
#endif
	*order = min_t(unsigned int, *order, MMAPDEMO_MAX_ORDER);
	page = mmapdemo_alloc_block(order);
	if (page)
		split_page(page, *order);
	return page;
}

/**
 * mmapdemo_buf_alloc - allocate a zeroed buffer of @nr_pages pages
 * @buf: the buffer to fill in
 * @nr_pages: its size, at least one page
 * @gigantic: whether to look for 1 GiB chunks
 * @mapping: the address_space its pages belong to
 *
 * The order asked for never grows: once the allocator refuses an order,
 * asking again for the next chunk would only burn time in compaction.  So
 * the chunks come in falling order, each at a page index that is a multiple
 * of its size: first those of 1 GiB (@buf->pud_pages pages), if asked for,
 * where the kernel can map them with a PUD and as long as they can be found,
 * then those of PMD size or more (up to @buf->pmd_pages pages).
 */
int mmapdemo_buf_alloc(struct mmapdemo_buf *buf, unsigned long nr_pages,
		       bool gigantic, struct address_space *mapping)
{
	size_t longs = BITS_TO_LONGS(nr_pages);
	unsigned int order = MMAPDEMO_MAX_ORDER;
	unsigned int cap = 4;
	unsigned long done = 0;
	struct page *page;
	int ret;

	memset(buf, 0, sizeof(*buf));
	buf->chunks = kvmalloc_array(cap, sizeof(*buf->chunks), GFP_KERNEL);
	buf->dirty = kvcalloc(2 * longs, sizeof(long), GFP_KERNEL);
	if (!buf->chunks || !buf->dirty) {
		ret = -ENOMEM;
		goto err_free;
	}
	buf->dirty_pfn = buf->dirty + longs;
#ifdef MMAPDEMO_HAVE_GIGANTIC_CHUNKS
	if (gigantic)
		order = MMAPDEMO_PUD_ORDER;
#endif

	while (done < nr_pages) {
		ret = mmapdemo_buf_grow(buf, &cap);
		if (ret)
			goto err_free;

		page = mmapdemo_alloc_chunk(&order, nr_pages - done);
		if (!page) {
			ret = -ENOMEM;
			goto err_free;
		}
		mmapdemo_buf_own(page, 1UL << order, mapping, done);

		buf->chunks[buf->nr_chunks].page = page;
		buf->chunks[buf->nr_chunks].pgoff = done;
		buf->nr_chunks++;
		buf->max_order = max(buf->max_order, order);
		done += 1UL << order;
		if (order >= MMAPDEMO_PUD_ORDER)
			buf->pud_pages = done;
		if (order >= MMAPDEMO_PMD_ORDER)
			buf->pmd_pages = done;
		buf->nr_pages = done;
		/* Half of a large machine's RAM may take millions of chunks. */
		cond_resched();
	}
	buf->chunks[buf->nr_chunks].page = NULL;
	buf->chunks[buf->nr_chunks].pgoff = nr_pages;
	buf->meta_bytes = sizeof(*buf) + cap * sizeof(*buf->chunks) +
			  2 * longs * sizeof(long);
	return 0;

err_free:
	mmapdemo_buf_free(buf);
	return ret;
}

/**
 * mmapdemo_buf_free - drop the buffer's reference on every page
 * @buf: the buffer, fully or partly allocated
 *
 * A page that something else still holds (a pipe that vmsplice()d it, I/O in
 * flight) is freed only when that last reference goes, and must not point to
 * the device's address_space then: ->mapping is cleared under the page lock,
 * as truncation does.  Freeing half of a large machine's RAM a page at a
 * time takes a while: let others run.
 */
void mmapdemo_buf_free(struct mmapdemo_buf *buf)
{
	struct page *page;
	unsigned long i, nr;
	unsigned int c;

	for (c = 0; c < buf->nr_chunks; c++) {
		nr = (c + 1 < buf->nr_chunks ? buf->chunks[c + 1].pgoff :
		      buf->nr_pages) - buf->chunks[c].pgoff;
		for (i = 0; i < nr; i++) {
			page = buf->chunks[c].page + i;
			lock_page(page);
			page->mapping = NULL;
			unlock_page(page);
			__free_page(page);
			cond_resched();
		}
	}
	kvfree(buf->chunks);
	kvfree(buf->dirty);
	buf->chunks = NULL;
	buf->dirty = NULL;
	buf->nr_chunks = 0;
}

/* Whether pages [@pgoff, @pgoff + @nr) lie inside the buffer; overflow-safe. */
bool mmapdemo_buf_range_ok(const struct mmapdemo_buf *buf, pgoff_t pgoff,
			   unsigned long nr)
{
	return nr && pgoff < buf->nr_pages && nr <= buf->nr_pages - pgoff;
}

/* The chunk holding page @pgoff, which must be inside the buffer. */
static const struct mmapdemo_chunk *
mmapdemo_buf_chunk(const struct mmapdemo_buf *buf, pgoff_t pgoff)
{
	unsigned int lo = 0, hi = buf->nr_chunks - 1, mid;

	while (lo < hi) {
		mid = hi - (hi - lo) / 2;
		if (buf->chunks[mid].pgoff <= pgoff)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &buf->chunks[lo];
}

/* The page at index @pgoff, or NULL past the end of the buffer. */
struct page *mmapdemo_buf_page(const struct mmapdemo_buf *buf, pgoff_t pgoff)
{
	const struct mmapdemo_chunk *c;

	if (pgoff >= buf->nr_pages)
		return NULL;
	c = mmapdemo_buf_chunk(buf, pgoff);
	return c->page + (pgoff - c->pgoff);
}

/**
 * mmapdemo_buf_run - find a physically contiguous run of pages
 * @buf: the buffer
 * @pgoff: page index where the run starts, inside the buffer
 * @max: the most pages the caller wants
 * @pfn: set to the page frame number of page @pgoff
 *
 * Chunks that happen to be adjacent in physical memory extend the run.
 *
 * Return: the run's length in pages, between 1 and @max.
 */
unsigned long mmapdemo_buf_run(const struct mmapdemo_buf *buf, pgoff_t pgoff,
			       unsigned long max, unsigned long *pfn)
{
	const struct mmapdemo_chunk *c = mmapdemo_buf_chunk(buf, pgoff);
	const struct mmapdemo_chunk *end = buf->chunks + buf->nr_chunks;
	unsigned long len;

	*pfn = page_to_pfn(c->page) + (pgoff - c->pgoff);
	len = c[1].pgoff - pgoff;
	while (len < max && ++c < end && page_to_pfn(c->page) == *pfn + len)
		len += c[1].pgoff - c->pgoff;
	return min(len, max);
}

/**
 * mmapdemo_buf_copy - copy between the buffer and an iov_iter
 * @buf: the buffer
 * @pos: byte offset in the buffer
 * @iter: the source (ITER_SOURCE: write into the buffer) or destination
 *
 * Copies min(iov_iter_count(@iter), bytes left after @pos).
 *
 * Return: the number of bytes copied; short if the iterator faulted.
 */
size_t mmapdemo_buf_copy(const struct mmapdemo_buf *buf, loff_t pos,
			 struct iov_iter *iter)
{
	size_t size = buf->nr_pages << PAGE_SHIFT;
	size_t copied = 0, len, done;
	void *kaddr;

	if (pos < 0 || pos >= size)
		return 0;

	while (iov_iter_count(iter) && pos < size) {
		kaddr = kmap_local_page(mmapdemo_buf_page(buf, pos >> PAGE_SHIFT));
		len = min(iov_iter_count(iter), PAGE_SIZE - offset_in_page(pos));
		/*
		 * Bytes, not pages: into a pipe (generic_file_splice_read(),
		 * see compat.h), copy_page_to_iter() would hand over the
		 * buffer's page itself, which the pipe's reader refuses for
		 * want of a page->mapping, and which would show the writes
		 * made after the splice.
		 */
		if (iov_iter_rw(iter) == ITER_SOURCE)
			done = copy_from_iter(kaddr + offset_in_page(pos), len, iter);
		else
			done = copy_to_iter(kaddr + offset_in_page(pos), len, iter);
		kunmap_local(kaddr);
		copied += done;
		pos += done;
		if (done < len)
			break;
	}
	return copied;
}
