# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Library of the QEMU harness, sourced by qemu/run and qemu/check: logging,
# Debian packages, kernel fetching, module build, initramfs, boot and verdict.
#
# Everything downloaded or built lives in the git-ignored $top/.cache:
#   kernels/<release>/root/   image and headers extracted from Debian packages
#   debug-kernel/build/       the debug kernel qemu/debug-kernel builds
#   build/<release>/          module build tree, initramfs and guest logs
#   check/<kernel>.log        output of each qemu/check run

# The functions below die in command substitutions: make that stop the caller.
shopt -s inherit_errexit

qemu_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$qemu_dir")
cache_dir=$top/.cache

# An allocation failure report of warn_alloc(), with its stack dump.
alloc_failure_regex='page allocation failure: |vmalloc error: '

# Kernel messages that make a run fail (extended regular expression). Of
# kmemleak, its reports, not its other messages ("initialized", ...).
splat_regex=$alloc_failure_regex'|BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|soft lockup|hung task|blocked for more than|Bad page|general protection fault|Kernel panic|kmemleak: .*suspected memory leak|unreferenced object'

# Taint bits a passing run may have: O (out-of-tree module) and E (unsigned).
allowed_taint=$(((1 << 12) | (1 << 13)))

## Logging

info() {
	printf 'qemu: %s\n' "$*" >&2
}

die() {
	printf 'qemu: error: %s\n' "$*" >&2
	exit 1
}

# The one-line reason of a failed run; qemu/check names failures after it.
report_failure() {
	printf 'qemu: FAIL: %s\n' "$*" >&2
}

## Debian packages

as_root() {
	if ((EUID == 0)); then
		"$@"
	else
		sudo "$@"
	fi
}

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
	info 'updating the package lists'
	apt_get update >&2
}

