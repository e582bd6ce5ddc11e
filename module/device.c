// SPDX-License-Identifier: GPL-2.0
/*
 * mmapdemo - a device whose mmap() builds page tables eagerly or lazily,
 * with PFNs or struct pages, 4 KiB or 2 MiB at a time
 *
 * The driver allocates a buffer at load and lets processes map it through
 * /dev/mmapdemo in one of these modes:
 *
 *   remap   mmap() writes every PTE at once with remap_pfn_range() (remap.c)
 *   fault   mmap() writes none; each first touch faults into the driver,
 *           which hands the page to the core MM (fault.c)
 *   insert  mmap() maps every struct page with vm_insert_pages() (insert.c)
 *   pfn     mmap() writes none; each first touch faults into the driver,
 *           which writes the PTE with vmf_insert_pfn() (pfn.c)
 *   huge    as pfn, but one fault maps 1 GiB with a PUD or 2 MiB with a PMD
 *           where the mapping and the buffer allow it (huge.c)
 *
 * From userspace:
 *
 *	int fd = open("/dev/mmapdemo", O_RDWR);
 *	__u32 mode = MMAPDEMO_MODE_REMAP;	// or keep the module's default
 *
 *	ioctl(fd, MMAPDEMO_IOC_SET_MODE, &mode);
 *	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
 *
 * read(), write(), lseek(), splice() and sendfile() on the same file reach
 * the same buffer.  A mapping can track writes for fsync() and msync() to
 * write back (writeback.c), and the device can be reset or removed while
 * mapped (takedown.c).
 *
 * This file is the device glue: module parameters, load and unload, and the
 * file operations other than mmap (mmap.c) and fsync (writeback.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "mmapdemo.h"

static unsigned long mmapdemo_size = SZ_4M;
module_param_named(size, mmapdemo_size, ulong, 0444);
MODULE_PARM_DESC(size, "buffer size in bytes, rounded up to whole pages (default 4 MiB, at most half of RAM)");

/*
 * Taking 1 GiB of physical memory migrates what is in use there, which may
 * take a while on a busy machine: an administrator can say no.
 */
static bool mmapdemo_gigantic = true;
module_param_named(gigantic, mmapdemo_gigantic, bool, 0444);
MODULE_PARM_DESC(gigantic, "look for 1 GiB chunks at load where huge mode can map them with a PUD (default Y)");

static unsigned int mmapdemo_default_mode = MMAPDEMO_MODE_FAULT;

static int mmapdemo_param_mode_set(const char *val, const struct kernel_param *kp)
{
	int mode = mmapdemo_mode_parse(val);

	if (mode < 0)
		return mode;
	WRITE_ONCE(*(unsigned int *)kp->arg, mode);
	return 0;
}

static int mmapdemo_param_mode_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%s\n",
			  mmapdemo_mode_name(READ_ONCE(*(unsigned int *)kp->arg)));
}

static const struct kernel_param_ops mmapdemo_param_mode_ops = {
	.set = mmapdemo_param_mode_set,
	.get = mmapdemo_param_mode_get,
};
module_param_cb(mode, &mmapdemo_param_mode_ops, &mmapdemo_default_mode, 0644);
MODULE_PARM_DESC(mode, "mode of newly opened files, by name: see mmapdemo(4) (default fault)");

static struct mmapdemo_dev *mmapdemo_from_misc(struct miscdevice *misc)
{
	return container_of(misc, struct mmapdemo_dev, misc);
}

