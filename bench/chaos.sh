#!/usr/bin/env bash
# chaos.sh: random VM and image operations with bangerd SIGKILLed at random points, restarted on
# the same state, and the host checked after every restart and at the end.
#
#   each cycle: one of create / stop / start / delete / cancelled create (the client hangs up
#   mid-boot) / image pull (from a docker-registry on loopback) / image delete; in about 40 % of
#   cycles bangerd is SIGKILLed 0-2 s into the operation (during a boot, a pull, a delete) and
#   started again on the same state dir.
#   after each restart and at the end, a leak is anything the store does not account for: a
#   tap-fc-* tap, a firewall rule tagged banger:<id>, a QEMU process, a VM, image or kernel
#   directory, a staging entry or a part file of a download, a snapshot dir no snapshot lists.
#   And every VM that was running before a kill is running again with the same QEMU (adopted) or
#   says why it is not. Warm start is on (the default): the first create builds a template in the
#   background (a hidden tpl-* VM, then a snapshot), so kills hit those builds too; what a build in
#   progress holds is accounted for, and no hidden VM may survive a restart.
#
# Report: cycles, kills, leaks (target 0), adoptions, lost VMs, operation failures, time.
# Exit 0 when no leak and no VM was lost without a reason; 1 otherwise.
#
# Usage: sudo bench/chaos.sh [CYCLES]   (default 100; CI runs 20; builds first when build/bin is missing)
# Needs root and what scripts/host-setup.sh installs (as bench/vm-create.sh, plus jq and nft).
# Everything runs in a private network namespace with only `lo` up, holding the lock file
# CHAOS_LOCK when it is set (to take turns with other VM-booting runs). Bounded: CHAOS_LIMIT s
# (default 3600).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"

die() { printf 'chaos: FAILED: %s\n' "$*" >&2; exit 1; }
say() { printf 'chaos: %s\n' "$*"; }

CYCLES=${1:-100}
case $CYCLES in '' | *[!0-9]* | 0) die "CYCLES must be a positive number, got '$CYCLES'" ;; esac

. scripts/lib/vm-bench.sh
VM_BENCH_LOCK=${CHAOS_LOCK:-} vm_bench_enter chaos "${CHAOS_LIMIT:-3600}" "nft jq qemu-system-x86_64 docker-registry skopeo umoci \
    busybox dropbear curl ss ldd tar flock" "$@"

# ---- inside the private network namespace ---------------------------------------------------

. scripts/lib/temp-registry.sh
. scripts/lib/busybox-guest.sh

OP_TIMEOUT=240    # seconds, any single CLI call
MAX_VMS=3         # at most this many VMs at once: this runs on small CI machines
KILL_PERCENT=40
KERNEL_DEB=$(guest_kernel_deb) || exit 1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chaos.XXXXXX")   # short: the socket path must stay under 108 bytes
STATE=$WORK/state
CACHE=$WORK/cache
SOCKET=$WORK/run/bangerd.sock
LOG=$WORK/bangerd.log
DPID=
cat >"$WORK/bangerd.toml" <<TOML
state_dir = "$STATE"
cache_dir = "$CACHE"
runtime_dir = "$WORK/run"
log_level = "info"
TOML

banger() { timeout --foreground "$OP_TIMEOUT" build/bin/banger --socket "$SOCKET" "$@"; }

daemon_start() {
    printf '\n==== bangerd start (cycle %s) ====\n' "${CYCLE:-0}" >>"$LOG"
    build/bin/bangerd --config "$WORK/bangerd.toml" </dev/null >>"$LOG" 2>&1 &
    DPID=$!
    local tries=1200
    until build/bin/banger --socket "$SOCKET" ping >/dev/null 2>&1; do
        kill -0 "$DPID" 2>/dev/null || { tail -n 40 "$LOG" >&2; die "bangerd exited during start-up"; }
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || { tail -n 40 "$LOG" >&2; die "bangerd did not answer within 60 s"; }
        sleep 0.05
    done
}

daemon_kill() {
    kill -KILL "$DPID" 2>/dev/null || :
    wait "$DPID" 2>/dev/null || :
    DPID=
}

# qemu_procs: "PID VMID" for every QEMU whose command line names a VM dir of this run.
qemu_procs() {
    local p cmd
    for p in /proc/[0-9]*; do
        cmd=$({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) || continue
        case $cmd in
            *qemu-system*"$STATE/vms/"*) printf '%s %s\n' "${p#/proc/}" "$(sed -n "s|.*$STATE/vms/\([0-9a-f]*\)/.*|\1|p" <<<"$cmd")" ;;
        esac
    done
    return 0
}

