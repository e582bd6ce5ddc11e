# SPDX-License-Identifier: GPL-2.0
#
# The project's one version, PACKAGE_VERSION in dkms.conf, as the C string
# MMAPDEMO_VERSION: for the tool's --version and for its tests.  Include it
# from a Makefile anywhere in the tree.
VERSION_CONF := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))../dkms.conf)
MMAPDEMO_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' $(VERSION_CONF))
CFLAGS += -DMMAPDEMO_VERSION='"$(MMAPDEMO_VERSION)"'
