# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The QEMU guest of qemu/run: the module built for a kernel, the initramfs
# (busybox, qemu/init, the module, userspace/, the selftests with kselftest's
# runner), the boot, and the verdict on the run: splats in the kernel log,
# taint, kmemleak, what qemu/init reported.

# shellcheck source=debian.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian.sh"

# An allocation failure report of warn_alloc(), with its stack dump.
alloc_failure_regex='page allocation failure: |vmalloc error: '

# Kernel messages that make a run fail (extended regular expression). Of
# kmemleak, its reports, not its other messages ("initialized", ...). "bad
# pud" and its kin: a page-table entry the core did not expect, which it
# clears.
splat_regex=$alloc_failure_regex'|: bad p(gd|4d|ud|md|te) |BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|soft lockup|hung task|blocked for more than|Bad page|general protection fault|Kernel panic|kmemleak: .*suspected memory leak|unreferenced object'

# Taint bits a passing run may have: O (out-of-tree module) and E (unsigned).
allowed_taint=$(((1 << 12) | (1 << 13)))

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
	say "waiting for another run of $1"
	flock "$fd"
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
	say "building mmapdemo.ko for $release"
	make -s -j"$(nproc)" -C "$build/module" KDIR="$kdir" >&2 ||
		die "cannot build the module for $release"
	[[ -f $build/module/mmapdemo.ko ]] || die "the module build made no mmapdemo.ko"
	touch "$build/built"
}

# install_userspace ROOT: install the (static) tool into ROOT/usr/bin, and
# the selftests and the tool's tests as kselftest installs its collections,
# into ROOT/usr/lib/kselftest: run_kselftest.sh there, the programs in
# mmapdemo/ and mmapdemo-cli/; run-tests on PATH.
install_userspace() {
	local root=$1 ksft=/usr/lib/kselftest

	make -s -C "$top/userspace" install DESTDIR="$root" PREFIX=/usr >&2 ||
		die 'cannot build and install userspace/'
	make -s -C "$top/selftests" install INSTALL_PATH="$root$ksft" >&2 ||
		die 'cannot build and install selftests/'
	make -s -C "$top/userspace/tests" install INSTALL_PATH="$root$ksft" >&2 ||
		die 'cannot build and install userspace/tests/'
	ln -sf "$ksft/mmapdemo/run-tests" "$root/usr/bin/run-tests"
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
# init, module and userspace, and coreutils' timeout: kselftest's runner
# calls /usr/bin/timeout --foreground, which busybox's timeout does not know
# (its links leave a file that is there alone).
make_initramfs_root() {
	local root=$1 release=$2
	local extra=$root/lib/modules/$release/extra

	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc/mmapdemo} "$extra"
	cp /bin/busybox "$root/bin/busybox"
	cp "$top/qemu/init" "$root/init"
	cp "$(build_dir "$release")/module/mmapdemo.ko" "$extra/"
	install_userspace "$root"
	add_guest_programs "$root" timeout
}

# write_guest_config ROOT LOAD INSMOD_ARGS SEND_OUT: settings qemu/init sources.
write_guest_config() {
	{
		echo "MMAPDEMO_LOAD=$2"
		echo "MMAPDEMO_INSMOD_ARGS=$(shell_quote "$3")"
		echo "MMAPDEMO_SEND_OUT=$4"
	} >"$1/etc/mmapdemo/config"
}

# write_guest_command ROOT WORD...: the command qemu/init runs with sh.
write_guest_command() {
	local root=$1
	shift
	shell_quote "$@" >"$root/etc/mmapdemo/cmd"
}

# guest_program PROGRAM: the path of a host program for --add-program, or
# die naming it. A script is refused: copying it would not bring its
# interpreter, nor what that needs.
guest_program() {
	local program=$1 path line interp

	if ! path=$(type -P -- "$program"); then
		[[ $program == */* ]] && die "--add-program $program: no such executable file"
		die "--add-program $program: no such program on PATH"
	fi
	if [[ $(head -c 2 -- "$path" | tr -d '\0') == '#!' ]]; then
		read -r line <"$path"
		read -ra interp <<<"${line#\#!}"
		# "#!/usr/bin/env [-S] NAME": the interpreter is NAME.
		[[ ${interp[0]##*/} != env ]] || interp=("${interp[@]:1}")
		while [[ ${interp[0]:-} == -* ]]; do
			interp=("${interp[@]:1}")
		done
		die "--add-program $program: $path is a script (${line}); add its interpreter with" \
			"--add-program and the script with --add, e.g." \
			"--add-program ${interp[0]:-INTERPRETER} --add $path -- ${interp[0]:-INTERPRETER} ${path##*/}"
	fi
	echo "$path"
}

