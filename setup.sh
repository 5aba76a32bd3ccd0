#!/bin/sh
# setup.sh: install what ptview needs on Debian 12 (as root), build it, and
# then either show it working or run the test suite.
#
#   sh setup.sh demo   install, build, `ptview dump` a process it starts
#   sh setup.sh test   install, build (plain and ASan+UBSan), make check
#
# The last line of `test` is "N passed, N failed, N skipped".
set -eu
mode=${1:-demo}
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

DEPS="build-essential autoconf automake libtool pkg-config clang libclang-rt-14-dev \
libelf-dev libdw-dev libbpf-dev libkdumpfile-dev libncurses-dev libjansson-dev \
zstd jq mandoc procps"

install_deps() {
	missing=""
	for p in $DEPS; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "setup.sh: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# build DIR CONFIGURE-ARGS...: an out-of-tree build in DIR.
build() {
	dir=$1; shift
	mkdir -p "$dir"
	# configure's own clean-up runs "rm -f core", which complains about
	# our core/ directory: keep that one line out of the log.
	(cd "$dir" && { "$top/configure" -q "$@" 2>configure.err; rc=$?
		grep -v "cannot remove 'core'" configure.err >&2; [ $rc = 0 ]; } &&
		make -s -j"$jobs")
}

install_deps
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] ||
	autoreconf -fi >/dev/null 2>&1 || autoreconf -fi

case $mode in
demo)
	build build --enable-werror
	# The main job: a live dump of a process this script starts.
	sh "$top/tests/helpers/demo-process.sh" "$top/build/ptview"
	;;
test)
	build build --enable-werror
	build build-asan --enable-werror --enable-sanitizers CC=clang
	status=0
	(cd build && make -s -j"$jobs" check) || status=1
	# The sanitizer build runs the same suite: ASan/UBSan abort on any error.
	(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		make -s -j"$jobs" check PTV_TEST_SUBSET=sanitizer) || status=1
	for d in build build-asan; do
		[ "$status" = 0 ] || cat "$d"/test-suite.log 2>/dev/null | tail -n 80 >&2
	done
	# The parsers of untrusted files, fuzzed briefly (tests/fuzz/README).
	build build-fuzz --enable-sanitizers --enable-fuzzers CC=clang
	sh tests/fuzz/run-all.sh build-fuzz "${PTV_FUZZ_SECONDS:-15}" || status=1
	sh tests/summary.sh build/test-suite.log build-asan/test-suite.log
	exit $status
	;;
*)
	echo "usage: sh setup.sh demo|test" >&2
	exit 2
	;;
esac