# need_packages PKG...: install the packages that are missing.
need_packages() {
	local pkg missing=()

	for pkg; do
		package_installed "$pkg" || missing+=("$pkg")
	done
	((${#missing[@]})) || return 0
	info "installing ${missing[*]}"
	apt_lists_present || apt_update
	apt_get install -y --no-install-recommends "${missing[@]}" >&2 && return 0
	apt_update
	apt_get install -y --no-install-recommends "${missing[@]}" >&2 ||
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

	package_depends "linux-headers-$1" '^(gcc-[0-9]+|linux-compiler-gcc-.*)$'
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
	info "fetching kernel $release"
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

## Build

build_dir() {
	echo "$cache_dir/build/$1"
}

# lock_build_dir RELEASE: hold a lock on the build tree of RELEASE until exit,
# so that two runs of one kernel do not share it (nor fetch it twice).
lock_build_dir() {
	local dir fd

	dir=$(build_dir "$1")
	mkdir -p "$dir"
	exec {fd}>"$dir/lock"
	flock -n "$fd" && return 0
	info "waiting for another run of $1"
	flock "$fd"
}

# Mirror module/ and include/ into the build tree and list what changed.
# Build products are neither copied (an in-tree build is for another kernel)
# nor deleted (the next build is incremental).
copy_module_sources() {
	local build=$1 pattern
	local -a excludes=()

	for pattern in '*.o' '*.ko' '*.mod' '*.mod.c' '.*.cmd' '*.order' '*.symvers' '.tmp_versions'; do
		excludes+=(--exclude="$pattern")
	done
	mkdir -p "$build"
	rsync -a --omit-dir-times --delete --itemize-changes "${excludes[@]}" "$top/module" "$top/include" "$build/"
}

# build_module RELEASE: build mmapdemo.ko against the cached headers, unless
# neither the sources nor the kernel (a rebuilt debug kernel) changed since
# the last successful build.
build_module() {
	local release=$1 build changes kdir

	build=$(build_dir "$release")
	kdir=$(headers_dir "$release")
	[[ -f $top/module/Makefile ]] || die "no module/Makefile"
	changes=$(copy_module_sources "$build")
	[[ -z $changes && -e $build/built && ! $kdir/Module.symvers -nt $build/built ]] && return 0
	rm -f "$build/built"
	info "building mmapdemo.ko for $release"
	make -s -j"$(nproc)" -C "$build/module" KDIR="$kdir" >&2 ||
		die "cannot build the module for $release"
	[[ -f $build/module/mmapdemo.ko ]] || die "the module build made no mmapdemo.ko"
	touch "$build/built"
}

# install_userspace ROOT: install the (static) tool into ROOT/usr/bin and the
# selftests into ROOT/usr/lib/mmapdemo/selftests, with run-tests on PATH.
install_userspace() {
	local root=$1 tests=/usr/lib/mmapdemo/selftests

	make -s -C "$top/userspace" install DESTDIR="$root" PREFIX=/usr >&2 ||
		die 'cannot build and install userspace/'
	make -s -C "$top/selftests" install INSTALL_PATH="$root$tests" >&2 ||
		die 'cannot build and install selftests/'
	ln -sf "$tests/run-tests" "$root/usr/bin/run-tests"
}

## Initramfs

# Quote each argument for a POSIX shell and join them with spaces.
shell_quote() {
	local arg quoted=()

	for arg; do
		quoted+=("'${arg//\'/\'\\\'\'}'")
	done
	echo "${quoted[*]}"
}

# make_initramfs_root ROOT RELEASE: busybox (qemu/init makes its links),
# init, module and userspace.
make_initramfs_root() {
	local root=$1 release=$2
	local extra=$root/lib/modules/$release/extra

	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc/mmapdemo} "$extra"
	cp /bin/busybox "$root/bin/busybox"
	cp "$qemu_dir/init" "$root/init"
	cp "$(build_dir "$release")/module/mmapdemo.ko" "$extra/"
	install_userspace "$root"
}

# write_guest_config ROOT LOAD INSMOD_ARGS: settings qemu/init sources.
write_guest_config() {
	{
		echo "MMAPDEMO_LOAD=$2"
		echo "MMAPDEMO_INSMOD_ARGS=$(shell_quote "$3")"
	} >"$1/etc/mmapdemo/config"
}

# write_guest_command ROOT WORD...: the command qemu/init runs with sh.
write_guest_command() {
	local root=$1
	shift
	shell_quote "$@" >"$root/etc/mmapdemo/cmd"
}

add_guest_files() {
	local root=$1
	shift
	(($#)) || return 0
	cp -- "$@" "$root/root/"
}

# add_guest_programs ROOT PROGRAM...: copy host programs, and the shared
# libraries they load, to the same paths in the guest.
add_guest_programs() {
	local root=$1 prog file
	shift

	for prog; do
		prog=$(command -v "$prog") || die "--add-program $prog: no such program"
		for file in "$prog" $(ldd "$prog" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
			cp -L --parents "$file" "$root"
		done
	done
}

pack_initramfs() {
	local root=$1 out=$2

	(cd "$root" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$out"
}

## Boot

# KVM works when QEMU can start a paused vCPU with it: some nested hosts
# have a /dev/kvm on which setting the vCPU's MSRs fails.
kvm_works() {
	[[ -r /dev/kvm && -w /dev/kvm ]] || return 1
	(echo quit | timeout 10 qemu-system-x86_64 -accel kvm -cpu host -nodefaults \
		-display none -S -monitor stdio) >/dev/null 2>&1
}

accel_args() {
	if kvm_works; then
		echo -accel kvm -cpu host
	else
		echo -accel tcg -cpu max
	fi
}

# boot_guest BUILD INTERACTIVE TIMEOUT APPEND: boot the kernel and initramfs of
# BUILD. ttyS0 is the console (stdio, logged to console.log), ttyS1 the
# control channel (control.log). Returns QEMU's status, or timeout's 124.
# The console shows warnings and worse; the rest (the "FAULT_INJECTION"
# notices the verdict needs among them) reaches the host in the dmesg dump,
# so the log buffer must hold a whole run. noirqdebug: on PREEMPT_RT under
# TCG, the threaded 8250 handler of the control port finds most of the
# interrupts of a long dmesg dump already served, and the spurious IRQ
# detector would report "irq 3: nobody cared" and disable the port.
boot_guest() {
	local build=$1 interactive=$2 timeout=$3 append=$4 release signal=on
	local cmdline="console=ttyS0 loglevel=5 log_buf_len=8M noirqdebug panic=-1${append:+ $append}"
	local -a accel

	release=${build##*/}
	read -ra accel <<<"$(accel_args)"
	((interactive)) && signal=off
	: >"$build/console.log"
	: >"$build/control.log"
	timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
		-m 2G -smp 2 -no-reboot -nodefaults -display none "${accel[@]}" \
		-kernel "$(kernel_image "$release")" -initrd "$build/initramfs.cpio.gz" \
		-append "$cmdline" \
		-chardev "stdio,id=console,mux=on,signal=$signal,logfile=$build/console.log" \
		-serial chardev:console -mon chardev=console \
		-chardev "file,id=control,path=$build/control.log" -serial chardev:control \
		2>"$build/qemu.stderr"
}

## Verdict

# control_value FILE KEY: the value of the first "KEY value" line qemu/init
# wrote. awk reads to the end: leaving early would kill tr with SIGPIPE.
control_value() {
	tr -d '\r' <"$1" | awk -v key="$2" '$1 == key && !done { sub(/^[^ ]* ?/, ""); print; done = 1 }'
}

# control_section FILE NAME: the lines between "NAME-begin" and "NAME-end".
control_section() {
	tr -d '\r' <"$1" | sed -n "/^$2-begin\$/,/^$2-end\$/p" | sed '1d;$d'
}

# The kernel log of a run: the guest's dmesg dump, then the console lines that
# look like printk lines and are not in the dump (e.g. a crash before it),
# then kmemleak's report.
kernel_log() {
	local build=$1

	{
		control_section "$build/control.log" dmesg
		tr -d '\r' <"$build/console.log" | grep -E '^\[ *[0-9]+\.[0-9]+\]' || true
	} | awk '!seen[$0]++'
	control_section "$build/control.log" kmemleak
}


# Print the splats in a kernel log on stdin: each matching line and what
# follows it up to the end of its trace. Fails when there is none.
#
# An allocation failure report is what the kernel must print when fault
# injection (the debug kernel's failslab and fail_page_alloc) has just failed
# an allocation: it is forgiven, up to the end of its stack dump, when a
# "FAULT_INJECTION: forcing a failure" line came after the previous one.
print_splats() {
	awk -v re="$splat_regex" -v alloc_re="$alloc_failure_regex" '
		/FAULT_INJECTION: forcing a failure/ { injected = 1 }
		injected && $0 ~ alloc_re { injected = 0; forgiven = 1 }
		forgiven { if (/<\/TASK>/) forgiven = 0; next }
		$0 ~ re { found = 1; left = 40 }
		left > 0 { print; left--; if (/---\[ end trace/) left = 0 }
		END { exit !found }'
}

taint_letters() {
	local letters=PFSRMBUDAWCIOELKXTNJ taint=$1 bit out=

	for ((bit = 0; bit < ${#letters}; bit++)); do
		((taint & (1 << bit))) && out+=${letters:bit:1}
	done
	echo "$out"
}

print_last_console_lines() {
	[[ -s $1/console.log ]] || return 0
	info "last console lines:"
	tail -n 20 "$1/console.log" | tr -d '\r' >&2
}

# report_splats BUILD: print the splats of the run's kernel log, if any.
report_splats() {
	local splats

	splats=$(kernel_log "$1" | print_splats) || return 1
	info "kernel splat (logs in $1):"
	printf '%s\n' "$splats" >&2
	report_failure "kernel splat: $(grep -Em1 "$splat_regex" <<<"$splats" | sed 's/^\[[^]]*\] *//')"
}

# judge_unfinished_run BUILD INTERACTIVE SPLAT: the guest did not report to
# the end. That is fine only after quitting an interactive shell with Ctrl-A x.
judge_unfinished_run() {
	local build=$1 interactive=$2 splat=$3

	if ((interactive && !splat)); then
		info 'QEMU ended before the guest powered off'
		return 0
	fi
	((splat)) || print_last_console_lines "$build"
	cat "$build/qemu.stderr" >&2
	report_failure 'the guest stopped before reporting (kernel crash or QEMU error)'
	return 1
}

# judge_guest_report BUILD INTERACTIVE SPLAT: check what qemu/init reported.
judge_guest_report() {
	local control=$1/control.log interactive=$2 splat=$3 rc=$3 status taint

	if [[ $(control_value "$control" insmod) == failed ]]; then
		report_failure 'cannot load the module (insmod failed)'
		return 1
	fi
	taint=$(control_value "$control" tainted)
	# A splat taints (W, D, ...): report the taint only when it is news.
	if ((!splat && (taint & ~allowed_taint))); then
		report_failure "kernel tainted $taint ($(taint_letters "$taint"))"
		rc=1
	fi
	if [[ $(control_value "$control" rmmod) == failed ]]; then
		report_failure 'cannot unload the module (rmmod failed)'
		rc=1
	fi
	status=$(control_value "$control" status)
	if ((!interactive && status)); then
		report_failure "command exited with status $status"
		rc=$status
	fi
	return "$rc"
}

# judge_run BUILD INTERACTIVE QEMU_STATUS TIMEOUT: print why the run failed, if
# it did, and return the exit status of qemu/run: the command's status when it
# failed, 124 on timeout, 1 for any other failure.
judge_run() {
	local build=$1 interactive=$2 qemu_status=$3 timeout=$4 splat=0

	report_splats "$build" && splat=1
	if ((qemu_status == 124)); then
		print_last_console_lines "$build"
		report_failure "timed out after $timeout s"
		return 124
	fi
	if [[ $(control_value "$build/control.log" end) == ok ]]; then
		judge_guest_report "$build" "$interactive" "$splat"
	else
		judge_unfinished_run "$build" "$interactive" "$splat"
	fi
}
