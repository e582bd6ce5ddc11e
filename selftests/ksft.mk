# SPDX-License-Identifier: GPL-2.0
#
# What a test directory of mmapdemo takes from kselftest.  Set TOP (the
# repository, relative), COLLECTION and the kselftest variables
# (TEST_GEN_PROGS, ...), then include this file.  kselftest_harness.h and
# lib.mk come from a kernel tree: KSFT_DIR=/path/to/linux, or by default
# Debian's linux-source package (see scripts/linux-source).
#
# "make install INSTALL_PATH=DIR" installs the programs into DIR/COLLECTION
# and lists them in DIR/kselftest-list.txt, as kselftest's own install does.

OUTPUT := $(CURDIR)
CFLAGS += -O2 -g -Wall -I$(TOP)/include/uapi -I$(TOP)/lib -I$(TOP)/selftests \
	  -I$(KSFT) -pthread
LDFLAGS += -static -pthread
LOCAL_HDRS += $(TOP)/selftests/mmapdemo_test.h $(wildcard $(TOP)/lib/*.h) \
	      $(TOP)/include/uapi/linux/mmapdemo.h

ifeq ($(MAKECMDGOALS),clean)
clean:
	$(RM) $(TEST_GEN_PROGS)
else
KSFT_DIR ?= $(shell $(TOP)/scripts/linux-source)
KSFT := $(KSFT_DIR)/tools/testing/selftests
ifeq ($(wildcard $(KSFT)/lib.mk),)
$(error no kselftest lib.mk in $(KSFT): set KSFT_DIR to a kernel source tree)
endif
ifdef INSTALL_PATH
KSFT_INSTALL_PATH := $(INSTALL_PATH)
override INSTALL_PATH := $(INSTALL_PATH)/$(COLLECTION)
endif
include $(KSFT)/lib.mk

install: install-list
install-list:
	printf '$(COLLECTION):%s\n' $(notdir $(TEST_GEN_PROGS) $(TEST_PROGS)) \
		>>$(KSFT_INSTALL_PATH)/kselftest-list.txt
.PHONY: install-list

$(TEST_GEN_PROGS): $(addprefix $(TOP)/lib/,util.c modes.c tracefs.c)
endif
