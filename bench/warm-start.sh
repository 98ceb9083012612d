#!/usr/bin/env bash
# warm-start.sh: `banger vm run --rm -- true` booted (--cold) against warm (restored from the image's
# template snapshot), in the same run, alternating, RUNS of each (default 5); prints the medians, the
# ratio warm/cold (target <= 0.15 on this TCG host) and where a warm start spends its time, from the
# daemon's own per-step log line (`VM NAME started in N ms: clone disks .., launch (QEMU start + state
# load) .., identity .., wait for ssh ..`), and outside it: the CLI's time to "ready" and after it (the SSH
# session for `true` and the --rm delete), then those taken apart once. Then a live snapshot of a 512 MiB and a 2 GiB guest: its
# time, its pause, the state's length and its size on disk against the guest's memory.
#
# The frame of the other VM benchmarks (scripts/lib/vm-bench.sh): a private network namespace with only `lo` up, a temporary
# bangerd (warm_start = true), the busybox + dropbear guest pushed to a docker-registry on loopback,
# Debian's cloud kernel. Cleaned up on exit, however it ends.
#
# Usage: sudo bench/warm-start.sh [RUNS]   (builds first when build/bin is missing)
#        WARM_START_GUEST=debian: the Debian bookworm guest (systemd + OpenSSH) instead, from the root
#        filesystem scripts/host-setup.sh debootstraps once (/var/cache/banger-test/debian-bookworm-rootfs.tar.gz).
# Exit 0 with a report, target met or not; non-zero only when something broke. Bounded:
# WARM_START_BENCH_LIMIT s (default 1800).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"

die() { printf 'warm-start: FAILED: %s\n' "$*" >&2; exit 1; }
say() { printf 'warm-start: %s\n' "$*"; }

RUNS=${1:-5}
case $RUNS in '' | *[!0-9]* | 0) die "RUNS must be a positive number, got '$RUNS'" ;; esac

. scripts/lib/vm-bench.sh
vm_bench_enter warm-start "${WARM_START_BENCH_LIMIT:-1800}" "qemu-system-x86_64 docker-registry skopeo umoci busybox dropbear \
    dropbearkey ssh jq curl ss ldd tar" "$@"

# ---- inside the private network namespace ---------------------------------------------------

. scripts/lib/temp-daemon.sh
. scripts/lib/temp-registry.sh
. scripts/lib/busybox-guest.sh

RATIO_TARGET=0.15
CMD_TIMEOUT=300
KERNEL_DEB=$(guest_kernel_deb) || exit 1

banger() { timeout --foreground "$CMD_TIMEOUT" build/bin/banger --socket "$TEMP_DAEMON_SOCKET" "$@"; }
vm_bench_workdir warm-start-bench

# stamped: each line of stdin with the time it came (ms).
stamped() { local l; while IFS= read -r l; do printf '%s %s\n' "$(now_ms)" "$l"; done; }

# timed_run NAME [ARGS...]: `vm run --rm --name NAME ARGS -- true`; sets RUN_MS, and READY_MS: when the CLI
# said the VM was ready (its hint "NAME ready in"), from the start; the rest is the SSH session and the delete.
timed_run() {
    local name=$1 t0
    shift
    t0=$(now_ms)
    banger vm run --rm --name "$name" "$@" -- true 2>&1 | stamped >"$WORK/run.out" \
        || { tail -n 30 "$TEMP_DAEMON_LOG" >&2; die "vm run $name failed: $(cat "$WORK/run.out")"; }
    RUN_MS=$(($(now_ms) - t0))
    READY_MS=$(($(sed -n "s/^\([0-9]*\) *$name ready in .*/\1/p" "$WORK/run.out" | head -n 1) - t0))
}

# step_ms NAME STEP: STEP's time in the daemon's "VM NAME started in N ms: ..." line ("total" for N).
step_ms() {
    local line
    line=$(grep "StepRunner: VM $1 started in " "$TEMP_DAEMON_LOG" | tail -n 1)
    [ -n "$line" ] || die "bangerd logged no start timings for $1"
    if [ "$2" = total ]; then
        sed -n 's/.* started in \([0-9]*\) ms:.*/\1/p' <<<"$line"
    else
        tr ',' '\n' <<<"${line#*ms: }" | sed -n "s/^ *$2 \\([0-9]*\\) ms.*/\\1/p"
    fi
}

