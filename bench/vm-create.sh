#!/usr/bin/env bash
# vm-create.sh: `banger vm create` (returns once the guest answers SSH) against the same boot done by
# hand: a qcow2 overlay over the same rootfs.ext4, a work disk from the same work-seed with the same
# authorized_keys and size, a tap on the same bridge, and a bare `qemu-system-x86_64` command line
# equivalent to the driver's (checked against the one bangerd logs), then `ssh -o ConnectTimeout=1`
# polled until it answers. Same kernel and initrd (Debian's cloud kernel, `kernel import --deb`),
# same guest: busybox + dropbear, built here from this host's files and pulled through a
# docker-registry on loopback.
#
#   one at a time: RUNS creates and RUNS baseline boots, alternating (drifting load hits both alike).
#                  Targets: banger median <= 1.15 x baseline median, and at most 300 ms more.
#   in parallel:   4 creates at once; each one's total time and its time in reserveVM (the daemon's
#                  log line `reserveVM NAME (IP): N us`, phase 2 of create under the global lock).
#                  Target: reserveVM < 50 ms each.
#
# Everything (daemon, registry, bridge, taps, guests, SSH) runs in a private network namespace this
# script makes with only `lo` up: no route out. Cleaned up on exit, however it ends: VMs deleted,
# daemon and registry stopped; the namespace goes with its last process (checked afterwards).
#
# Usage: sudo bench/vm-create.sh [RUNS]   (default 3; builds first when build/bin is missing)
# Needs root (bridge, taps, QEMU on them) and what scripts/host-setup.sh installs (the kernel .deb in
# /var/cache/banger-test/kernel, qemu, docker-registry, skopeo, umoci, busybox-static, dropbear-bin).
# Exit 0 with a report, targets met or not; non-zero only when something broke. Bounded: 30 minutes
# at most (VM_CREATE_BENCH_LIMIT s).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"

die() { printf 'vm-create: FAILED: %s\n' "$*" >&2; exit 1; }
say() { printf 'vm-create: %s\n' "$*"; }

RUNS=${1:-3}
case $RUNS in '' | *[!0-9]* | 0) die "RUNS must be a positive number, got '$RUNS'" ;; esac

. scripts/lib/vm-bench.sh
vm_bench_enter vm-create "${VM_CREATE_BENCH_LIMIT:-1800}" "qemu-system-x86_64 qemu-img docker-registry skopeo umoci busybox \
    dropbear dropbearkey ssh debugfs e2fsck resize2fs curl ss ldd tar" "$@"

# ---- inside the private network namespace ---------------------------------------------------

. scripts/lib/temp-daemon.sh
. scripts/lib/temp-registry.sh
. scripts/lib/busybox-guest.sh

PARALLEL=4
RATIO_TARGET=1.15
OVERHEAD_TARGET_MS=300
RESERVE_TARGET_MS=50
CREATE_TIMEOUT=300   # seconds, any single create or baseline boot
KERNEL_DEB=$(guest_kernel_deb) || exit 1

BASE_TAP=tap-bench0   # not tap-fc-*: the daemon would take it for one of its own (orphan taps)
BASE_PID=

json_field() { sed -n "s/.*\"$1\" *: *\"\\([^\"]*\\)\".*/\\1/p" | head -n 1; }   # FIELD < one-object JSON

banger() { timeout --foreground "$CREATE_TIMEOUT" build/bin/banger --socket "$TEMP_DAEMON_SOCKET" "$@"; }

vm_bench_workdir vm-create-bench baseline_stop

# ---- the guest image: busybox-static and dropbear, as the VM tests' TestGuestImages.busyboxImage --

build_guest_image() {
    busybox_guest_push "$WORK" "$TEMP_REGISTRY/bench/busybox:v1" || die "skopeo could not push the guest image to $TEMP_REGISTRY"
}

# ---- banger ------------------------------------------------------------------------------------

