# SPDX-License-Identifier: GPL-2.0
#
#   make               module and tools for the running kernel (or KDIR=)
#   make check         boot each kernel of the matrix in QEMU and run every test
#   make debug-kernel  build the debug kernel (KASAN, lockdep, kmemleak, ...), once
#   make check-debug   run every test on the debug kernel
#   make demo          boot a kernel in QEMU and show every mapping mode
#   make bench         boot a kernel in QEMU, benchmark every mode against the
#                      kernel's own memory; .cache/bench/bench.{csv,txt,png,svg}
#   make shell         an interactive guest with the module loaded
#   make lint          checkpatch, sparse and W=1 on both Debian kernels,
#                      shellcheck, clang-format, groff on the man pages:
#                      all clean or it fails
#   make format        apply .clang-format to userspace/ and lib/
#   make dkms-check    DKMS builds, installs and removes the module for both
#                      Debian kernels, in trees of its own
#   make install-check make install DESTDIR= gives the expected tree, and
#                      make uninstall takes it away
#   make intree-check  build the module inside the debug kernel's tree, as
#                      drivers/misc/mmapdemo with CONFIG_MMAPDEMO=m
#   make install       module (for KDIR's kernel), tool, udev rule, example
#                      modprobe.d file, man pages and bash completion;
#                      make uninstall
#   make dkms-install  the same, but the module through DKMS (its sources
#                      in /usr/src, rebuilt for each new kernel); make
#                      dkms-remove
#   make clean         remove build output (keeps downloaded kernels)
#   make distclean     also remove downloaded kernels
#   make help          this text
#
# KERNEL=6.1 picks the guest kernel for demo, bench and shell (default 6.12);
# BENCH_ARGS="--sizes 4K-16M" passes options to mmapdemo bench;
# KERNELS="6.1 6.12 6.12-rt" is the matrix of check.
#
# install and uninstall take DESTDIR (a staging root: no depmod then),
# PREFIX (the tool, the man pages and the completion, default /usr/local),
# INSTALL_MOD_PATH (a root for /lib/modules, as the kernel's
# modules_install), INSTALL_MOD_DIR (default extra) and KDIR.

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNEL ?= 6.12
# The project's one version, dkms.conf's PACKAGE_VERSION, as VERSION.
include userspace/version.mk
VERSION := $(MMAPDEMO_VERSION)

all: module userspace

