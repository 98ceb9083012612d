#!/usr/bin/env bash
# cli-latency.sh: wall and CPU time of `banger --socket S ping` (a whole JVM start, connect, one
# request) on a temporary bangerd, next to the same request sent by socat, and optionally next to
# other build trees in the same run. Target: banger's median <= 100 ms.
# Usage: bench/cli-latency.sh [--baseline DIR]... [RUNS]   (default 20; builds first when build/bin
#   is missing). --baseline DIR: also time DIR/bin/banger (another worktree's build/, or a copy of
#   one) against the same daemon; runs are interleaved (this, baseline, ..., socat, this, ...) so a
#   busy machine slows every variant alike, and ratios to the first baseline are printed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"
. scripts/lib/temp-daemon.sh

die() { printf 'cli-latency: FAILED: %s\n' "$*" >&2; exit 1; }

BASELINES=()
while [ $# -gt 0 ]; do
    case $1 in
        --baseline)
            [ $# -ge 2 ] || die "--baseline needs a build directory"
            [ -x "$2/bin/banger" ] || die "--baseline $2: no $2/bin/banger (a build/ tree made by scripts/build.sh)"
            BASELINES+=("$(cd "$2" && pwd -P)")
            shift 2 ;;
        -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
        -*) die "unknown option $1" ;;
        *) break ;;
    esac
done
RUNS=${1:-20}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, got '$RUNS'"
TARGET_MS=100
REQUEST='{"jsonrpc":"2.0","id":1,"method":"ping","protocol":1}'

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

socat_ping() { printf '%s\n' "$REQUEST" | socat - "UNIX-CONNECT:$S"; }

# Variants: a label, a glob its output must match, a command. banger has no read timeout of its
# own: bound it. socat bounds itself (-t 0.5 s after EOF).
LABELS=("banger ping") OKS=('pong from bangerd*') CMDS=("timeout 30 $ROOT/build/bin/banger --socket $S ping")
for b in "${BASELINES[@]}"; do
    LABELS+=("baseline $b") OKS+=('pong from bangerd*') CMDS+=("timeout 30 $b/bin/banger --socket $S ping")
done
LABELS+=("socat") OKS+=('*"result":*') CMDS+=("socat_ping")
N=${#LABELS[@]}

# time_once V: one timed run of variant V. Appends "wall cpu" (tenths of a ms) to WORK/V: wall
# from bash's EPOCHREALTIME (no fork), CPU = user+sys of the command from bash's `time` (steadier
# than wall time on a busy machine). A run whose output does not match the variant's glob counts
# in WORK/V.bad.
time_once() {
    local v=$1 t0 t1 _wall u s out
    t0=${EPOCHREALTIME/[.,]/}
    # shellcheck disable=SC2086 # CMDS are word lists
    { time ${CMDS[v]} >"$WORK/out" 2>&1 || :; } 2>"$WORK/time"
    t1=${EPOCHREALTIME/[.,]/}
    read -r _wall u s <"$WORK/time"
    u=${u/[.,]/} s=${s/[.,]/}
    echo "$(( (t1 - t0) / 100 )) $(( (10#$u + 10#$s) * 10 ))" >>"$WORK/$v"
    out=$(<"$WORK/out")
    # shellcheck disable=SC2053 # the glob
    [[ $out == ${OKS[v]} ]] || { echo "$out" >>"$WORK/$v.bad"; }
}

median_of() { # COLUMN FILE: the median of a column of tenths of ms, in tenths
    local sorted n
    mapfile -t sorted < <(cut -d' ' -f"$1" "$2" | sort -n)
    n=${#sorted[@]}
    if ((n % 2)); then echo "${sorted[n / 2]}"; else echo $(( (sorted[n / 2 - 1] + sorted[n / 2]) / 2 )); fi
}
ms() { printf '%d.%d' $(($1 / 10)) $(($1 % 10)); }

echo "cli-latency: $RUNS interleaved runs of each of $N variants against a temporary bangerd ($S), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((v = 0; v < N; v++)); do for i in 1 2; do time_once "$v"; done; : >"$WORK/$v"; rm -f "$WORK/$v.bad"; done # warm-ups
for ((i = 0; i < RUNS; i++)); do
    for ((v = 0; v < N; v++)); do time_once "$v"; done
done

ref_wall=$(median_of 1 "$WORK/0") ref_cpu=$(median_of 2 "$WORK/0")
[ "$N" -gt 2 ] && base_wall=$(median_of 1 "$WORK/1") base_cpu=$(median_of 2 "$WORK/1")
for ((v = 0; v < N; v++)); do
    w=$(median_of 1 "$WORK/$v") c=$(median_of 2 "$WORK/$v")
    mn=$(cut -d' ' -f1 "$WORK/$v" | sort -n | head -1) mx=$(cut -d' ' -f1 "$WORK/$v" | sort -n | tail -1)
    printf '  %-12s: median %6s ms wall (min %s, max %s), CPU %6s ms' "${LABELS[v]%% /*}" "$(ms "$w")" "$(ms "$mn")" "$(ms "$mx")" "$(ms "$c")"
    if [ "$N" -gt 2 ] && [ "$v" -ne 1 ] && [ "${LABELS[v]}" != socat ]; then
        awk -v w="$w" -v c="$c" -v bw="$base_wall" -v bc="$base_cpu" \
            'BEGIN { printf "   vs baseline: wall %.2fx, CPU %.2fx", w / bw, c / bc }'
    fi
    [ "${LABELS[v]}" = "${LABELS[v]%% /*}" ] || printf '   (%s)' "/${LABELS[v]#* /}"
    echo
    if [ -s "$WORK/$v.bad" ]; then
        bad=$(grep -c '' "$WORK/$v.bad")
        if [ "${LABELS[v]}" = socat ]; then
            echo "  WARNING: $bad of $RUNS socat requests got no ping result; bangerd cancels a request when the"
            echo "           client half-closes after sending, as socat does: socat then measures connect + hang-up."
        else
            die "${LABELS[v]} failed $bad time(s); last output: $(tail -1 "$WORK/$v.bad")"
        fi
    fi
done
awk -v b="$ref_wall" -v s="$(median_of 1 "$WORK/$((N - 1))")" 'BEGIN { printf "  ratio banger/socat: %.1fx\n", (s > 0 ? b / s : 0) }'
if [ "$ref_wall" -le $((TARGET_MS * 10)) ]; then
    echo "  target (banger median <= $TARGET_MS ms): MET"
else
    echo "  target (banger median <= $TARGET_MS ms): NOT MET"
fi
