# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Debian's packages and kernels: install what is missing, fetch a kernel's
# image and headers into .cache/, the host packages that build a module with
# them, and where the debug kernel of qemu/debug-kernel is.

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

## Packages

apt_get() {
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -q "$@"
}

package_installed() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == 'install ok installed' ]]
}

apt_lists_present() {
	local lists

	eval "$(apt-config shell lists Dir::State::lists/d)"
	compgen -G "${lists:-/var/lib/apt/lists/}*_Packages*" >/dev/null
}

apt_update() {
	say 'updating the package lists'
	apt_get update >&2
}

# The harness takes its kernels and tools from Debian 12's archive: stop at
# once, in one sentence, anywhere else.
debian_host() {
	local ID='' VERSION_ID=''

	# shellcheck disable=SC1091 # the host's, not ours
	[[ -r /etc/os-release ]] && . /etc/os-release
	[[ $ID == debian && $VERSION_ID == 12 ]] && command -v apt-get >/dev/null && return 0
	die "this needs Debian 12 with apt (it runs Debian's kernels and tools); elsewhere," \
		"build with 'make KDIR=<your kernel build tree>' and test in a VM of your own kernel," \
		"e.g. with virtme-ng (README, \"On another system\")"
}

# need_packages PKG...: install the packages that are missing, saying so
# first. Never upgrades an installed package: when installing them would,
# or with MMAPDEMO_NO_INSTALL=1, stop and print the command instead. CI
# (CI=true) provisions a machine of its own, and may upgrade.
need_packages() {
	local pkg missing=() upgrades cmd
	local -a opts=(--no-install-recommends)

	for pkg; do
		package_installed "$pkg" || missing+=("$pkg")
	done
	((${#missing[@]})) || return 0
	debian_host
	cmd="sudo apt-get install ${opts[*]} ${missing[*]}"
	[[ ${MMAPDEMO_NO_INSTALL:-0} == 0 ]] || die "missing packages: ${missing[*]}; install them with: $cmd"
	apt_lists_present || apt_update
	# "Inst NAME [INSTALLED] (NEW ...)": an upgrade.
	upgrades=$(apt-get -s install "${opts[@]}" "${missing[@]}" 2>/dev/null |
		awk '$1 == "Inst" && $3 ~ /^\[/ { print $2 }' | paste -sd ' ')
	if [[ $upgrades && ${CI:-} != true ]]; then
		die "installing ${missing[*]} would upgrade $upgrades; do it yourself if you want it: $cmd"
	fi
	[[ -z $upgrades ]] || say "CI: installing ${missing[*]} upgrades $upgrades"
	say "installing ${missing[*]} (apt-get install ${opts[*]}; MMAPDEMO_NO_INSTALL=1 to do it yourself)"
	apt_get install -y "${opts[@]}" "${missing[@]}" >&2 && return 0
	apt_update
	apt_get install -y "${opts[@]}" "${missing[@]}" >&2 ||
		die "cannot install ${missing[*]}"
}

# package_depends PKG REGEX: the packages PKG depends on whose names match
# REGEX. Updates the package lists once when apt does not know PKG.
package_depends() {
	local -a opts=(--no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances)
	local deps

	deps=$(apt-cache depends "${opts[@]}" "$1" 2>/dev/null) ||
		{ apt_update && deps=$(apt-cache depends "${opts[@]}" "$1"); } ||
		die "no package $1 in the archive"
	awk -v re="$2" '$1 ~ /^\|?Depends:$/ && $2 !~ /^</ && $2 ~ re { print $2 }' <<<"$deps"
}

## Kernels

# Debian's kernels, and "debug", which qemu/debug-kernel builds.
known_kernels='6.1 6.12 6.1-rt 6.12-rt debug'

# The Debian meta package that follows a kernel series.
kernel_meta_package() {
	case $1 in
	6.1) echo linux-image-amd64 ;;
	6.12) echo linux-image-6.12-amd64 ;;
	6.1-rt) echo linux-image-rt-amd64 ;;
	6.12-rt) echo linux-image-6.12-rt-amd64 ;;
	*) die "unknown kernel '$1' (known: $known_kernels)" ;;
	esac
}

check_kernel_name() {
	[[ $1 == debug ]] || kernel_meta_package "$1" >/dev/null
}

# kernel_release NAME: the release (uname -r) of the debug kernel as built, or
# the one the Debian meta package points to today.
kernel_release() {
	local meta image

	if [[ $1 == debug ]]; then
		debug_kernel_release
		return
	fi
	meta=$(kernel_meta_package "$1")
	image=$(package_depends "$meta" '^linux-image-' | head -n 1)
	[[ $image ]] || die "cannot resolve $meta to a kernel image package"
	echo "${image#linux-image-}"
}

kernel_dir() {
	echo "$cache_dir/kernels/$1"
}

# The kernel build tree of RELEASE, the KDIR of the module.
headers_dir() {
	if is_debug_release "$1"; then
		echo "$debug_kernel_build"
	else
		echo "$cache_dir/kernels/$1/root/usr/src/linux-headers-$1"
	fi
}

kernel_image() {
	if is_debug_release "$1"; then
		debug_kernel_image
	else
		echo "$cache_dir/kernels/$1/root/boot/vmlinuz-$1"
	fi
}

