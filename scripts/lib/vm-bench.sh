# shellcheck shell=bash
# vm-bench.sh: the frame of the scripts that boot VMs to measure them (bench/vm-create.sh,
# workspace.sh, chaos.sh, warm-start.sh). Sourced by bash from the checkout's root.
#
#   vm_bench_enter NAME LIMIT "TOOL..." ARGS...
#       Outside a benchmark's namespace: needs root and the tools, builds when build/bin lacks the
#       launchers, runs "$0" ARGS again in a fresh network namespace with only `lo` (no route out)
#       under `timeout LIMIT` (holding the lock file VM_BENCH_LOCK when it is set, to take turns with
#       other VM-booting runs), checks that no process holds that namespace afterwards (a QEMU left
#       running would), and exits with the inner run's status. Inside it: records the namespace for
#       that check, brings `lo` up, drops proxy settings, and returns.
#   now_ms; secs MS (seconds, 2 decimals); median N...; spread MS... (min-max in seconds);
#   ratio A B (A/B, 2 decimals)
#   qemu_pids_under DIR      QEMU processes whose command line names a path under DIR
#   vm_bench_stop_daemon     deletes the temporary daemon's VMs, kills any QEMU a failed delete
#                            left, stops the daemon and the registry (temp-daemon.sh, temp-registry.sh)
#   vm_bench_workdir PREFIX [FIRST]
#                            sets WORK to a new directory under $TMPDIR and, however the run ends
#                            (exit, INT as 130, TERM as 143), runs FIRST (a function) when given, then
#                            vm_bench_stop_daemon, then removes WORK

_vm_bench_die() { printf '%s: FAILED: %s\n' "$1" "$2" >&2; exit 1; }

vm_bench_enter() {
    local name=$1 limit=$2 tools=$3 tool rc ns left netns_file
    shift 3
    if [ -n "${VM_BENCH_NETNS:-}" ]; then
        readlink /proc/self/ns/net >"$VM_BENCH_NETNS"
        ip link set lo up
        export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
        unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || _vm_bench_die "$name" "run as root (bridge, taps, QEMU on them): sudo $0"
    for tool in unshare ip timeout $tools; do
        command -v "$tool" >/dev/null 2>&1 || _vm_bench_die "$name" "$tool is not installed (sudo scripts/host-setup.sh installs what this needs)"
    done
    if [ ! -x build/bin/banger ] || [ ! -x build/bin/bangerd ]; then
        ./scripts/build.sh || _vm_bench_die "$name" "scripts/build.sh"
    fi
    local lock=()
    [ -z "${VM_BENCH_LOCK:-}" ] || lock=(flock "$VM_BENCH_LOCK")
    . scripts/lib/private-netns.sh
    netns_file=$(mktemp)
    set +e
    # timeout sends TERM to its process group and the inner EXIT trap cleans up; KILL a minute later if that hangs.
    "${lock[@]}" unshare --net -- env VM_BENCH_NETNS="$netns_file" timeout --kill-after=60 "$limit" bash "$0" "$@"
    rc=$?
    set -e
    ns=$(cat "$netns_file")
    rm -f "$netns_file"
    if [ -n "$ns" ]; then
        left=$(netns_holders "$ns")
        [ -z "$left" ] || _vm_bench_die "$name" "processes still hold the run's network namespace $ns: $left"
        printf '%s: network namespace %s: gone\n' "$name" "$ns"
    fi
    exit "$rc"
}

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
secs() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() {
    local sorted n
    mapfile -t sorted < <(printf '%s\n' "$@" | sort -n)
    n=${#sorted[@]}
    if ((n % 2)); then echo "${sorted[n / 2]}"; else echo $(((sorted[n / 2 - 1] + sorted[n / 2]) / 2)); fi
}

spread() { local s; mapfile -t s < <(printf '%s\n' "$@" | sort -n); printf '%s-%s' "$(secs "${s[0]}")" "$(secs "${s[-1]}")"; }

qemu_pids_under() {
    local p
    for p in /proc/[0-9]*; do
        { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q "^[^ ]*qemu-system[^ ]* .*$1/" && echo "${p#/proc/}"
    done
    return 0
}

vm_bench_stop_daemon() {
    local p vms
    if [ -n "${TEMP_DAEMON_PID:-}" ]; then
        mapfile -t vms < <(build/bin/banger --socket "$TEMP_DAEMON_SOCKET" vm list 2>/dev/null | awk 'NR > 1 { print $1 }')
        [ ${#vms[@]} -eq 0 ] || timeout 120 build/bin/banger --socket "$TEMP_DAEMON_SOCKET" vm delete -f "${vms[@]}" >/dev/null 2>&1 || :
        # What a failed delete left: the daemon's QEMUs are named by their paths in its state dir.
        for p in $(qemu_pids_under "$TEMP_DAEMON_DIR"); do kill -KILL "$p" 2>/dev/null || :; done
    fi
    temp_daemon_stop
    temp_registry_stop
}

vm_bench_workdir() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    _vm_bench_first=${2:-}
    trap '[ -z "$_vm_bench_first" ] || "$_vm_bench_first"; vm_bench_stop_daemon; rm -rf -- "$WORK"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