static int mmapdemo_open(struct inode *inode, struct file *file)
{
	/* misc_open() left our miscdevice in private_data. */
	struct mmapdemo_dev *md = mmapdemo_from_misc(file->private_data);
	struct mmapdemo_file *mf;

	mf = kzalloc(sizeof(*mf), GFP_KERNEL);
	if (!mf)
		return -ENOMEM;
	mf->md = md;
	mf->mode = READ_ONCE(mmapdemo_default_mode);
	file->private_data = mf;
	/*
	 * The one address_space of the device, whatever node this open came
	 * through: mappings are filed under it (takedown.c).  misc_open()
	 * runs this under misc_mtx, which mmapdemo_unregister() takes too,
	 * so the reference is taken while the buffer is registered.
	 */
	file->f_mapping = md->inode->i_mapping;
	kref_get(&md->ref);
	atomic64_inc(&md->stats.opens);
	return 0;
}

/* The last reference to the buffer is gone: the device was unregistered. */
static void mmapdemo_buf_release(struct kref *ref)
{
	struct mmapdemo_dev *md = container_of(ref, struct mmapdemo_dev, ref);

	WARN_ON_ONCE(atomic64_read(&md->stats.live_vmas));
	mmapdemo_buf_free(&md->buf);
}

/* Runs on the last fput(): after close() and after the last munmap(). */
static int mmapdemo_release(struct inode *inode, struct file *file)
{
	struct mmapdemo_file *mf = file->private_data;

	kref_put(&mf->md->ref, mmapdemo_buf_release);
	kfree(mf);
	return 0;
}

/*
 * Take the node away; the buffer goes with the last reference, now or when
 * the last open file is released.
 */
void mmapdemo_unregister(struct mmapdemo_dev *md)
{
	misc_deregister(&md->misc);
	kref_put(&md->ref, mmapdemo_buf_release);
}

static ssize_t mmapdemo_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct mmapdemo_file *mf = iocb->ki_filp->private_data;
	size_t want = iov_iter_count(to);
	size_t done;

	if (READ_ONCE(mf->md->removed))
		return -ENODEV;
	done = mmapdemo_buf_copy(&mf->md->buf, iocb->ki_pos, to);
	if (!done && want && iocb->ki_pos < mf->md->buf.nr_pages << PAGE_SHIFT)
		return -EFAULT;
	iocb->ki_pos += done;
	atomic64_add(done, &mf->md->stats.bytes_read);
	return done;
}

static ssize_t mmapdemo_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct mmapdemo_file *mf = iocb->ki_filp->private_data;
	size_t done;

	if (READ_ONCE(mf->md->removed))
		return -ENODEV;
	if (!iov_iter_count(from))
		return 0;
	if (iocb->ki_pos >= mf->md->buf.nr_pages << PAGE_SHIFT)
		return -ENOSPC;

	done = mmapdemo_buf_copy(&mf->md->buf, iocb->ki_pos, from);
	if (!done)
		return -EFAULT;
	iocb->ki_pos += done;
	atomic64_add(done, &mf->md->stats.bytes_written);
	return done;
}

static loff_t mmapdemo_llseek(struct file *file, loff_t offset, int whence)
{
	struct mmapdemo_file *mf = file->private_data;

	return fixed_size_llseek(file, offset, whence,
				 mf->md->buf.nr_pages << PAGE_SHIFT);
}

/*
 * The size of @cmd if it is @ioc (an _IOR) at any size its struct has had:
 * from @first bytes up to @last, a whole number of u64 (sizes in between
 * that it never had get a prefix too); else 0.  Such structs only ever grow
 * at the end.
 */
static size_t mmapdemo_ioc_size(unsigned int cmd, unsigned int ioc,
				size_t first, size_t last)
{
	size_t size = _IOC_SIZE(cmd);

	if (_IOC_DIR(cmd) != _IOC_READ || _IOC_TYPE(cmd) != _IOC_TYPE(ioc) ||
	    _IOC_NR(cmd) != _IOC_NR(ioc))
		return 0;
	if (size < first || size > last || size % sizeof(__u64))
		return 0;
	return size;
}

/* struct mmapdemo_info as it was first, up to huge_pages. */
#define MMAPDEMO_INFO_SIZE_0	offsetofend(struct mmapdemo_info, huge_pages)

