# SPDX-License-Identifier: GPL-2.0
#
#   make               module and tools for the running kernel (or KDIR=)
#   make check         boot each kernel of the matrix in QEMU and run every test
#   make debug-kernel  build the debug kernel (KASAN, lockdep, kmemleak, ...), once
#   make check-debug   run every test on the debug kernel
#   make demo          boot a kernel in QEMU and show every mapping mode
#   make bench         boot a kernel in QEMU, benchmark every mode against the
#                      kernel's own memory; table, .cache/bench/bench.{csv,png}
#   make shell         an interactive guest with the module loaded
#   make lint          checkpatch, sparse and W=1 on both Debian kernels,
#                      shellcheck, clang-format, groff on the man pages:
#                      all clean or it fails
#   make format        apply .clang-format to userspace/
#   make clean         remove build output (keeps downloaded kernels)
#   make distclean     also remove downloaded kernels
#
# KERNEL=6.1 picks the guest kernel for demo, bench and shell (default 6.12);
# BENCH_ARGS="--sizes 4K-16M" passes options to mmapdemo bench;
# KERNELS="6.1 6.12 6.12-rt" is the matrix of check.

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNEL ?= 6.12

all: module userspace

module:
	$(MAKE) -C module KDIR=$(KDIR)

userspace selftests:
	$(MAKE) -C $@

check:
	qemu/check

debug-kernel:
	qemu/debug-kernel

check-debug: debug-kernel
	qemu/check --kernel debug

demo:
	qemu/run --kernel $(KERNEL) --append loglevel=4 -- mmapdemo demo

bench:
	qemu/bench --kernel $(KERNEL) -- $(BENCH_ARGS)

shell:
	qemu/run --kernel $(KERNEL)

lint:
	scripts/lint

format:
	clang-format -i userspace/*.[ch]

clean:
	$(MAKE) -C module clean
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests clean
	rm -rf .cache/build .cache/lint

distclean: clean
	rm -rf .cache

.PHONY: all module userspace selftests check debug-kernel check-debug demo bench shell lint format \
	clean distclean