cleanup() {
    local pid _
    if [ -n "$DPID" ]; then
        mapfile -t vms < <(build/bin/banger --socket "$SOCKET" vm list --json 2>/dev/null | jq -r '.vms[].name' 2>/dev/null)
        [ ${#vms[@]} -eq 0 ] || timeout 120 build/bin/banger --socket "$SOCKET" vm delete -f "${vms[@]}" >/dev/null 2>&1 || :
        kill "$DPID" 2>/dev/null || :
        wait "$DPID" 2>/dev/null || :
    fi
    qemu_procs | while read -r pid _; do kill -KILL "$pid" 2>/dev/null || :; done
    temp_registry_stop
    [ -z "${CHAOS_KEEP:-}" ] || { say "kept $WORK (CHAOS_KEEP)"; return; }
    rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the check ---------------------------------------------------------------------------------

LEAKS=0 LOST=0 ADOPTED=0 CHECKS=0
leak() { LEAKS=$((LEAKS + 1)); printf 'chaos: LEAK after cycle %s: %s\n' "$CYCLE" "$*" >&2; }

# snapshot: the store's VMs as "id name state pid last_error" lines, into $WORK/vms.
snapshot() {
    banger vm list --json >"$WORK/vms.json" || die "vm list failed: $(cat "$WORK/vms.json")"
    jq -r '.vms[] | [.id, .name, .state, ((.runtime // {}).pid // 0), (.last_error // "" | gsub("\\s"; "_"))] | @tsv' \
        "$WORK/vms.json" >"$WORK/vms"
}

check() {
    local id name state pid err t dir vmid q
    CHECKS=$((CHECKS + 1))
    snapshot
    declare -A known=() running=() qpid=() building=()
    while IFS=$'\t' read -r id name state pid err; do
        known[$id]=1
        [ "$state" != running ] || running[$id]=$pid
    done <"$WORK/vms"
    # A warm-start template being built in the background (a hidden VM, tpl-*): its tap, rules, QEMU
    # and dir are accounted for in whatever state its build is.
    banger vm list --templates --json | jq -r '.vms[] | select(.name | startswith("tpl-")) | .id' >"$WORK/building"
    while read -r id; do
        [ -n "$id" ] || continue
        known[$id]=1 building[$id]=1
    done <"$WORK/building"
    # taps
    for t in $(ip -o link show | sed -n 's/^[0-9]*: \(tap-fc-[^:@]*\).*/\1/p'); do
        local held=
        for id in "${!running[@]}" "${!building[@]}"; do [ "$t" != "tap-fc-${id:0:8}" ] || held=1; done
        [ -n "$held" ] || leak "tap $t with no running VM"
    done
    # firewall rules tagged banger:<vm id>
    for id in $(nft list ruleset 2>/dev/null | sed -n 's/.*comment "banger:\([0-9a-f]\{16\}\)".*/\1/p' | sort -u); do
        [ -n "${running[$id]:-}${building[$id]:-}" ] || leak "firewall rules of VM id $id, which is not running"
    done
    # QEMU processes
    while read -r q vmid; do
        [ -n "$q" ] || continue
        [ -z "${building[$vmid]:-}" ] || continue
        if [ -z "${running[$vmid]:-}" ]; then
            leak "QEMU pid $q of VM id $vmid, which is not running"
        elif [ -n "${qpid[$vmid]:-}" ]; then
            leak "two QEMUs for VM id $vmid: ${qpid[$vmid]} and $q"
        fi
        qpid[$vmid]=$q
    done < <(qemu_procs)
    for id in "${!running[@]}"; do
        [ -n "${qpid[$id]:-}" ] || leak "VM id $id is running in the store but has no QEMU"
    done
    # directories the store does not name
    for dir in "$STATE"/vms/*; do
        [ -e "$dir" ] || continue
        [ -n "${known[$(basename "$dir")]:-}" ] || leak "VM directory $dir with no VM"
    done
    banger image list --json | jq -r '.images[].dir' >"$WORK/image-dirs"
    for dir in "$STATE"/images/*; do
        [ -e "$dir" ] || continue
        grep -qxF "$dir" "$WORK/image-dirs" || leak "image directory $dir with no image"
    done
    banger kernel list --json | jq -r '.kernels[].dir' >"$WORK/kernel-dirs"
    for dir in "$STATE"/kernels/*; do
        [ -e "$dir" ] || continue
        grep -qxF "$dir" "$WORK/kernel-dirs" || leak "kernel directory $dir with no kernel"
    done
    for dir in "$STATE"/staging/*; do
        [ -e "$dir" ] || continue
        leak "staging entry $dir"
    done
    # snapshots (warm-start templates): a dir per listed snapshot, no staging left (unless a build is writing one)
    banger vm snapshot list --templates --json | jq -r '.snapshots[].id' >"$WORK/snapshot-ids"
    for dir in "$STATE"/snapshots/* "$STATE"/snapshots/.staging-*; do
        [ -e "$dir" ] && [ "${#building[@]}" -eq 0 ] || continue
        grep -qxF "$(basename "$dir")" "$WORK/snapshot-ids" || leak "snapshot directory $dir with no snapshot"
    done
    while read -r dir; do
        [ -z "$dir" ] || leak "part file $dir"
    done < <(find "$CACHE" -name '*.part' -o -name '*.part.tmp' 2>/dev/null)
}

# after_restart BEFORE_FILE TOUCHED_NAME: every VM that ran before the kill (but the one the
# operation touched) runs with the same QEMU (adopted), or is not running and says why.
after_restart() {
    local id name state pid err now_state now_pid now_err
    while IFS=$'\t' read -r id name state pid err; do
        [ "$state" = running ] && [ "$name" != "$2" ] || continue
        read -r now_state now_pid now_err < <(awk -F'\t' -v id="$id" '$1 == id { print $3, $4, $5 }' "$WORK/vms")
        if [ "${now_state:-}" = running ] && [ "${now_pid:-}" = "$pid" ]; then
            ADOPTED=$((ADOPTED + 1))
        elif [ "${now_state:-}" = running ]; then
            LOST=$((LOST + 1)); printf 'chaos: VM %s runs a new QEMU (%s, was %s) after the restart\n' "$name" "$now_pid" "$pid" >&2
        elif [ -z "${now_err:-}" ]; then
            LOST=$((LOST + 1)); printf 'chaos: VM %s was running, is %s after the restart, and says not why\n' "$name" "${now_state:-gone}" >&2
        fi
    done <"$1"
}

# ---- operations ---------------------------------------------------------------------------------

SEQ=0
pick() { # pick STATE...: a random VM name in one of those states
    awk -F'\t' -v want=" $* " 'index(want, " " $3 " ") { print $2 }' "$WORK/vms" | shuf -n 1
}
count_vms() { wc -l <"$WORK/vms"; }

# choose_op: sets OP, ARGS and TOUCHED (the VM it works on) from the store's current VMs and images.
choose_op() {
    local r=$((RANDOM % 100)) name=
    snapshot
    OP= ARGS=() TOUCHED=
    if [ "$r" -lt 25 ] && [ "$(count_vms)" -lt "$MAX_VMS" ]; then
        SEQ=$((SEQ + 1)); OP=create; TOUCHED=c$SEQ
    elif [ "$r" -lt 35 ] && [ "$(count_vms)" -lt "$MAX_VMS" ]; then
        SEQ=$((SEQ + 1)); OP=cancelled-create; TOUCHED=c$SEQ
    elif [ "$r" -lt 50 ] && name=$(pick running) && [ -n "$name" ]; then
        OP=stop
    elif [ "$r" -lt 65 ] && name=$(pick stopped error created) && [ -n "$name" ]; then
        OP=start
    elif [ "$r" -lt 80 ] && [ "$(count_vms)" -ge 2 ] && name=$(pick running stopped error created) && [ -n "$name" ]; then
        OP=delete   # keeps a VM or two running, for the kills to find something to adopt
    elif [ "$r" -lt 92 ]; then
        SEQ=$((SEQ + 1)); OP=pull; ARGS=(image pull "$REGISTRY_REF" --name "p$SEQ" --kernel-ref cloud)
    elif name=$(banger image list --json | jq -r '.images[].name | select(startswith("p"))' | shuf -n 1) && [ -n "$name" ]; then
        OP=image-delete; ARGS=(image delete "$name"); name=
    elif name=$(pick running stopped error created) && [ -n "$name" ]; then
        OP=delete
    else
        SEQ=$((SEQ + 1)); OP=create; TOUCHED=c$SEQ
    fi
    case $OP in
        create | cancelled-create) ARGS=(vm create --name "$TOUCHED" --image bb --memory 256) ;;
        stop | start) TOUCHED=$name; ARGS=(vm "$OP" "$name") ;;
        delete) TOUCHED=$name; ARGS=(vm delete -f "$name") ;;   # -f: running ones too
    esac
}

# ---- the run ------------------------------------------------------------------------------------

say "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $CYCLES cycles; network namespace $(readlink /proc/self/ns/net)"
temp_registry_start "$WORK/registry" || die "docker-registry did not start on 127.0.0.1"
REGISTRY_REF=$TEMP_REGISTRY/chaos/busybox:v1
busybox_guest_push "$WORK" "$REGISTRY_REF" || die "could not push the guest image to $TEMP_REGISTRY"
daemon_start
banger kernel import cloud --deb "$KERNEL_DEB" >"$WORK/op.out" 2>&1 || die "kernel import: $(cat "$WORK/op.out")"
banger image pull "$REGISTRY_REF" --name bb --kernel-ref cloud >"$WORK/op.out" 2>&1 || die "image pull: $(cat "$WORK/op.out")"
say "guest image pulled, bangerd pid $DPID, state in $STATE"

KILLS=0 FAILS=0 CANCELS=0
declare -A OPS=() KILLED_IN=()
T0=$(now_ms)
for ((CYCLE = 1; CYCLE <= CYCLES; CYCLE++)); do
    choose_op
    OPS[$OP]=$((${OPS[$OP]:-0} + 1))
    kill_now=
    [ $((RANDOM % 100)) -ge "$KILL_PERCENT" ] || kill_now=1
    [ "$OP" != cancelled-create ] || kill_now=   # its own cut: the client hangs up mid-boot
    if [ -n "$kill_now" ]; then
        cp "$WORK/vms" "$WORK/vms.before"
        banger "${ARGS[@]}" >"$WORK/op.out" 2>&1 &
        op=$!
        sleep "$((RANDOM % 2)).$((RANDOM % 10))$((RANDOM % 10))"   # 0-2 s: most operations take 1-5 s here
        daemon_kill
        KILLS=$((KILLS + 1)); KILLED_IN[$OP]=$((${KILLED_IN[$OP]:-0} + 1))
        wait "$op" 2>/dev/null || :
        daemon_start
        # A template build the kill cut short is swept at start-up: no hidden VM survives a restart.
        left=$(banger vm list --templates --json | jq -r '[.vms[] | select(.name | startswith("tpl-")) | .name] | join(" ")')
        [ -z "$left" ] || leak "template build VM(s) $left after the restart"
        snapshot
        after_restart "$WORK/vms.before" "$TOUCHED"
        check
    elif [ "$OP" = cancelled-create ]; then
        timeout -s INT "$((2 + RANDOM % 3))" build/bin/banger --socket "$SOCKET" "${ARGS[@]}" >"$WORK/op.out" 2>&1 || CANCELS=$((CANCELS + 1))
    elif ! banger "${ARGS[@]}" >"$WORK/op.out" 2>&1; then
        FAILS=$((FAILS + 1))
        printf 'chaos: cycle %d: %s failed (no kill): %s\n' "$CYCLE" "${ARGS[*]}" "$(tail -n 3 "$WORK/op.out" | tr '\n' ' ')" >&2
    fi
    if ((CYCLE % 10 == 0)); then
        say "cycle $CYCLE/$CYCLES: kills $KILLS, leaks $LEAKS, adoptions $ADOPTED, $(( ($(now_ms) - T0) / 1000 )) s"
    fi
done
CYCLE=end
check
ELAPSED=$(($(now_ms) - T0))

ops=$(for k in "${!OPS[@]}"; do printf '%s %d (killed in %d), ' "$k" "${OPS[$k]}" "${KILLED_IN[$k]:-0}"; done)
say "report"
printf '  cycles      %d in %d.%d s (%d ms a cycle)\n' "$CYCLES" $((ELAPSED / 1000)) $((ELAPSED % 1000 / 100)) $((ELAPSED / CYCLES))
printf '  operations  %s\n' "${ops%, }"
printf '  kills       %d (bangerd SIGKILLed mid-operation, restarted on the same state)\n' "$KILLS"
printf '  checks      %d (after each restart and at the end)\n' "$CHECKS"
printf '  leaks       %d (target 0)\n' "$LEAKS"
printf '  adoptions   %d (VMs running before a kill, running the same QEMU after it)\n' "$ADOPTED"
printf '  lost        %d (VMs that stopped running across a restart without a reason; target 0)\n' "$LOST"
printf '  cancelled   %d creates cut by the client hanging up\n' "$CANCELS"
printf '  failures    %d operations failed with no kill\n' "$FAILS"
printf '  swept       %d leftovers removed by bangerd at its restarts (its log: removed tap / staging / part files / half-published / rules / VM dirs / orphan VMMs)\n' \
    "$(grep -c -E 'removed tap |staging left by|download cut short|half-published|removed the (NAT|tap guard) rules|no VM row names it|killing orphan VMM|finished the undo|cut short by the previous daemon' "$LOG" || :)"
printf '  templates   %d warm-start templates built, %d builds cut by a kill and removed at the restart, %d warm creates\n' \
    "$(grep -c 'TemplateBuilds: template .* built in' "$LOG" || :)" "$(grep -c 'template VM .*: its build was cut short' "$LOG" || :)" \
    "$(grep -c ': started from template ' "$LOG" || :)"
[ "$LEAKS" -eq 0 ] && [ "$LOST" -eq 0 ]