# await_template: until a template is listed and no build is running.
await_template() {
    local t0
    t0=$(now_ms)
    until [ "$(banger vm snapshot list --templates --json | jq '.snapshots | length')" -gt 0 ] \
        && [ "$(banger vm list --templates --json | jq '[.vms[] | select(.name | startswith("tpl-"))] | length')" -eq 0 ]; do
        [ $(($(now_ms) - t0)) -lt 300000 ] || die "no template within 300 s; daemon: $(tail -n 20 "$TEMP_DAEMON_LOG")"
        sleep 0.5
    done
    TEMPLATE_MS=$(($(now_ms) - t0))
}

pressure() { sed -n 's/^some avg10=[0-9.]* avg60=\([0-9.]*\).*/\1%/p' /proc/pressure/cpu 2>/dev/null || :; }
say "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), CPU pressure $(pressure); $RUNS runs each; guest ${WARM_START_GUEST:-busybox}; network namespace $(readlink /proc/self/ns/net)"

temp_registry_start "$WORK/registry" || die "docker-registry did not start on 127.0.0.1"
GUEST=${WARM_START_GUEST:-busybox}
case $GUEST in
    busybox)
        busybox_guest_push "$WORK" "$TEMP_REGISTRY/bench/guest:v1" || die "skopeo could not push the guest image to $TEMP_REGISTRY" ;;
    debian)
        DEBIAN_ROOTFS=/var/cache/banger-test/debian-bookworm-rootfs.tar.gz
        [ -f "$DEBIAN_ROOTFS" ] || die "no $DEBIAN_ROOTFS (sudo scripts/host-setup.sh debootstraps it)"
        gzip -dc "$DEBIAN_ROOTFS" >"$WORK/debian.tar"
        { umoci init --layout "$WORK/oci" && umoci new --image "$WORK/oci:deb" \
            && umoci raw add-layer --image "$WORK/oci:deb" "$WORK/debian.tar" \
            && skopeo copy -q --insecure-policy --dest-tls-verify=false "oci:$WORK/oci:deb" "docker://$TEMP_REGISTRY/bench/guest:v1"; } \
            >"$WORK/push.out" 2>&1 || die "could not push the Debian guest: $(cat "$WORK/push.out")"
        rm -f "$WORK/debian.tar" ;;
    *) die "WARM_START_GUEST must be busybox or debian, got '$GUEST'" ;;
esac
TEMP_DAEMON_WARM_START=true TEMP_DAEMON_LOG_LEVEL=info temp_daemon_start "$ROOT/build/bin/bangerd" \
    || die "cannot start a temporary bangerd"
banger kernel import cloud --deb "$KERNEL_DEB" >"$WORK/kernel.out" 2>&1 || die "kernel import: $(cat "$WORK/kernel.out")"
banger image pull "$TEMP_REGISTRY/bench/guest:v1" --name bb --kernel-ref cloud >"$WORK/pull.out" 2>&1 \
    || die "image pull: $(cat "$WORK/pull.out")"

# The first run of the image boots and queues its template (the config's default machine: 1 vCPU, 512 MiB).
timed_run first --image bb
FIRST_MS=$RUN_MS
await_template
BUILD_MS=$(sed -n 's/.*TemplateBuilds: template [0-9a-f]* for image bb .* built in \([0-9]*\) ms.*/\1/p' "$TEMP_DAEMON_LOG" | tail -n 1)
say "first run (booted) $(secs "$FIRST_MS") s; template built in the background in $(secs "${BUILD_MS:-0}") s"

COLD=()
WARM=()
declare -A SPLIT=()
for ((r = 1; r <= RUNS; r++)); do
    timed_run "cold$r" --image bb --cold
    COLD+=("$RUN_MS")
    [ -n "$(step_ms "cold$r" 'wait for ssh')" ] || die "cold$r: no wait-for-ssh timing"
    timed_run "warm$r" --image bb
    WARM+=("$RUN_MS")
    SPLIT[ready]+="$READY_MS "
    SPLIT[after]+="$((RUN_MS - READY_MS)) "
    grep -q "VM warm$r: started from template" "$TEMP_DAEMON_LOG" || die "warm$r did not start from the template: $(tail -n 20 "$TEMP_DAEMON_LOG")"
    for s in total 'clone disks' launch 'identity link' identity 'wait for ssh'; do
        SPLIT[$s]+="$(step_ms "warm$r" "$s") "
    done
    say "run $r: cold $(secs "${COLD[-1]}") s (daemon $(secs "$(step_ms "cold$r" total)") s), warm $(secs "$RUN_MS") s (daemon $(secs "$(step_ms "warm$r" total)") s)"