static int mmapdemo_ioctl_info(struct mmapdemo_dev *md, void __user *argp,
			       size_t size)
{
	struct mmapdemo_info info = {
		.size = md->buf.nr_pages << PAGE_SHIFT,
		.pages = md->buf.nr_pages,
		.meta_bytes = md->buf.meta_bytes,
		.chunks = md->buf.nr_chunks,
		.max_order = md->buf.max_order,
		.default_mode = READ_ONCE(mmapdemo_default_mode),
		.huge_pages = mmapdemo_huge_pages(&md->buf),
		.levels = mmapdemo_levels(),
		.pmd_pages = md->buf.pmd_pages,
		.pud_pages = md->buf.pud_pages,
	};

	return copy_to_user(argp, &info, size) ? -EFAULT : 0;
}

/* struct mmapdemo_stats as it was first, up to bytes_written. */
#define MMAPDEMO_STATS_SIZE_0	offsetofend(struct mmapdemo_stats, bytes_written)

static int mmapdemo_ioctl_stats(struct mmapdemo_dev *md, void __user *argp,
				size_t size)
{
	struct mmapdemo_counters *c = &md->stats;
	struct mmapdemo_stats stats = {
		.opens = atomic64_read(&c->opens),
		.faults = atomic64_read(&c->faults),
		.eager_pages = atomic64_read(&c->eager_pages),
		.live_vmas = atomic64_read(&c->live_vmas),
		.bytes_read = atomic64_read(&c->bytes_read),
		.bytes_written = atomic64_read(&c->bytes_written),
		.vma_lock_faults = atomic64_read(&c->vma_lock_faults),
		.around_pages = atomic64_read(&c->around_pages),
		.huge_faults = atomic64_read(&c->huge_faults),
		.huge_fallbacks = atomic64_read(&c->huge_fallbacks),
		.dirty_pages = atomic64_read(&c->dirty_pages),
		.synced_pages = atomic64_read(&c->synced_pages),
		.resets = atomic64_read(&c->resets),
		.pud_faults = atomic64_read(&c->pud_faults),
		.pud_fallbacks = atomic64_read(&c->pud_fallbacks),
	};
	unsigned int mode;

	BUILD_BUG_ON(ARRAY_SIZE(stats.mmaps) < MMAPDEMO_NR_MODES);
	for (mode = 0; mode < MMAPDEMO_NR_MODES; mode++)
		stats.mmaps[mode] = atomic64_read(&c->mmaps[mode]);

	return copy_to_user(argp, &stats, size) ? -EFAULT : 0;
}

