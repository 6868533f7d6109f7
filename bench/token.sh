#!/usr/bin/env bash
# bench/token.sh measures the hot path of `webex token`: a logged-in profile with a valid
# stored access token, the whole process timed from exec to exit.
#
# Targets: the median run takes at most 3x the median run of a minimal Go program that prints a
# string (bench/minimal, built in the same run), and the peak RSS stays under 15 MiB, with the
# token file store and with the OS keyring (Secret Service: gnome-keyring in a private D-Bus
# session).
#
# What it does:
#   1. builds webex (./cmd/webex) and bench/minimal into a temporary folder;
#   2. logs in without network: runs `webex emulator --approve auto` on 127.0.0.1, then
#      `webex login --flow device` against it into a temporary WEBEX_CONFIG_DIR, once with
#      --storage file (profile bench-file) and, when a Secret Service is reachable, once with
#      --storage keyring (profile bench-keyring); stops the emulator by its PID;
#   3. times RUNS runs (after WARMUP) of `webex token` and of the minimal program with hyperfine
#      (bench/timeit when hyperfine is not installed), and the peak RSS of RSS_RUNS runs of each
#      with /usr/bin/time -f %M (bench/timeit's getrusage when that is missing);
#   4. prints a table with PASS/FAIL against the targets.
#
# It is a measurement: it exits 0 whatever the numbers, and non-zero only when something broke
# (a build, the emulator, a login, a run of `webex token`).
#
# Keyring: when DBUS_SESSION_BUS_ADDRESS is unset, the script re-executes itself under
# dbus-run-session and starts gnome-keyring-daemon there with a fresh XDG_DATA_HOME, unlocked
# with a throw-away password (an empty one makes gnome-keyring prompt, which fails headless).
# When a session bus is already set, its Secret Service is used and the bench-keyring profile
# is logged out again at the end. Without dbus-run-session or gnome-keyring-daemon (Debian
# packages dbus and gnome-keyring) the keyring row says "skipped".
#
# Environment knobs: RUNS (200), WARMUP (20), RSS_RUNS (10), BUILD (release: flags of
# .goreleaser.yaml; dev: plain `go build`), KEEP=1 keeps the temporary folder,
# INITTRACE=1 also prints the ten most expensive package initialisers of `webex token`
# (GODEBUG=inittrace=1).
#
# Usage: bash bench/token.sh
set -euo pipefail

RUNS=${RUNS:-200}
WARMUP=${WARMUP:-20}
RSS_RUNS=${RSS_RUNS:-10}
TARGET_RATIO=3
TARGET_RSS_MIB=15

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
self="$repo/bench/token.sh"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# --- a private D-Bus session for the keyring --------------------------------------------------
keyring_note=""
if [[ -z "${DBUS_SESSION_BUS_ADDRESS:-}" && -z "${WEBEX_BENCH_PRIVATE_BUS:-}" ]]; then
	if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
		log "no session bus: re-running under dbus-run-session with a private gnome-keyring"
		WEBEX_BENCH_PRIVATE_BUS=1 exec dbus-run-session -- bash "$self" "$@"
	fi
	missing=()
	command -v dbus-run-session >/dev/null || missing+=("dbus-run-session (package dbus)")
	command -v gnome-keyring-daemon >/dev/null || missing+=("gnome-keyring-daemon (package gnome-keyring)")
	keyring_note="skipped: no session bus and no ${missing[*]}"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/webex-bench.XXXXXX")
