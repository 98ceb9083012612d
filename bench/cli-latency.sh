#!/usr/bin/env bash
# cli-latency.sh: wall time of `banger --socket S ping` (a whole JVM start, connect, one request)
# against the same request sent by socat, on a temporary bangerd. Target: banger's median <= 150 ms.
# Usage: bench/cli-latency.sh [RUNS]   (default 20; builds first when build/bin is missing)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"
. scripts/lib/temp-daemon.sh

RUNS=${1:-20}
TARGET_MS=150
REQUEST='{"jsonrpc":"2.0","id":1,"method":"ping","protocol":1}'

die() { printf 'cli-latency: FAILED: %s\n' "$*" >&2; exit 1; }

command -v socat >/dev/null 2>&1 || die "socat is not installed (sudo scripts/host-setup.sh installs it)"
if [ ! -x build/bin/banger ] || [ ! -x build/bin/bangerd ]; then
    ./scripts/build.sh || die "scripts/build.sh"
fi

WORK=$(mktemp -d)
TIMEFORMAT='%3R %3U %3S'
trap 'temp_daemon_stop; rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
temp_daemon_start "$ROOT/build/bin/bangerd" || die "cannot start a temporary bangerd"
S=$TEMP_DAEMON_SOCKET

# run_series OK-PATTERN COMMAND...: RUNS timed runs after 2 untimed warm-ups. Sets TIMES (wall
# time, from bash's EPOCHREALTIME: no fork), CPUS (user+sys CPU time of the command, from bash's
# `time`: steadier than wall time on a busy machine), both in tenths of a ms, and BAD (runs whose
# output did not match OK-PATTERN).
run_series() {
    local ok=$1 i t0 t1 _wall u s out
    shift
    TIMES=() CPUS=() BAD=0
    for i in 1 2; do "$@" >/dev/null 2>&1 || :; done
    for ((i = 0; i < RUNS; i++)); do
        t0=${EPOCHREALTIME/[.,]/}
        { time "$@" >"$WORK/out" 2>&1 || :; } 2>"$WORK/time"
        t1=${EPOCHREALTIME/[.,]/}
        TIMES+=($(( (t1 - t0) / 100 )))
        read -r _wall u s <"$WORK/time"
        u=${u/[.,]/} s=${s/[.,]/}
        CPUS+=($(( (10#$u + 10#$s) * 10 )))   # ms -> tenths
        out=$(<"$WORK/out")
        # shellcheck disable=SC2053 # OK-PATTERN is a glob
        [[ $out == $ok ]] || { BAD=$((BAD + 1)); LAST_BAD=$out; }
    done
}

median() { # of tenths of ms, printed in ms with one decimal
    local sorted n m
    mapfile -t sorted < <(printf '%s\n' "$@" | sort -n)
    n=${#sorted[@]}
    if ((n % 2)); then m=${sorted[n / 2]}; else m=$(( (sorted[n / 2 - 1] + sorted[n / 2]) / 2 )); fi
    printf '%d.%d' $((m / 10)) $((m % 10))
}
minmax() {
    local sorted
    mapfile -t sorted < <(printf '%s\n' "$@" | sort -n)
    printf 'min %d.%d, max %d.%d ms' $((sorted[0] / 10)) $((sorted[0] % 10)) $((sorted[-1] / 10)) $((sorted[-1] % 10))
}

socat_ping() { printf '%s\n' "$REQUEST" | socat - "UNIX-CONNECT:$S"; }

echo "cli-latency: $RUNS runs each against a temporary bangerd ($S), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# banger has no read timeout of its own: bound it. socat bounds itself (-t 0.5 s after EOF).
run_series 'pong from bangerd*' timeout 30 build/bin/banger --socket "$S" ping
banger_times=("${TIMES[@]}") banger_cpus=("${CPUS[@]}") banger_bad=$BAD
[ "$banger_bad" -eq 0 ] || die "banger ping failed $banger_bad time(s); last output: $LAST_BAD"

run_series '*"result":*' socat_ping
socat_times=("${TIMES[@]}") socat_cpus=("${CPUS[@]}") socat_bad=$BAD

bm=$(median "${banger_times[@]}")
sm=$(median "${socat_times[@]}")
printf '  banger ping : median %7s ms wall  (%s), CPU %s ms\n' "$bm" "$(minmax "${banger_times[@]}")" "$(median "${banger_cpus[@]}")"
printf '  socat       : median %7s ms wall  (%s), CPU %s ms\n' "$sm" "$(minmax "${socat_times[@]}")" "$(median "${socat_cpus[@]}")"
if [ "$socat_bad" -gt 0 ]; then
    echo "  WARNING: $socat_bad of $RUNS socat requests got no ping result (last output: '${LAST_BAD:-nothing}')."
    echo "           bangerd cancels a request when the client half-closes after sending, as socat does;"
    echo "           the socat figure then measures connect + hang-up, not a full round trip."
fi
awk -v b="$bm" -v s="$sm" 'BEGIN { printf "  ratio banger/socat: %.1fx\n", (s > 0 ? b / s : 0) }'
if awk -v b="$bm" -v t="$TARGET_MS" 'BEGIN { exit !(b <= t) }'; then
    echo "  target (banger median <= $TARGET_MS ms): MET"
else
    echo "  target (banger median <= $TARGET_MS ms): NOT MET"
fi