# banger_create NAME: one `vm create`; sets CREATE_MS and appends "stage|ms" lines to
# $WORK/stages.NAME: the CLI's progress lines, timestamped on arrival, each lasting until the next
# ("cli+connect" before the first one, "wait for ssh" until the command returned).
banger_create() {
    local t0 rc
    t0=$(now_ms)
    set +e
    banger vm create --name "$1" --image bb 2>&1 >"$WORK/create-$1.out" \
        | while IFS= read -r line; do printf '%s %s\n' "$(now_ms)" "$line"; done >"$WORK/progress-$1"
    rc=${PIPESTATUS[0]}
    set -e
    CREATE_MS=$(($(now_ms) - t0))
    if [ "$rc" -ne 0 ]; then
        sed 's/^/    /' "$WORK/progress-$1" "$WORK/create-$1.out" >&2
        tail -n 30 "$TEMP_DAEMON_LOG" | sed 's/^/    daemon: /' >&2
        banger vm logs "$1" 2>&1 | tail -n 60 | sed 's/^/    console: /' >&2
        die "banger vm create --name $1 failed (exit $rc)"
    fi
    awk -v t0="$t0" -v t1="$((t0 + CREATE_MS))" '
        { s = substr($0, length($1) + 2); sub(/^ +/, "", s) }
        s ~ /^ready in / { t1 = $1; next }   # the CLI'"'"'s closing hint: the end of "wait for ssh"
        { ts[++n] = $1; st[n] = s }
        END { if (n == 0) exit
              printf "cli+connect|%d\n", ts[1] - t0
              for (i = 1; i <= n; i++) printf "%s|%d\n", st[i], (i < n ? ts[i + 1] : t1) - ts[i] }' \
        "$WORK/progress-$1" >"$WORK/stages-$1"
}
banger_delete() { banger vm delete -f "$@" >"$WORK/delete.out" 2>&1 || die "banger vm delete $*: $(cat "$WORK/delete.out")"; }

# reserve_us NAME: the daemon's reserveVM time for that VM, in us.
reserve_us() { sed -n "s/.*reserveVM $1 ([0-9.]*): \\([0-9]*\\) us.*/\\1/p" "$TEMP_DAEMON_LOG" | tail -n 1; }

# ---- baseline: the same boot by hand -------------------------------------------------------------

# The driver's values (QemuCommandLine, VmSettings defaults, LaunchStep's kernel arguments).
BASE_IP=172.16.0.250   # banger hands out the lowest free address: far from this one
BASE_MAC=02:fc:ac:10:00:fa
TSC_KHZ=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000 + 0.5; exit }' /proc/cpuinfo)
: "${TSC_KHZ:=2000000}"

# baseline_argv RUNDIR ROOT WORK TAP MAC IP NAME: the bare QEMU command line, in BASE_ARGV.
baseline_argv() {
    local run=$1
    BASE_ARGV=(qemu-system-x86_64 -name "banger-$7" -M microvm -m "$VM_MEMORY" -smp "$VM_VCPU"
        -nodefaults -no-user-config -display none -no-reboot
        -daemonize -pidfile "$run/qemu.pid"
        -chardev "file,id=console,append=on,path=$run/console.log" -serial chardev:console
        -qmp "unix:$run/qmp.sock,server=on,wait=off"
        -accel tcg,tb-size=128 -cpu qemu64,+rdrand
        -kernel "$VMLINUZ" -initrd "$INITRD"
        -append "console=ttyS0 reboot=k panic=-1 init=/usr/local/sbin/banger-init banger.ip=$6/24 banger.gw=172.16.0.1 banger.hostname=$7 banger.dns=172.16.0.1 tsc_early_khz=$TSC_KHZ"
        -drive "id=root,file=$2,format=qcow2,if=none,auto-read-only=off" -device virtio-blk-device,drive=root
        -drive "id=work,file=$3,format=raw,if=none,auto-read-only=off" -device virtio-blk-device,drive=work
        -netdev "tap,id=n0,ifname=$4,script=no,downscript=no" -device "virtio-net-device,netdev=n0,mac=$5"
        -device virtio-serial-device,max_ports=2 -chardev "socket,id=identity,server=on,wait=off,path=$run/identity.sock"
        -device virtserialport,chardev=identity,name=banger.identity)
}

