#!/usr/bin/env bash
# tools/dev.sh — install what is missing (Debian 12), build, then run
#   demo   the built-in demo on a fresh graph directory
#   test   the whole test suite, plain and under ASan+UBSan, after a
#          clang build of everything (warnings are errors in both)
#   bench  the benchmarks in --quick mode, after installing their peers
#          (SQLite, Node.js and Kuzu); GROVE_BENCH_BUILD names the build
#          directory (default build)
# Used by the README's two commands and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-demo}
jobs=${JOBS:-2}

# Build tools, the libraries of DESIGN.md §10, and python3 for test summaries.
packages=(gcc libc6-dev meson ninja-build pkg-config python3
          liblmdb-dev libmsgpack-dev liburing-dev libcriterion-dev
          libxxhash-dev libjansson-dev libpcre2-dev libstemmer-dev)

# The second compiler (test mode only): everything must also build, with
# no warning, under clang (and -Dfuzz needs it).
test_packages=(clang)

# The benchmarks' peers (bench mode only): SQLite's library, and Node.js
# with npm for Kuzu, which bench/peers/setup.sh installs from npm.
bench_packages=(libsqlite3-dev)

install_missing() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "== installing: ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build DIR [meson options...]
build() {
	local dir=$1; shift
	local log
	log=$(mktemp)
	if [ ! -f "$dir/build.ninja" ] && ! meson setup "$dir" "$@" >"$log" 2>&1; then
		cat "$log"; rm -f "$log"; return 1
	fi
	if ! ninja -C "$dir" -j"$jobs" >"$log" 2>&1; then
		grep -v '^\[' "$log" | tail -40; rm -f "$log"; return 1
	fi
	rm -f "$log"
}

# Print "N passed, N failed, N skipped" over every test log given.
summary() {
	python3 - "$@" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)["result"]
        key = "passed" if r == "OK" else "skipped" if r == "SKIP" else "failed"
        counts[key] += 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
sys.exit(1 if counts["failed"] else 0)
PY
}

install_missing "${packages[@]}"

case "$mode" in
demo)
	build build
	dir=${GROVE_DEMO_DIR:-$(mktemp -d)/demo.grove}
	./build/tools/grove demo "$dir"
	;;
test)
	install_missing "${test_packages[@]}"
	echo "== build (debugoptimized)"
	build build
	echo "== build (address,undefined sanitizers)"
	build build-sanitize -Db_sanitize=address,undefined -Dbuildtype=debug
	status=0
	echo "== build (clang)"
	# Counted as one test in the summary: {"result": "OK"} or "FAIL".
	clang_result=OK
	CC=clang build build-clang || { echo "== the clang build failed"; clang_result=FAIL; status=1; }
	mkdir -p build-clang
	echo "{\"name\": \"clang build\", \"result\": \"$clang_result\"}" >build-clang/build-result.json
	echo "== tests"
	meson test -C build --num-processes "$jobs" --print-errorlogs || status=1
	echo "== tests under ASan+UBSan"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-sanitize --num-processes "$jobs" --print-errorlogs || status=1
	summary build/meson-logs/testlog.json build-sanitize/meson-logs/testlog.json \
		build-clang/build-result.json || status=1
	exit $status
	;;
bench)
	install_missing "${bench_packages[@]}"
	# Node.js may come from elsewhere than Debian (NodeSource's nodejs
	# carries its own npm): install Debian's only when a command is missing.
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		install_missing nodejs npm
	fi
	bash bench/peers/setup.sh || echo "== bench/peers/setup.sh failed: load_bench will run without Kuzu"
	dir=${GROVE_BENCH_BUILD:-build}
	build "$dir"
	# A build directory configured before libsqlite3-dev was there found no
	# sqlite3: configure it again so that load_bench links it.
	if grep -q "sqlite3 found: NO" "$dir/meson-logs/meson-log.txt" 2>/dev/null; then
		meson setup --reconfigure "$dir" >/dev/null
		ninja -C "$dir" -j"$jobs" >/dev/null
	fi
	for b in "$dir"/bench/*; do
		[ -x "$b" ] && [ -f "$b" ] && "$b" --quick
	done
	;;
*)
	echo "usage: tools/dev.sh demo|test|bench" >&2
	exit 2
	;;
esac