static long mmapdemo_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mmapdemo_file *mf = file->private_data;
	u32 __user *argp = (u32 __user *)arg;
	size_t size;
	u32 mode, track;

	size = mmapdemo_ioc_size(cmd, MMAPDEMO_IOC_INFO, MMAPDEMO_INFO_SIZE_0,
				 sizeof(struct mmapdemo_info));
	if (size)
		return mmapdemo_ioctl_info(mf->md, argp, size);
	if (READ_ONCE(mf->md->removed))
		return -ENODEV;
	size = mmapdemo_ioc_size(cmd, MMAPDEMO_IOC_STATS, MMAPDEMO_STATS_SIZE_0,
				 sizeof(struct mmapdemo_stats));
	if (size)
		return mmapdemo_ioctl_stats(mf->md, argp, size);

	switch (cmd) {
	case MMAPDEMO_IOC_GET_MODE:
		return put_user(READ_ONCE(mf->mode), argp);
	case MMAPDEMO_IOC_SET_MODE:
		if (get_user(mode, argp))
			return -EFAULT;
		if (mode >= MMAPDEMO_NR_MODES) {
			pr_debug("set mode: no mode %u\n", mode);
			return -EINVAL;
		}
		WRITE_ONCE(mf->mode, mode);
		return 0;
	case MMAPDEMO_IOC_GET_TRACK:
		return put_user(READ_ONCE(mf->track), argp);
	case MMAPDEMO_IOC_SET_TRACK:
		if (get_user(track, argp))
			return -EFAULT;
		if (track > 1) {
			pr_debug("set track: %u is neither 0 nor 1\n", track);
			return -EINVAL;
		}
		WRITE_ONCE(mf->track, track);
		return 0;
	case MMAPDEMO_IOC_RESET:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return mmapdemo_reset(mf->md);
	case MMAPDEMO_IOC_REMOVE:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return mmapdemo_remove(mf->md);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations mmapdemo_fops = {
	.owner		= THIS_MODULE,
	.open		= mmapdemo_open,
	.release	= mmapdemo_release,
	.read_iter	= mmapdemo_read_iter,
	.write_iter	= mmapdemo_write_iter,
	/* splice() and sendfile(), through ->read_iter and ->write_iter. */
	.splice_read	= copy_splice_read,
	.splice_write	= iter_file_splice_write,
	.llseek		= mmapdemo_llseek,
	/* msync(MS_SYNC), fsync() and fdatasync(); without it, EINVAL. */
	.fsync		= mmapdemo_fsync,
	.mmap		= mmapdemo_mmap,
	.get_unmapped_area = mmapdemo_get_unmapped_area,
	.unlocked_ioctl	= mmapdemo_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct mmapdemo_dev mmapdemo_dev = {
	.misc = {
		.minor	= MISC_DYNAMIC_MINOR,
		.name	= KBUILD_MODNAME,
		.fops	= &mmapdemo_fops,
		.mode	= 0600,
	},
};

static int __init mmapdemo_init(void)
{
	struct mmapdemo_dev *md = &mmapdemo_dev;
	unsigned long limit = totalram_pages() / 2;
	unsigned long nr_pages = DIV_ROUND_UP(mmapdemo_size, PAGE_SIZE);
	int ret;

	if (!nr_pages || nr_pages > limit) {
		pr_err("size=%lu is invalid: it must be 1 to %lu bytes (half of RAM)\n",
		       mmapdemo_size, limit << PAGE_SHIFT);
		return -EINVAL;
	}
	/* Show the rounded size in /sys/module/mmapdemo/parameters/size. */
	mmapdemo_size = nr_pages << PAGE_SHIFT;

	init_rwsem(&md->takedown);
	kref_init(&md->ref);
	ret = mmapdemo_mapping_init(md);
	if (ret)
		return ret;

	ret = mmapdemo_buf_alloc(&md->buf, nr_pages, mmapdemo_gigantic,
				 md->inode->i_mapping);
	if (ret)
		goto err_mapping;

	ret = misc_register(&md->misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", md->misc.name, ret);
		goto err_free_buf;
	}

	pr_info("%lu KiB in %u chunks, default mode %s\n",
		mmapdemo_size / SZ_1K, md->buf.nr_chunks,
		mmapdemo_mode_name(READ_ONCE(mmapdemo_default_mode)));
	return 0;

err_free_buf:
	mmapdemo_buf_free(&md->buf);
err_mapping:
	mmapdemo_mapping_exit(md);
	return ret;
}
module_init(mmapdemo_init);

static void __exit mmapdemo_exit(void)
{
	struct mmapdemo_dev *md = &mmapdemo_dev;

	/* No file is open, or the module could not be unloaded. */
	if (!md->removed)
		mmapdemo_unregister(md);
	mmapdemo_mapping_exit(md);
	pr_info("unloaded\n");
}
module_exit(mmapdemo_exit);

MODULE_DESCRIPTION("A device whose mmap() builds page tables eagerly or lazily, with PFNs or pages (see mmapdemo(4))");
MODULE_AUTHOR("The mmapdemo developers");
MODULE_LICENSE("GPL");
#ifdef MMAPDEMO_VERSION
MODULE_VERSION(MMAPDEMO_VERSION);
#endif
