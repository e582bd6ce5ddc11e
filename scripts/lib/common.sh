# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What every script of scripts/ and qemu/ shares: where the tree is, say and
# die, the help text, root. debian.sh and guest.sh source it.
#
# Everything downloaded or built lives in the git-ignored $top/.cache:
#   kernels/<release>/root/   image and headers extracted from Debian packages
#   debug-kernel/build/       the debug kernel qemu/debug-kernel builds
#   build/<release>/          module build tree, initramfs and guest logs
#   check/<kernel>.log        output of each qemu/check run

# The functions below die in command substitutions: make that stop the caller.
shopt -s inherit_errexit

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034 # for the scripts that source this
cache_dir=$top/.cache
# Messages start with the script's path in the tree: qemu/run, scripts/lint.
prog=$(realpath --relative-to="$top" "$0")

say() {
	printf '%s: %s\n' "$prog" "$*" >&2
}

die() {
	say "error: $*"
	exit 1
}

# The script's help: the comment at its head, after the SPDX line.
usage() {
	sed -n '1,3d; /^#/!q; s/^# \{0,1\}//p' "$0"
}

# For --version: the script, and the project's one version (dkms.conf).
print_version() {
	printf '%s (mmapdemo) %s\n' "$prog" \
		"$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")"
}

as_root() {
	if ((EUID == 0)); then
		"$@"
	else
		sudo "$@"
	fi
}
