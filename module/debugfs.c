// SPDX-License-Identifier: GPL-2.0
/*
 * The driver's counters in debugfs, one number a file, root-only:
 *
 *	/sys/kernel/debug/mmapdemo/{opens,mmaps_<mode>,faults,eager_pages,
 *				   live_vmas,bytes_read,bytes_written,
 *				   vma_lock_faults,around_pages,huge_faults,
 *				   huge_fallbacks}
 *
 * The same numbers come from the MMAPDEMO_IOC_STATS ioctl.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>

#include "mmapdemo.h"

static int mmapdemo_counter_get(void *data, u64 *val)
{
	*val = atomic64_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(mmapdemo_counter_fops, mmapdemo_counter_get, NULL,
			 "%llu\n");

static void mmapdemo_debugfs_counter(struct dentry *dir, const char *name,
				     atomic64_t *counter)
{
	debugfs_create_file_unsafe(name, 0400, dir, counter,
				   &mmapdemo_counter_fops);
}

/* Failures are not errors: debugfs is optional, and its API says so. */
void mmapdemo_debugfs_init(struct mmapdemo_dev *md)
{
	struct mmapdemo_counters *c = &md->stats;
	struct dentry *dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	char name[32];
	unsigned int mode;

	md->debugfs = dir;
	mmapdemo_debugfs_counter(dir, "opens", &c->opens);
	for (mode = 0; mode < MMAPDEMO_NR_MODES; mode++) {
		snprintf(name, sizeof(name), "mmaps_%s", mmapdemo_mode_name(mode));
		mmapdemo_debugfs_counter(dir, name, &c->mmaps[mode]);
	}
	mmapdemo_debugfs_counter(dir, "faults", &c->faults);
	mmapdemo_debugfs_counter(dir, "eager_pages", &c->eager_pages);
	mmapdemo_debugfs_counter(dir, "live_vmas", &c->live_vmas);
	mmapdemo_debugfs_counter(dir, "bytes_read", &c->bytes_read);
	mmapdemo_debugfs_counter(dir, "bytes_written", &c->bytes_written);
	mmapdemo_debugfs_counter(dir, "vma_lock_faults", &c->vma_lock_faults);
	mmapdemo_debugfs_counter(dir, "around_pages", &c->around_pages);
	mmapdemo_debugfs_counter(dir, "huge_faults", &c->huge_faults);
	mmapdemo_debugfs_counter(dir, "huge_fallbacks", &c->huge_fallbacks);
}

void mmapdemo_debugfs_exit(struct mmapdemo_dev *md)
{
	debugfs_remove(md->debugfs);
}