# The packages that complete linux-headers-<release>: its -common part and kbuild.
headers_companions() {
	package_depends "linux-headers-$1" '^linux-(headers-.*-common(-rt)?|kbuild-.*)$'
}

# Host packages the extracted (not installed) headers need to build a module:
# the compiler the headers depend on and the run-time dependencies of kbuild.
kernel_host_packages() {
	local kbuild

	# The compiler: linux-compiler-gcc-N-x86 would drag its sibling packages
	# (linux-libc-dev, linux-perf) up to its version; gcc-N is what builds.
	package_depends "linux-headers-$1" '^(gcc-[0-9]+|linux-compiler-gcc-.*)$' |
		sed -E 's/^linux-compiler-(gcc-[0-9]+)-.*/\1/' | sort -u
	for kbuild in $(package_depends "linux-headers-$1" '^linux-kbuild-'); do
		package_depends "$kbuild" '.'
	done
}

# download_packages DIR PKG...: apt-get download into DIR (no root needed).
download_packages() {
	local dir=$1
	local -a opts=(-q)

	shift
	# As root, apt drops to _apt, which cannot write into DIR.
	((EUID)) || opts+=(-o APT::Sandbox::User=root)
	(cd "$dir" && apt-get "${opts[@]}" download "$@" >&2) && return 0
	apt_update
	(cd "$dir" && apt-get "${opts[@]}" download "$@" >&2) || die "cannot download $*"
}

# Extract the packages in DIR into ROOT. Only boot/ is kept from the image:
# its hundreds of MB of modules are never used.
extract_packages() {
	local dir=$1 root=$2 deb

	mkdir -p "$root"
	for deb in "$dir"/*.deb; do
		if [[ ${deb##*/} == linux-image-* ]]; then
			dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" ./boot
		else
			dpkg-deb -x "$deb" "$root"
		fi
	done
}

# The headers' Makefile includes the -common part by absolute path under
# /usr/src; point it at the sibling directory in the cache instead.
fix_headers_makefile() {
	# shellcheck disable=SC2016 # $(...) is make syntax
	sed -i 's|^include /usr/src/|include $(dir $(lastword $(MAKEFILE_LIST)))../|' "$1/Makefile"
}

# fetch_kernel RELEASE: download and extract the image and headers, once, and
# list in host-packages what building with them needs.
fetch_kernel() {
	local release=$1 dir
	local -a companions

	dir=$(kernel_dir "$release")
	[[ -e $dir/fetched ]] && return 0
	say "fetching kernel $release"
	mapfile -t companions < <(headers_companions "$release")
	((${#companions[@]} == 2)) || die "cannot find the parts of linux-headers-$release"
	rm -rf "$dir"
	mkdir -p "$dir/debs"
	download_packages "$dir/debs" "linux-image-$release" "linux-headers-$release" "${companions[@]}"
	extract_packages "$dir/debs" "$dir/root"
	[[ -f $(kernel_image "$release") ]] || die "no vmlinuz-$release in linux-image-$release"
	fix_headers_makefile "$(headers_dir "$release")"
	kernel_host_packages "$release" >"$dir/host-packages"
	rm -rf "$dir/debs"
	touch "$dir/fetched"
}

# prepare_kernel RELEASE: have the image and the build tree of RELEASE, and
# the host packages that build a module with them.
prepare_kernel() {
	local release=$1
	local -a packages

	# qemu/debug-kernel installed what its build tree needs.
	is_debug_release "$release" && return 0
	fetch_kernel "$release"
	mapfile -t packages <"$(kernel_dir "$release")/host-packages"
	need_packages "${packages[@]}"
}

## The debug kernel
#
# qemu/debug-kernel builds it out of tree (O=) from Debian's kernel source;
# the build tree is also the KDIR of the module. "built" holds what it was
# built from, and is there only once a build succeeded.

debug_kernel_dir=$cache_dir/debug-kernel
debug_kernel_build=$debug_kernel_dir/build

debug_kernel_image() {
	echo "$debug_kernel_build/arch/x86/boot/bzImage"
}

debug_kernel_release() {
	[[ -e $debug_kernel_dir/built ]] || die 'the debug kernel is not built: make debug-kernel'
	cat "$debug_kernel_build/include/config/kernel.release"
}

is_debug_release() {
	[[ -e $debug_kernel_dir/built && $1 == "$(debug_kernel_release)" ]]
}

## Module sources

# copy_module_sources DIR: mirror module/, include/ and dkms.conf (the
# version) into DIR, a build tree for one kernel's headers, and list what
# changed. Build products are neither copied (an in-tree build is for
# another kernel) nor deleted (the next build is incremental).
copy_module_sources() {
	local build=$1 pattern
	local -a excludes=()

	for pattern in '*.o' '*.ko' '*.mod' '*.mod.c' '.*.cmd' '*.order' '*.symvers' '.tmp_versions'; do
		excludes+=(--exclude="$pattern")
	done
	mkdir -p "$build"
	rsync -a --omit-dir-times --delete --itemize-changes "${excludes[@]}" "$top/module" "$top/include" "$top/dkms.conf" "$build/"
}