# add_guest_programs ROOT PROGRAM...: copy host programs, and the shared
# libraries they load, to the same paths in the guest.
add_guest_programs() {
	local root=$1 program file
	shift

	for program; do
		program=$(guest_program "$program")
		for file in "$program" $(ldd "$program" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
			cp -L --parents "$file" "$root"
		done
	done
}

# guest_dir_dest SRC[:DEST]: where --add-dir puts SRC in the guest: DEST,
# SRC without it; a relative one from /root, the command's working directory.
guest_dir_dest() {
	local dest=$1

	[[ $1 != *:* ]] || dest=${1#*:}
	[[ $dest == /* ]] || dest=/root/$dest
	echo "$dest"
}

# add_guest_dirs ROOT SRC[:DEST]...: copy host directories into the guest.
# Symbolic links are followed: what they point to on the host is not there.
add_guest_dirs() {
	local root=$1 dir dest
	shift

	for dir; do
		dest=$(guest_dir_dest "$dir")
		mkdir -p "$root$dest"
		cp -RLp -- "${dir%%:*}/." "$root$dest/" || die "--add-dir $dir: cannot copy it"
	done
}

pack_initramfs() {
	local root=$1 out=$2

	(cd "$root" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$out"
}

## Boot

# kvm_works IMAGE: a kernel starts under KVM. Some nested hosts have a
# /dev/kvm with which QEMU cannot set a vCPU's MSRs, or on which the guest
# hangs once it leaves real mode; without a root, the kernel panics and QEMU
# exits.
kvm_works() {
	[[ -r /dev/kvm && -w /dev/kvm ]] || return 1
	[[ $(timeout 10 qemu-system-x86_64 -accel kvm -cpu host -m 256M -nodefaults \
		-display none -no-reboot -serial stdio -kernel "$1" \
		-append 'console=ttyS0 panic=-1' 2>/dev/null) == *'Linux version'* ]]
}

# accel_args IMAGE: KVM where it boots IMAGE, else TCG. The probe costs up
# to 10 s: its answer is kept until the host reboots.
accel_args() {
	local saved=$cache_dir/accel boot args

	boot=$(cat /proc/sys/kernel/random/boot_id)
	if [[ -r $saved && $(head -n 1 "$saved") == "$boot" ]]; then
		tail -n 1 "$saved"
		return
	fi
	if kvm_works "$1"; then
		args='-accel kvm -cpu host'
	else
		args='-accel tcg -cpu max'
	fi
	mkdir -p "$cache_dir"
	printf '%s\n%s\n' "$boot" "$args" >"$saved"
	echo "$args"
}

# boot_guest BUILD INTERACTIVE TIMEOUT APPEND MEMORY: boot the kernel and
# initramfs of BUILD with MEMORY of RAM. ttyS0 is the console (stdio, logged
# to console.log), ttyS1 the control channel (control.log), ttyS2 the archive
# of the guest's $MMAPDEMO_OUT (out.tar). Returns QEMU's status, or
# timeout's 124.
# The console shows warnings and worse; the rest (the "FAULT_INJECTION"
# notices the verdict needs among them) reaches the host in the dmesg dump,
# so the log buffer must hold a whole run. noirqdebug: on PREEMPT_RT under
# TCG, the threaded 8250 handler of the control port finds most of the
# interrupts of a long dmesg dump already served, and the spurious IRQ
# detector would report "irq 3: nobody cared" and disable the port.
boot_guest() {
	local build=$1 interactive=$2 timeout=$3 append=$4 memory=$5 release image signal=on
	local cmdline="console=ttyS0 loglevel=5 log_buf_len=8M noirqdebug panic=-1${append:+ $append}"
	local -a accel

	release=${build##*/}
	image=$(kernel_image "$release")
	read -ra accel <<<"$(accel_args "$image")"
	((interactive)) && signal=off
	: >"$build/console.log"
	: >"$build/control.log"
	: >"$build/out.tar"
	timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
		-m "$memory" -smp 2 -no-reboot -nodefaults -display none "${accel[@]}" \
		-kernel "$image" -initrd "$build/initramfs.cpio.gz" \
		-append "$cmdline" \
		-chardev "stdio,id=console,mux=on,signal=$signal,logfile=$build/console.log" \
		-serial chardev:console -mon chardev=console \
		-chardev "file,id=control,path=$build/control.log" -serial chardev:control \
		-chardev "file,id=out,path=$build/out.tar" -serial chardev:out \
		2>"$build/qemu.stderr"
}

# died_booting BUILD: whether the last boot of BUILD ended before the guest's
# init reported (nothing of mmapdemo had run), with a kernel crash. Under
# TCG, a vCPU may now and then run code that another vCPU has just patched
# (static keys: "Oops: int3") and crash the boot; that is QEMU's, not ours.
died_booting() {
	! tr -d '\r' <"$1/control.log" | grep -qx booted &&
		grep -Eq 'Oops|Kernel panic' "$1/console.log"
}

## Verdict
#
# Each reason a run fails is one line "FAIL: reason", which qemu/check quotes.

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
	say "last console lines:"
	tail -n 20 "$1/console.log" | tr -d '\r' >&2
}

# report_splats BUILD: print the splats of the run's kernel log, if any.
report_splats() {
	local splats

	splats=$(kernel_log "$1" | print_splats) || return 1
	say "kernel splat (logs in $1):"
	printf '%s\n' "$splats" >&2
	say "FAIL: kernel splat: $(grep -Em1 "$splat_regex" <<<"$splats" | sed 's/^\[[^]]*\] *//')"
}

# judge_unfinished_run BUILD INTERACTIVE SPLAT: the guest did not report to
# the end. That is fine only after quitting an interactive shell with Ctrl-A x.
judge_unfinished_run() {
	local build=$1 interactive=$2 splat=$3

	if ((interactive && !splat)); then
		say 'QEMU ended before the guest powered off'
		return 0
	fi
	((splat)) || print_last_console_lines "$build"
	cat "$build/qemu.stderr" >&2
	say 'FAIL: the guest stopped before reporting (kernel crash or QEMU error)'
	return 1
}

# judge_guest_report BUILD INTERACTIVE SPLAT: check what qemu/init reported.
judge_guest_report() {
	local control=$1/control.log interactive=$2 splat=$3 rc=$3 status taint

	if [[ $(control_value "$control" insmod) == failed ]]; then
		say 'FAIL: cannot load the module (insmod failed)'
		return 1
	fi
	taint=$(control_value "$control" tainted)
	# A splat taints (W, D, ...): report the taint only when it is news.
	if ((!splat && (taint & ~allowed_taint))); then
		say "FAIL: kernel tainted $taint ($(taint_letters "$taint"))"
		rc=1
	fi
	if [[ $(control_value "$control" rmmod) == failed ]]; then
		say 'FAIL: cannot unload the module (rmmod failed)'
		rc=1
	fi
	status=$(control_value "$control" status)
	if ((!interactive && status)); then
		say "FAIL: command exited with status $status"
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
		say "FAIL: timed out after $timeout s"
		return 124
	fi
	if [[ $(control_value "$build/control.log" end) == ok ]]; then
		judge_guest_report "$build" "$interactive" "$splat"
	else
		judge_unfinished_run "$build" "$interactive" "$splat"
	fi
}

## Files out of the guest

# fetch_guest_files BUILD DIR: unpack into DIR the archive of $MMAPDEMO_OUT
# that the guest sent after the command, if it came whole ("out SIZE MD5").
fetch_guest_files() {
	local build=$1 dir=$2 sent got

	sent=$(control_value "$build/control.log" out)
	case $sent in
	'') say "FAIL: no files came back: the guest did not send \$MMAPDEMO_OUT" ;;
	failed) say "FAIL: no files came back: the guest could not archive \$MMAPDEMO_OUT" ;;
	*)
		got="$(stat -c %s "$build/out.tar") $(md5sum <"$build/out.tar" | cut -d ' ' -f 1)"
		if [[ $got != "$sent" ]]; then
			say "FAIL: the files came back damaged (size and MD5 sent: $sent, received: $got)"
		elif mkdir -p -- "$dir" && tar -x -f "$build/out.tar" -C "$dir" --no-same-owner; then
			return 0
		else
			say "FAIL: cannot unpack the files into $dir"
		fi
		;;
	esac
	return 1
}
