// SPDX-License-Identifier: GPL-2.0
/*
 * Taking the mappings down again: what a driver does when its device is
 * reset, or goes away, while processes have it mapped.
 *
 * To find every mapping, whichever node and whichever process it was made
 * through, every open file of the device shares one address_space, that of
 * an anonymous inode of the driver's own (as DRM gives each device one).  The
 * core files each VMA under its file's f_mapping, so unmap_mapping_range()
 * on that one address_space reaches every PTE of every mode.
 *
 * A fault must never map a page after the takedown: the fault handlers run
 * under @md->takedown for reading (mmapdemo_enter()), and a takedown holds it
 * for writing.  That covers the handlers that write PTEs themselves, but in
 * fault and insert modes the core writes the PTE after ->fault returns.
 * Those handlers return the page locked (VM_FAULT_LOCKED), and the core
 * unlocks it only once the PTE is written; so after unmapping, a takedown
 * locks each page in turn, which waits for such faults, and unmaps again.
 * Truncation does the same with the page cache.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>

#include "mmapdemo.h"
#include "trace.h"

#define MMAPDEMO_FS_MAGIC	0x6d6d6170	/* "mmap" */

static struct vfsmount *mmapdemo_mnt;

static int mmapdemo_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, MMAPDEMO_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * Never registered, so never mounted from userspace: only kern_mount().  No
 * .owner: the mount lives from load to unload, and would pin the module.
 */
static struct file_system_type mmapdemo_fs_type = {
	.name = KBUILD_MODNAME,
	.init_fs_context = mmapdemo_init_fs_context,
	.kill_sb = kill_anon_super,
};

/* Make the inode whose address_space every open file of @md will share. */
int mmapdemo_mapping_init(struct mmapdemo_dev *md)
{
	mmapdemo_mnt = kern_mount(&mmapdemo_fs_type);
	if (IS_ERR(mmapdemo_mnt))
		return PTR_ERR(mmapdemo_mnt);

	md->inode = alloc_anon_inode(mmapdemo_mnt->mnt_sb);
	if (IS_ERR(md->inode)) {
		kern_unmount(mmapdemo_mnt);
		return PTR_ERR(md->inode);
	}
	return 0;
}

void mmapdemo_mapping_exit(struct mmapdemo_dev *md)
{
	iput(md->inode);
	kern_unmount(mmapdemo_mnt);
}

/**
 * mmapdemo_enter - start a fault that may map part of the buffer
 * @md: the device
 *
 * Waits while a reset is taking the mappings down.
 *
 * Return: true, with @md->takedown held for reading until mmapdemo_leave();
 * false once the device is removed, and then the fault must fail.
 */
bool mmapdemo_enter(struct mmapdemo_dev *md)
{
	down_read(&md->takedown);
	if (!md->removed)
		return true;
	up_read(&md->takedown);
	return false;
}

void mmapdemo_leave(struct mmapdemo_dev *md)
{
	up_read(&md->takedown);
}

/*
 * Unmap the buffer from every process, @even_cows: also the private copies
 * of its pages.  Called with @md->takedown held for writing, so no fault
 * handler runs; @each runs on every page under its lock, after any fault
 * that had the page locked has written its PTE, which the second unmap then
 * takes down.
 */
static void mmapdemo_unmap_all(struct mmapdemo_dev *md, bool even_cows,
			       void (*each)(struct mmapdemo_dev *md,
					    struct page *page, pgoff_t pgoff))
{
	struct address_space *mapping = md->inode->i_mapping;
	struct page *page;
	pgoff_t pgoff;

	lockdep_assert_held_write(&md->takedown);
	/* 0, 0: the whole file, whatever offsets its VMAs have. */
	unmap_mapping_range(mapping, 0, 0, even_cows);
	for (pgoff = 0; pgoff < md->buf.nr_pages; pgoff++) {
		page = mmapdemo_buf_page(&md->buf, pgoff);
		lock_page(page);
		if (each)
			each(md, page, pgoff);
		unlock_page(page);
		cond_resched();
	}
	unmap_mapping_range(mapping, 0, 0, even_cows);
}

static void mmapdemo_reset_page(struct mmapdemo_dev *md, struct page *page,
				pgoff_t pgoff)
{
	clear_highpage(page);
	mmapdemo_forget_dirty(&md->buf, pgoff);
}

/**
 * mmapdemo_reset - reset the device while it may be mapped
 * @md: the device
 *
 * Take every mapping of the buffer down, then zero it and forget its dirty
 * pages, as a device reset loses what it held.  The next touch of a mapping
 * faults the page back in; remap mode's VMAs, which never faulted, have a
 * fault handler for this (as vfio-pci's BAR mappings do).  Private copies
 * that a MAP_PRIVATE write made are the process's own memory, and stay.
 *
 * Return: 0, or -ENODEV once the device is removed.
 */
int mmapdemo_reset(struct mmapdemo_dev *md)
{
	down_write(&md->takedown);
	if (md->removed) {
		up_write(&md->takedown);
		return -ENODEV;
	}
	mmapdemo_unmap_all(md, false, mmapdemo_reset_page);
	atomic64_inc(&md->stats.resets);
	trace_mmapdemo_reset(md->buf.nr_pages);
	up_write(&md->takedown);
	return 0;
}

/**
 * mmapdemo_remove - remove the device while it may be mapped
 * @md: the device
 *
 * As when the hardware goes away: the node goes, every access through an
 * existing mapping (private copies included) raises SIGBUS from now on, and
 * the open files fail every call but MMAPDEMO_IOC_INFO with -ENODEV.  The
 * buffer is freed when the last of those files is released, and with it the
 * last mapping, since a VMA holds its file: no PTE can point to a freed page,
 * and a page that a pin (io_uring, a pipe) holds is freed when the pin goes.
 *
 * An mmap() that passed its check just before @md->removed was set may link
 * its VMA after the unmap here: an eager mode's PTEs then stay until
 * munmap(), pointing to the buffer, which is still allocated.
 *
 * Return: 0, or -ENODEV if it was removed already.
 */
int mmapdemo_remove(struct mmapdemo_dev *md)
{
	down_write(&md->takedown);
	if (md->removed) {
		up_write(&md->takedown);
		return -ENODEV;
	}
	WRITE_ONCE(md->removed, true);
	mmapdemo_unmap_all(md, true, NULL);
	trace_mmapdemo_remove(md->buf.nr_pages);
	up_write(&md->takedown);

	mmapdemo_unregister(md);
	pr_info("removed: the module can be unloaded once every file and mapping of it is gone\n");
	return 0;
}