emu_pid=""
cleanup() {
	if [[ -n "$emu_pid" ]]; then
		kill "$emu_pid" 2>/dev/null || true
		wait "$emu_pid" 2>/dev/null || true
	fi
	# Log the keyring profile out on either bus: that also drops its access token from the
	# kernel keyring cache, which would otherwise linger for its 10 minutes.
	if [[ -x "$work/webex" ]]; then
		WEBEX_CONFIG_DIR="${WEBEX_CONFIG_DIR:-$work/config}" "$work/webex" -p bench-keyring logout >/dev/null 2>&1 || true
	fi
	if [[ "${KEEP:-}" == 1 ]]; then
		log "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

if [[ -n "${WEBEX_BENCH_PRIVATE_BUS:-}" ]]; then
	export XDG_DATA_HOME="$work/xdg-data"
	mkdir -p "$XDG_DATA_HOME"
	# The daemon forks into the background and ends with the private bus.
	if ! printf webex-test | gnome-keyring-daemon --unlock --components=secrets >"$work/gnome-keyring.env" 2>&1; then
		keyring_note="skipped: gnome-keyring-daemon did not start ($(tr '\n' ' ' <"$work/gnome-keyring.env"))"
	fi
fi

# The variables below would change what `webex token` does.
unset WEBEX_ACCESS_TOKEN WEBEX_PROFILE WEBEX_DEBUG WEBEX_STORAGE WEBEX_ISSUER WEBEX_BASE_URL \
	WEBEX_CLIENT_ID WEBEX_CLIENT_SECRET
export WEBEX_CONFIG_DIR="$work/config"

# --- build ------------------------------------------------------------------------------------
# Both programs are built the same way: by default as .goreleaser.yaml builds releases (static,
# no cgo, stripped); BUILD=dev gives a plain `go build` (with cgo where a C compiler exists,
# which links webex dynamically: net needs libc then, and the loader costs about 1.5 ms).
case "${BUILD:-release}" in
release) build=(env CGO_ENABLED=0 go build -trimpath -ldflags=-s\ -w) ;;
dev) build=(go build) ;;
*) die "BUILD must be release or dev" ;;
esac
log "building webex and bench/minimal (${BUILD:-release} build, $(go version | cut -d' ' -f3-))"
(cd "$repo" && "${build[@]}" -o "$work/webex" ./cmd/webex) || die "go build ./cmd/webex failed"
(cd "$repo" && "${build[@]}" -o "$work/minimal" ./bench/minimal) || die "go build ./bench/minimal failed"
timer=hyperfine
command -v hyperfine >/dev/null || timer=timeit
rss_tool=/usr/bin/time
[[ -x /usr/bin/time ]] || rss_tool=timeit
if [[ "$timer" == timeit || "$rss_tool" == timeit ]]; then
	(cd "$repo" && go build -o "$work/timeit" ./bench/timeit) || die "go build ./bench/timeit failed"
fi

# --- log in against the emulator ----------------------------------------------------------------
"$work/webex" emulator --addr 127.0.0.1:0 --approve auto --device-interval 1s \
	>"$work/emulator.out" 2>"$work/emulator.err" &
emu_pid=$!
for _ in $(seq 100); do
	[[ $(wc -l <"$work/emulator.out") -ge 3 ]] && break
	kill -0 "$emu_pid" 2>/dev/null || die "the emulator exited: $(cat "$work/emulator.err")"
	sleep 0.1
