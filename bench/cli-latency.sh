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

trap temp_daemon_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
temp_daemon_start "$ROOT/build/bin/bangerd" || die "cannot start a temporary bangerd"
S=$TEMP_DAEMON_SOCKET

# run_series NAME OK-PATTERN COMMAND...: RUNS timed runs (wall time from bash's EPOCHREALTIME, no fork) (after 2 untimed warm-ups); sets
# TIMES (ms, 0.1 ms resolution) and BAD (runs whose output did not match OK-PATTERN).
run_series() {
    local name=$1 ok=$2 i t0 t1 out
    shift 2
    TIMES=() BAD=0
    for i in 1 2; do "$@" >/dev/null 2>&1 || :; done
    for ((i = 0; i < RUNS; i++)); do
        t0=${EPOCHREALTIME/[.,]/}
        out=$("$@" 2>&1) || :
        t1=${EPOCHREALTIME/[.,]/}
        TIMES+=($(( (t1 - t0) / 100 )))   # tenths of a ms
        [[ $out == $ok ]] || { BAD=$((BAD + 1)); LAST_BAD=$out; }
    done
}

median() { # of tenths of ms, printed in ms with one decimal
    local sorted n m
    sorted=($(printf '%s\n' "$@" | sort -n))
    n=${#sorted[@]}
    if ((n % 2)); then m=${sorted[n / 2]}; else m=$(( (sorted[n / 2 - 1] + sorted[n / 2]) / 2 )); fi
    printf '%d.%d' $((m / 10)) $((m % 10))
}
minmax() {
    local sorted
    sorted=($(printf '%s\n' "$@" | sort -n))
    printf 'min %d.%d, max %d.%d ms' $((sorted[0] / 10)) $((sorted[0] % 10)) $((sorted[-1] / 10)) $((sorted[-1] % 10))
}

socat_ping() { printf '%s\n' "$REQUEST" | socat - "UNIX-CONNECT:$S"; }

echo "cli-latency: $RUNS runs each against a temporary bangerd ($S), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# banger has no read timeout of its own: bound it. socat bounds itself (-t 0.5 s after EOF).
run_series banger 'pong from bangerd*' timeout 30 build/bin/banger --socket "$S" ping
banger_times=("${TIMES[@]}") banger_bad=$BAD
[ "$banger_bad" -eq 0 ] || die "banger ping failed $banger_bad time(s); last output: $LAST_BAD"

run_series socat '*"result":*' socat_ping
socat_times=("${TIMES[@]}") socat_bad=$BAD

bm=$(median "${banger_times[@]}")
sm=$(median "${socat_times[@]}")
printf '  banger ping : median %7s ms  (%s)\n' "$bm" "$(minmax "${banger_times[@]}")"
printf '  socat       : median %7s ms  (%s)\n' "$sm" "$(minmax "${socat_times[@]}")"
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