# check_equivalent NAME: our command line for VM NAME's values equals the one bangerd logged for it,
# confinement aside.
check_equivalent() {
    local line dir tap mac ip ours theirs
    line=$(grep -m1 "starting VM $1 (tcg): " "$TEMP_DAEMON_LOG") || die "bangerd logged no TCG QEMU command line for $1"
    theirs=${line#*"starting VM $1 (tcg): "}
    dir=$(sed -n 's/.* -pidfile \([^ ]*\)\/qemu.pid .*/\1/p' <<<"$theirs")
    tap=$(sed -n 's/.*ifname=\([^,]*\),.*/\1/p' <<<"$theirs")
    mac=$(sed -n 's/.*,mac=\([^ ]*\).*/\1/p' <<<"$theirs")
    ip=$(sed -n 's/.*banger\.ip=\([0-9.]*\)\/.*/\1/p' <<<"$theirs")
    baseline_argv "$dir" "$dir/root.qcow2" "$dir/work.ext4" "$tap" "$mac" "$ip" "$1"
    ours=$(printf '%q ' "${BASE_ARGV[@]}")
    # bangerd quotes only what needs it (Command.display): compare word lists.
    theirs=$(eval "printf '%q ' $theirs")
    # bangerd's confinement (uid drop, chroot, seccomp) is part of what it costs: the baseline runs without it.
    theirs=$(sed -E 's/ -runas [^ ]+ -chroot [^ ]+ -sandbox [^ ]+//' <<<"$theirs")
    ours=${ours/#qemu-system-x86_64 /"$(command -v qemu-system-x86_64) "}
    [ "$ours" = "$theirs" ] || die "the baseline's QEMU command line differs from bangerd's for $1:
    bangerd : $theirs
    baseline: $ours"
}

baseline_stop() {
    if [ -n "$BASE_PID" ]; then
        kill "$BASE_PID" 2>/dev/null || :
        while kill -0 "$BASE_PID" 2>/dev/null; do sleep 0.05; done
        BASE_PID=
    fi
    ip link del "$BASE_TAP" 2>/dev/null || :
}

# baseline_boot: one timed boot by hand. Sets BASE_MS and BASE_STAGES ("stage|ms" lines).
baseline_boot() {
    local d=$WORK/base t0 t1 t2 deadline
    rm -rf "$d"
    mkdir -p "$d"
    t0=$(now_ms)
    qemu-img create -q -f qcow2 -F raw -b "$ROOTFS" "$d/root.qcow2"
    cp --sparse=always "$WORK_SEED" "$d/work.ext4"
    truncate -s "$VM_DISK_BYTES" "$d/work.ext4"
    e2fsck -f -p "$d/work.ext4" >/dev/null
    resize2fs -f "$d/work.ext4" >/dev/null 2>&1
    debugfs -w -f "$WORK/authorize.debugfs" "$d/work.ext4" >/dev/null 2>&1
    ip tuntap add dev "$BASE_TAP" mode tap
    ip link set "$BASE_TAP" master br-fc up
    t1=$(now_ms)
    baseline_argv "$d" "$d/root.qcow2" "$d/work.ext4" "$BASE_TAP" "$BASE_MAC" "$BASE_IP" base
    "${BASE_ARGV[@]}" || die "the baseline's QEMU did not start"
    BASE_PID=$(cat "$d/qemu.pid")
    t2=$(now_ms)
    deadline=$((t0 + CREATE_TIMEOUT * 1000))
    until ssh -q -o ConnectTimeout=1 -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -i "$SSH_KEY" "root@$BASE_IP" true </dev/null 2>/dev/null; do
        [ "$(now_ms)" -lt "$deadline" ] || die "the baseline guest did not answer SSH within $CREATE_TIMEOUT s; console: $(tail -n 15 "$d/console.log")"
        kill -0 "$BASE_PID" 2>/dev/null || die "the baseline's QEMU exited; console: $(tail -n 15 "$d/console.log")"
        sleep 0.1
    done
    BASE_MS=$(($(now_ms) - t0))
    BASE_STAGES="disks + tap|$((t1 - t0))
qemu (until daemonized)|$((t2 - t1))
wait for ssh|$((t0 + BASE_MS - t2))"
    baseline_stop
}

# ---- run ---------------------------------------------------------------------------------------

pressure() { sed -n 's/^some avg10=[0-9.]* avg60=\([0-9.]*\).*/\1%/p' /proc/pressure/cpu 2>/dev/null || :; }
say "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), CPU pressure $(pressure); $RUNS runs per figure; network namespace $(readlink /proc/self/ns/net)"

temp_registry_start "$WORK/registry" || die "docker-registry did not start on 127.0.0.1"
t=$(now_ms)
build_guest_image
say "guest image (busybox + dropbear) pushed to $TEMP_REGISTRY/bench/busybox:v1 in $(secs $(($(now_ms) - t))) s"

# Info level: the daemon logs its QEMU command lines and reserveVM times.
BANGER_LOG_LEVEL=info temp_daemon_start "$ROOT/build/bin/bangerd" || die "cannot start a temporary bangerd"
say "temporary bangerd pid $TEMP_DAEMON_PID, state in $TEMP_DAEMON_DIR"

t=$(now_ms)
banger kernel import cloud --deb "$KERNEL_DEB" >"$WORK/kernel.out" 2>&1 || die "kernel import: $(cat "$WORK/kernel.out")"
banger image pull "$TEMP_REGISTRY/bench/busybox:v1" --name bb --kernel-ref cloud >"$WORK/pull.out" 2>&1 \
    || die "image pull: $(cat "$WORK/pull.out")"
say "kernel imported ($(basename "$KERNEL_DEB")) and image pulled in $(secs $(($(now_ms) - t))) s"

banger kernel show --json cloud >"$WORK/kernel.json" || die "kernel show cloud failed"
banger image show --json bb >"$WORK/image.json" || die "image show bb failed"
VMLINUZ=$(json_field vmlinuz_path <"$WORK/kernel.json")
INITRD=$(json_field initrd_path <"$WORK/kernel.json")
ROOTFS=$(json_field rootfs_path <"$WORK/image.json")
WORK_SEED=$(json_field work_seed_path <"$WORK/image.json")
for f in "$VMLINUZ" "$INITRD" "$ROOTFS" "$WORK_SEED"; do [ -f "$f" ] || die "kernel/image file missing: '$f'"; done
SSH_KEY=$TEMP_DAEMON_DIR/state/ssh/id_ed25519
VM_VCPU=1 VM_MEMORY=512 VM_DISK_BYTES=$((4 << 30))   # VmSettings' defaults; the temp config sets none

# One untimed create first: the bridge appears, the daemon's JIT warms up as on a long-running host,
# and the command line it logs is the one the baseline must match.
banger_create warmup
FIRST_MS=$CREATE_MS
check_equivalent warmup
[ -f "$SSH_KEY.pub" ] || die "no SSH key at $SSH_KEY.pub"
# WorkDisks.authorize's edit: /root/.ssh/authorized_keys, 0600 in a 0700 .ssh, owned by root.
cat >"$WORK/authorize.debugfs" <<DEBUGFS
mkdir .ssh
write $SSH_KEY.pub .ssh/authorized_keys
set_inode_field .ssh mode 040700
set_inode_field .ssh uid 0
set_inode_field .ssh gid 0
set_inode_field .ssh/authorized_keys mode 0100600
set_inode_field .ssh/authorized_keys uid 0
set_inode_field .ssh/authorized_keys gid 0
set_inode_field <2> mode 040700
DEBUGFS
banger_delete warmup
say "warm-up create $(secs "$FIRST_MS") s; the baseline's QEMU command line matches bangerd's (paths, tap, address aside)"

BANGER_TIMES=() BASE_TIMES=()
for ((r = 1; r <= RUNS; r++)); do
    banger_create "b$r"
    BANGER_TIMES+=("$CREATE_MS")
    cat "$WORK/stages-b$r" >>"$WORK/stages.banger"
    banger_delete "b$r"
    baseline_boot
    BASE_TIMES+=("$BASE_MS")
    printf '%s\n' "$BASE_STAGES" >>"$WORK/stages.base"
    say "run $r: banger $(secs "$CREATE_MS") s, baseline $(secs "$BASE_MS") s"
done

# Parallel creates; each writes its own time.
for ((i = 1; i <= PARALLEL; i++)); do
    ( banger_create "p$i"; echo "$CREATE_MS" >"$WORK/par-$i.ms" ) &
done
fail=0
for ((i = 1; i <= PARALLEL; i++)); do wait -n || fail=$((fail + 1)); done
[ "$fail" -eq 0 ] || die "$fail of $PARALLEL parallel creates failed (output above)"
PAR_LINES=()
reserve_ok=PASS
for ((i = 1; i <= PARALLEL; i++)); do
    us=$(reserve_us "p$i")
    [ -n "$us" ] || die "bangerd logged no reserveVM line for p$i"
    le_ms=$(awk -v u="$us" -v t="$RESERVE_TARGET_MS" 'BEGIN { exit !(u / 1000 < t) }' && echo y || echo n)
    [ "$le_ms" = y ] || reserve_ok=MISS
    PAR_LINES+=("$(printf '    p%d: create %6s s, reserveVM %7.1f ms' "$i" "$(secs "$(cat "$WORK/par-$i.ms")")" "$(awk -v u="$us" 'BEGIN { print u / 1000 }')")")
done
mapfile -t par_names < <(seq -f "p%g" 1 "$PARALLEL")
banger_delete "${par_names[@]}"

# ---- report --------------------------------------------------------------------------------------

BM=$(median "${BANGER_TIMES[@]}") BB=$(median "${BASE_TIMES[@]}")
ratio=$(awk -v a="$BM" -v b="$BB" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
overhead=$((BM - BB))
print_stages() { # FILE: the median of each stage over the runs, in first-seen order
    local stage v
    mapfile -t names < <(cut -d'|' -f1 "$1" | awk '!seen[$0]++')
    for stage in "${names[@]}"; do
        mapfile -t v < <(awk -F'|' -v s="$stage" '$1 == s { print $2 }' "$1")
        printf '      %-26s %6s s\n' "$stage" "$(secs "$(median "${v[@]}")")"
    done
}
verdict() { if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; then echo PASS; else echo MISS; fi; }
echo
echo "== vm-create summary ($(nproc) cores, CPU pressure now $(pressure); medians of $RUNS, min-max in brackets) =="
printf '  banger vm create       : %6s s [%s]\n' "$(secs "$BM")" "$(spread "${BANGER_TIMES[@]}")"
printf '  baseline (by hand)     : %6s s [%s]\n' "$(secs "$BB")" "$(spread "${BASE_TIMES[@]}")"
printf '  ratio banger/baseline  : %s   target <= %s  %s\n' "$ratio" "$RATIO_TARGET" "$(verdict "$ratio" "$RATIO_TARGET")"
printf '  banger overhead        : %d ms   target <= %d ms  %s\n' "$overhead" "$OVERHEAD_TARGET_MS" "$(verdict "$overhead" "$OVERHEAD_TARGET_MS")"
echo "  where the time goes (medians; banger: from one progress line of the CLI to the next):"
echo "    banger:"
print_stages "$WORK/stages.banger"
echo "    baseline:"
print_stages "$WORK/stages.base"
echo "  $PARALLEL creates in parallel (reserveVM target < $RESERVE_TARGET_MS ms each: $reserve_ok):"
printf '%s\n' "${PAR_LINES[@]}"
echo "  warm-up create (fresh daemon, untimed above): $(secs "$FIRST_MS") s. Baseline = qemu-img overlay, work-seed copy grown"
echo "  to the same 4 GiB (e2fsck + resize2fs), key written with debugfs, tap on br-fc, the driver's QEMU command line,"
echo "  ssh -o ConnectTimeout=1 every 0.1 s; guest: busybox + dropbear, 1 vCPU, 512 MiB, TCG."