done
[[ $(wc -l <"$work/emulator.out") -ge 3 ]] || die "the emulator did not print its URL and client within 10 s"
base_url=$(sed -n 1p "$work/emulator.out")
client_id=$(sed -n 2p "$work/emulator.out")
client_secret=$(sed -n 3p "$work/emulator.out")
[[ "$base_url" == http://127.0.0.1:* && "$client_id" == WEBEX_CLIENT_ID=* && "$client_secret" == WEBEX_CLIENT_SECRET=* ]] ||
	die "unexpected emulator output: $(head -3 "$work/emulator.out" | sed 's/SECRET=.*/SECRET=.../')"

login() { # profile storage
	env "$client_id" "$client_secret" timeout 60 "$work/webex" -p "$1" login \
		--flow device --storage "$2" --base-url "$base_url" </dev/null >"$work/login-$1.log" 2>&1
}

stores=(file)
login bench-file file || die "login with --storage file failed: $(cat "$work/login-bench-file.log")"
if [[ -z "$keyring_note" ]]; then
	if login bench-keyring keyring; then
		stores+=(keyring)
	else
		keyring_note="skipped: login with --storage keyring failed: $(tail -1 "$work/login-bench-keyring.log")"
	fi
fi
kill "$emu_pid"
wait "$emu_pid" 2>/dev/null || true
emu_pid=""

for s in "${stores[@]}"; do
	out=$("$work/webex" -p "bench-$s" token) || die "webex token (store $s) failed"
	[[ -n "$out" ]] || die "webex token (store $s) printed nothing"
done

# --- measure ----------------------------------------------------------------------------------
# median_of <json> <index>: the median of hyperfine's result <index>, in seconds.
median_of() {
	if command -v jq >/dev/null; then
		jq -r ".results[$2].median" "$1"
	else
		grep -o '"median": *[0-9.eE+-]*' "$1" | sed -n "$(($2 + 1))p" | sed 's/.*: *//'
	fi
}

# time_pair <store>: sets tok_s and min_s, the medians in seconds.
time_pair() {
	local s=$1
	if [[ "$timer" == hyperfine ]]; then
		hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" \
			--export-json "$work/hyperfine-$s.json" \
			"$work/webex -p bench-$s token" "$work/minimal" >/dev/null 2>"$work/hyperfine-$s.err" ||
			die "hyperfine failed for store $s: $(cat "$work/hyperfine-$s.err")"
		if grep -q outliers "$work/hyperfine-$s.err"; then
			log "hyperfine saw statistical outliers for store $s: other load on the machine; medians are robust to a few"
		fi
		tok_s=$(median_of "$work/hyperfine-$s.json" 0)
		min_s=$(median_of "$work/hyperfine-$s.json" 1)
	else
		tok_s=$("$work/timeit" -warmup "$WARMUP" -runs "$RUNS" "$work/webex" -p "bench-$s" token |
			sed 's/.*median_s=\([^ ]*\).*/\1/') || die "timing webex token failed for store $s"
		min_s=$("$work/timeit" -warmup "$WARMUP" -runs "$RUNS" "$work/minimal" |
			sed 's/.*median_s=\([^ ]*\).*/\1/') || die "timing the minimal program failed"
	fi
}

# peak_rss_kib <command...>: the largest peak RSS of RSS_RUNS runs, in KiB.
peak_rss_kib() {
	local max=0 v
	if [[ "$rss_tool" == /usr/bin/time ]]; then
		for _ in $(seq "$RSS_RUNS"); do
			/usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null || die "$* failed"
			v=$(tail -1 "$work/rss")
			((v > max)) && max=$v
		done
	else
		max=$("$work/timeit" -warmup 0 -runs "$RSS_RUNS" "$@" | sed 's/.*max_rss_kib=\([0-9]*\).*/\1/')
	fi
	echo "$max"
}

log "timing: $timer, $RUNS runs after $WARMUP warm-up; peak RSS: $rss_tool, $RSS_RUNS runs"
declare -A row
verdict=PASS
for s in "${stores[@]}"; do
	time_pair "$s"
	tok_rss=$(peak_rss_kib "$work/webex" -p "bench-$s" token)
	min_rss=$(peak_rss_kib "$work/minimal")
	row[$s]=$(awk -v s="$s" -v t="$tok_s" -v m="$min_s" -v r="$tok_rss" -v mr="$min_rss" \
		-v tr="$TARGET_RATIO" -v trss="$TARGET_RSS_MIB" 'BEGIN {
		ratio = t / m; mib = r / 1024
		res = (ratio <= tr && mib < trss) ? "PASS" : "FAIL"
		why = ""
		if (ratio > tr) why = why " ratio>" tr "x"
		if (mib >= trss) why = why " rss>=" trss "MiB"
		printf "%-8s %10.2f ms %10.2f ms %7.2fx %9.1f MiB %9.1f MiB   %s%s\n",
			s, t * 1000, m * 1000, ratio, mib, mr / 1024, res, why
	}')
	[[ "${row[$s]}" == *FAIL* ]] && verdict=FAIL
done

echo
echo "webex token, valid stored token (${BUILD:-release} build, $(nproc) CPUs, $RUNS runs; targets: <= ${TARGET_RATIO}x minimal, < ${TARGET_RSS_MIB} MiB)"
printf '%-8s %13s %13s %8s %13s %13s   %s\n' store "token median" "minimal med." ratio "token RSS" "minimal RSS" result
for s in "${stores[@]}"; do
	echo "${row[$s]}"
done
[[ -n "$keyring_note" ]] && printf '%-8s %s\n' keyring "$keyring_note"
echo "overall: $verdict"

if [[ "${INITTRACE:-}" == 1 ]]; then
	echo
	echo "top package initialisers of webex token (GODEBUG=inittrace=1, by clock time):"
	GODEBUG=inittrace=1 "$work/webex" -p bench-file token 2>&1 >/dev/null |
		awk '/^init / { printf "%8.3f ms %9d bytes %6d allocs  %s\n", $5, $8, $10, $2 }' |
		sort -rn | head -10
fi
exit 0
