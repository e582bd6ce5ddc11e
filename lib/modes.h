/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver's modes as the tool and the selftests know them.  This is their
 * one list outside the module: the tool's names, the selftests' variants and
 * every "for each mode" loop come from it.
 *
 * A row is one way to map the device:
 *
 *	X(variant, name, MODE, eager, pfnmap, around, huge)
 *
 * variant	the row's name (a selftest variant is named after it)
 * name		the mode's name, as the driver spells it (MMAPDEMO_MODE_<MODE>)
 * eager	mmap() writes the page tables
 * pfnmap	VM_PFNMAP: the core sees frame numbers, never struct pages
 * around	fault_around=1: a read fault maps the pages around it
 * huge		a fault maps 2 MiB with one PMD where it can
 *
 * Each mode has one row with around 0, in the order of enum mmapdemo_mode;
 * a row with around 1 follows the row of its mode.
 */
#ifndef MMAPDEMO_MODES_H
#define MMAPDEMO_MODES_H

#include <stdbool.h>

#include <linux/mmapdemo.h>

/* clang-format off */
#define MMAPDEMO_MODES(X)					\
	X(remap,	remap,	REMAP,	1, 1, 0, 0)		\
	X(fault,	fault,	FAULT,	0, 0, 0, 0)		\
	X(fault_around,	fault,	FAULT,	0, 0, 1, 0)		\
	X(insert,	insert,	INSERT,	1, 0, 0, 0)		\
	X(pfn,		pfn,	PFN,	0, 1, 0, 0)		\
	X(huge,		huge,	HUGE,	0, 1, 0, 1)
/* clang-format on */

struct mode_info {
	const char *variant;
	const char *name;
	__u32 mode;
	bool eager;
	bool pfnmap;
	bool around;
	bool huge;
};

/* Every row of MMAPDEMO_MODES(), in order. */
extern const struct mode_info mode_rows[];
extern const unsigned int nr_mode_rows;

#define for_each_mode_row(m) \
	for ((m) = mode_rows; (m) < mode_rows + nr_mode_rows; (m)++)

/* Each mode once: its row without fault-around (safe before an "else"). */
#define for_each_mode(m)         \
	for_each_mode_row(m)     \
		if ((m)->around) \
			;        \
		else

/* How many modes there are: one more than the highest enum mmapdemo_mode. */
unsigned int nr_modes(void);
/* The row of @mode without fault-around, or NULL for no such mode. */
const struct mode_info *mode_info(__u32 mode);
/* The row called @variant ("fault_around"), or NULL. */
const struct mode_info *mode_row(const char *variant);
/* The name of @mode, or "?". */
const char *mode_name(__u32 mode);
/* The mode called @name, or -EINVAL. */
int mode_parse(const char *name);
/* The mode names, separated by @sep, for messages ("remap, fault, ..."). */
const char *mode_names(const char *sep);

#endif /* MMAPDEMO_MODES_H */