help:
	@sed -n '3,/^$$/s/^# \{0,1\}//p' Makefile

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
	clang-format -i userspace/*.[ch] lib/*.[ch]

dkms-check install-check intree-check:
	scripts/$@

## Install

PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UDEVDIR ?= /lib/udev
MODPROBEDIR ?= /etc/modprobe.d
INSTALL_MOD_DIR ?= extra

# The release of KDIR's kernel, which names its /lib/modules directory.
KRELEASE = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null || uname -r)
MODDIR = $(DESTDIR)$(INSTALL_MOD_PATH)/lib/modules/$(KRELEASE)/$(INSTALL_MOD_DIR)

# Distribution headers ask modules_install to sign with the key of whoever
# built the kernel (CONFIG_MODULE_SIG_ALL), which is not there: sign-file
# then fails, loudly and harmlessly.  Sign only when the key is there.
SIG_KEY = $(shell sed -n 's/^CONFIG_MODULE_SIG_KEY="\(.*\)"$$/\1/p' $(KDIR)/.config 2>/dev/null)
NO_SIGN = $(if $(filter pkcs11:%,$(SIG_KEY))$(wildcard $(KDIR)/$(SIG_KEY)),,CONFIG_MODULE_SIG_ALL=)

# The kernel's modules_install runs depmod only with a System.map, which
# distribution headers do not have: run it here instead (the kernel's is
# DEPMOD=true), except into a staging DESTDIR, where the package's own
# scripts will.
RUN_DEPMOD = $(if $(DESTDIR),@:,depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE))

install: install-module install-userspace install-data

install-module: module
	$(MAKE) -C module modules_install KDIR=$(KDIR) \
		INSTALL_MOD_PATH=$(DESTDIR)$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) DEPMOD=true $(NO_SIGN)
	$(RUN_DEPMOD)

install-userspace:
	$(MAKE) -C userspace install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

# The modprobe.d file is an example to edit: an edited one is kept.
install-data:
	install -D -m 0644 packaging/60-mmapdemo.rules \
		$(DESTDIR)$(UDEVDIR)/rules.d/60-mmapdemo.rules
	for page in man/mmapdemo.1 man/mmapdemo.4; do \
		install -d $(DESTDIR)$(MANDIR)/man$${page##*.} && \
		sed '/^\.TH /s/ mmapdemo "/ "mmapdemo $(VERSION)" "/' $$page \
			>$(DESTDIR)$(MANDIR)/man$${page##*.}/$${page#man/} || exit; \
	done
	install -D -m 0644 packaging/mmapdemo.bash-completion \
		$(DESTDIR)$(COMPLETIONDIR)/mmapdemo
	@if [ -e $(DESTDIR)$(MODPROBEDIR)/mmapdemo.conf ]; then \
		echo "keeping $(DESTDIR)$(MODPROBEDIR)/mmapdemo.conf"; \
	else \
		echo install -D -m 0644 packaging/mmapdemo.conf $(DESTDIR)$(MODPROBEDIR)/mmapdemo.conf; \
		install -D -m 0644 packaging/mmapdemo.conf $(DESTDIR)$(MODPROBEDIR)/mmapdemo.conf; \
	fi

# Files only: the directories may hold other things.
uninstall: uninstall-module uninstall-files

uninstall-module:
	rm -f $(MODDIR)/mmapdemo.ko $(MODDIR)/mmapdemo.ko.*
	$(RUN_DEPMOD)

uninstall-files:
	rm -f $(DESTDIR)$(PREFIX)/bin/mmapdemo $(DESTDIR)$(PREFIX)/bin/mmapdemo-bench-plot
	rm -f $(DESTDIR)$(UDEVDIR)/rules.d/60-mmapdemo.rules
	rm -f $(DESTDIR)$(MANDIR)/man1/mmapdemo.1 $(DESTDIR)$(MANDIR)/man4/mmapdemo.4
	rm -f $(DESTDIR)$(COMPLETIONDIR)/mmapdemo
	@if cmp -s packaging/mmapdemo.conf $(DESTDIR)$(MODPROBEDIR)/mmapdemo.conf; then \
		echo rm -f $(DESTDIR)$(MODPROBEDIR)/mmapdemo.conf; \
		rm -f $(DESTDIR)$(MODPROBEDIR)/mmapdemo.conf; \
	elif [ -e $(DESTDIR)$(MODPROBEDIR)/mmapdemo.conf ]; then \
		echo "keeping $(DESTDIR)$(MODPROBEDIR)/mmapdemo.conf: it was edited"; \
	fi

## DKMS
DKMS ?= dkms
DKMS_ARGS ?=
DKMS_SRC ?= /usr/src/mmapdemo-$(VERSION)
DKMS_FILES := dkms.conf module/Kbuild module/Makefile \
	$(filter-out %.mod.c,$(wildcard module/*.c)) $(wildcard module/*.h) \
	include/uapi/linux/mmapdemo.h

# What DKMS builds from, and nothing else (no build output, no .cache/).
dkms-source:
	rm -rf $(DESTDIR)$(DKMS_SRC)
	for f in $(DKMS_FILES); do \
		install -D -m 0644 $$f $(DESTDIR)$(DKMS_SRC)/$$f || exit; \
	done

# Add the sources afresh, and build and install the module for the running
# kernel (DKMS_ARGS="-k RELEASE" for another); AUTOINSTALL does new kernels.
# Then the rest, as make install does.
dkms-install:
	@command -v $(firstword $(DKMS)) >/dev/null || { echo "dkms-install:" \
		"no $(firstword $(DKMS)) command: install the dkms package first" >&2; exit 1; }
	if [ -n "$$($(DKMS) status mmapdemo/$(VERSION))" ]; then \
		$(DKMS) remove mmapdemo/$(VERSION) --all; \
	fi
	$(MAKE) dkms-source DESTDIR=
	$(DKMS) add mmapdemo/$(VERSION)
	$(DKMS) install mmapdemo/$(VERSION) $(DKMS_ARGS)
	$(MAKE) install-userspace install-data

dkms-remove: uninstall-files
	if [ -n "$$($(DKMS) status mmapdemo/$(VERSION))" ]; then \
		$(DKMS) remove mmapdemo/$(VERSION) --all; \
	fi
	rm -rf $(DKMS_SRC)

version:
	@echo $(VERSION)

clean:
	$(MAKE) -C module clean
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests clean
	rm -rf .cache/build .cache/lint .cache/dkms .cache/install-check .cache/intree

distclean: clean
	rm -rf .cache

.PHONY: all help module userspace selftests check debug-kernel check-debug demo bench shell lint format \
	dkms-check install-check intree-check \
	install install-module install-userspace install-data uninstall \
	uninstall-module uninstall-files \
	version dkms-source dkms-install dkms-remove clean distclean