done

# What `vm run` does after the daemon's create, taken apart once: the CLI alone (ping), the SSH session
# for `true` (vm ssh), the delete.
timed() { local t0; t0=$(now_ms); banger "$@" >"$WORK/step.out" 2>&1 || die "$*: $(cat "$WORK/step.out")"; echo $(($(now_ms) - t0)); }
banger vm create --name apart --image bb >"$WORK/create.out" 2>&1 || die "vm create apart: $(cat "$WORK/create.out")"
APART_PING=$(timed ping)
APART_SSH=$(timed vm ssh apart -- true)
APART_DELETE=$(timed vm delete -f apart)

# Live snapshots of a 512 MiB and a 2 GiB guest, each freshly booted.
SNAP_LINES=()
for mem in 512 2048; do
    banger vm create --name "s$mem" --image bb --memory "$mem" --cold >"$WORK/create.out" 2>&1 || die "vm create s$mem: $(cat "$WORK/create.out")"
    t0=$(now_ms)
    banger --json vm snapshot create "s$mem" --name "snap$mem" >"$WORK/snap.json" 2>"$WORK/snap.err" || die "snapshot of s$mem: $(cat "$WORK/snap.err")"
    took=$(($(now_ms) - t0))
    SNAP_LINES+=("$(jq -r --arg took "$took" '"    \(.memory_mib) MiB guest: \($took | tonumber / 1000) s, paused \(.pause_millis) ms, state \(.state_bytes / 1048576 | floor) MiB, on disk \(.size_bytes / 1048576 | floor) MiB (\(.size_bytes * 100 / (.memory_mib * 1048576) | floor) % of its memory)"' "$WORK/snap.json")")
    banger vm delete -f "s$mem" >/dev/null 2>&1 || die "vm delete s$mem"
    banger vm snapshot delete "snap$mem" >/dev/null 2>&1 || die "vm snapshot delete snap$mem"
done

CM=$(median "${COLD[@]}") WM=$(median "${WARM[@]}")
ratio=$(awk -v w="$WM" -v c="$CM" 'BEGIN { printf "%.2f", (c > 0 ? w / c : 0) }')
verdict=$(awk -v r="$ratio" -v t="$RATIO_TARGET" 'BEGIN { print (r <= t ? "PASS" : "MISS") }')
split_median() { local v; read -r -a v <<<"${SPLIT[$1]}"; secs "$(median "${v[@]}")"; }
echo
echo "== warm-start summary ($GUEST guest, $(nproc) cores, CPU pressure now $(pressure); medians of $RUNS, min-max in brackets) =="
printf '  vm run --rm -- true, cold (--cold) : %6s s [%s]\n' "$(secs "$CM")" "$(spread "${COLD[@]}")"
printf '  vm run --rm -- true, warm          : %6s s [%s]\n' "$(secs "$WM")" "$(spread "${WARM[@]}")"
printf '  ratio warm/cold                    : %s   target <= %s  %s\n' "$ratio" "$RATIO_TARGET" "$verdict"
echo "  a warm start in the daemon (medians of its per-step log line):"
printf '      %-42s %6s s\n' "total (create to SSH-ready)" "$(split_median total)" "clone disks (overlays on the template's)" \
    "$(split_median 'clone disks')" "identity link (host end of the port)" "$(split_median 'identity link')" \
    "launch (QEMU start + state load)" "$(split_median launch)" \
    "identity (address, name, keys applied)" "$(split_median identity)" "wait for ssh" "$(split_median 'wait for ssh')"
echo "  a warm vm run as the CLI sees it (medians):"
printf '      %-42s %6s s\n' "start to \"ready\" (CLI start, create RPC)" "$(split_median ready)" \
    "\"ready\" to exit (SSH session for true, delete)" "$(split_median after)"
echo "  taken apart once (each a CLI of its own): banger ping $(secs "$APART_PING") s, vm ssh -- true $(secs "$APART_SSH") s, vm delete -f $(secs "$APART_DELETE") s"
echo "  live snapshots (freshly booted $GUEST guests; state = QEMU's migration stream, written sparse):"
printf '%s\n' "${SNAP_LINES[@]}"
echo "  first run of the image (booted): $(secs "$FIRST_MS") s; its template was built in $(secs "${BUILD_MS:-0}") s in the background."
