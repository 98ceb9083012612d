#!/usr/bin/env bash
# workspace.sh: shipping a repository into a running VM with `banger vm workspace prepare` against
# `git archive HEAD | ssh VM tar -x` into the same VM, in the same run:
#
#   first ship:   a generated repository of FILES files / MB megabytes (one commit, text content
#                 that compresses like source), prepared into a fresh /root/repo.
#                 Target: <= 1.0 x the baseline (git archive | ssh tar -x into the same VM).
#   incremental:  10 files touched (a line appended), prepared again.  Target: <= 0.1 x the first ship.
#   vm run:       `vm run --rm PATH -- true` end to end against a bare `vm run --rm -- true`.
#
# The guest is busybox + dropbear + this host's git (as the CLI tests' busybox+git image), pulled
# through a docker-registry on loopback; the daemon, registry, bridge, taps and guests run in a
# private network namespace this script makes with only `lo` up. One run of each figure (TCG is
# slow): the figures are single measurements, alternated baseline first.
#
# Usage: sudo bench/workspace.sh   (WORKSPACE_BENCH_FILES=20000, WORKSPACE_BENCH_MB=300 by default)
# Exit 0 with a report, targets met or not; non-zero only when something broke. Bounded: 40 minutes
# (WORKSPACE_BENCH_LIMIT s).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"

die() { printf 'workspace: FAILED: %s\n' "$*" >&2; exit 1; }
say() { printf 'workspace: %s\n' "$*"; }

FILES=${WORKSPACE_BENCH_FILES:-20000}
MB=${WORKSPACE_BENCH_MB:-300}

. scripts/lib/vm-bench.sh
vm_bench_enter workspace "${WORKSPACE_BENCH_LIMIT:-2400}" "qemu-system-x86_64 docker-registry skopeo umoci busybox dropbear git \
    ssh tar ldd base64 split" "$@"

# ---- inside the private network namespace ---------------------------------------------------

. scripts/lib/temp-daemon.sh
. scripts/lib/temp-registry.sh
. scripts/lib/busybox-guest.sh

TIMEOUT=1200
KERNEL_DEB=$(guest_kernel_deb) || exit 1

banger() { timeout --foreground "$TIMEOUT" build/bin/banger --socket "$TEMP_DAEMON_SOCKET" "$@"; }

vm_bench_workdir workspace-bench

# ---- the guest image: busybox-static, dropbear and git with what they link against -------------

build_guest_image() {
    busybox_guest_push "$WORK" "$TEMP_REGISTRY/bench/bbgit:v1" /usr/bin/git || die "skopeo could not push the guest image to $TEMP_REGISTRY"
}

# ---- the repository: FILES files, MB megabytes of base64 text (compresses ~25 %, as source does) --

make_repo() {
    local repo=$WORK/repo per=$((MB * 1000000 / FILES))
    mkdir -p "$repo/src"
    git -C "$repo" init -q -b main
    git -C "$repo" config user.name Bench
    git -C "$repo" config user.email bench@example.org
    head -c $((MB * 1000000 * 3 / 4)) /dev/urandom | base64 -w 100 \
        | (cd "$repo/src" && split -a 5 -d -b "$per" - f)
    # 100 files per directory, as a source tree has them
    (cd "$repo/src" && for f in f*; do d=d${f:1:3}; mkdir -p "$d"; mv "$f" "$d/$f.txt"; done)
    git -C "$repo" add -A
    git -C "$repo" -c gc.auto=0 commit -q -m "generated" || die "git commit of the generated repository failed"
    REPO=$repo
}

# ---- run -------------------------------------------------------------------------------------

pressure() { sed -n 's/^some avg10=[0-9.]* avg60=\([0-9.]*\).*/\1%/p' /proc/pressure/cpu 2>/dev/null || :; }
say "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), CPU pressure $(pressure); network namespace $(readlink /proc/self/ns/net)"

t=$(now_ms)
make_repo
say "repository: $(git -C "$REPO" ls-files | wc -l) files, $(du -sm --exclude=.git "$REPO" | cut -f1) MB on disk, made in $(secs $(($(now_ms) - t))) s"

temp_registry_start "$WORK/registry" || die "docker-registry did not start on 127.0.0.1"
build_guest_image
# Info level: the daemon logs where each ship's guest-side seconds went.
BANGER_LOG_LEVEL=info temp_daemon_start "$ROOT/build/bin/bangerd" || die "cannot start a temporary bangerd"
banger kernel import cloud --deb "$KERNEL_DEB" >"$WORK/kernel.out" 2>&1 || die "kernel import: $(cat "$WORK/kernel.out")"
banger image pull "$TEMP_REGISTRY/bench/bbgit:v1" --name bbgit --kernel-ref cloud >"$WORK/pull.out" 2>&1 \
    || die "image pull: $(cat "$WORK/pull.out")"
banger vm create --name ws --image bbgit --memory 512 --disk-size 4G >"$WORK/create.out" 2>&1 \
    || die "vm create: $(cat "$WORK/create.out")"
say "VM ws running (1 vcpu, 512 MiB, 4G work disk)"

t=$(now_ms)
git -C "$REPO" archive HEAD | banger vm ssh ws -- 'rm -rf /root/base && mkdir /root/base && tar -x -C /root/base' \
    || die "baseline: git archive | ssh tar -x failed"
BASE_MS=$(($(now_ms) - t))
banger vm ssh ws -- 'rm -rf /root/base; sync' >/dev/null
say "baseline  git archive HEAD | ssh ws tar -x:   $(secs "$BASE_MS") s"

t=$(now_ms)
banger vm workspace prepare ws "$REPO" >"$WORK/ship.out" 2>&1 || die "vm workspace prepare: $(cat "$WORK/ship.out")"
SHIP_MS=$(($(now_ms) - t))
say "banger    vm workspace prepare (first):      $(secs "$SHIP_MS") s   ($(sed -n 's/^shipped //p' "$WORK/ship.out"))"
say "          in the guest: $(sed -n 's/.*shipped .* (full); seconds: //p' "$TEMP_DAEMON_LOG" | tail -n 1)"
[ "$(banger vm exec ws -- git status --porcelain | wc -l)" -eq 0 ] || die "the guest's git status is not clean after the ship"

for f in $(git -C "$REPO" ls-files | shuf -n 10 --random-source=<(yes)); do echo "touched" >>"$REPO/$f"; done
t=$(now_ms)
banger vm workspace prepare ws "$REPO" >"$WORK/update.out" 2>&1 || die "incremental prepare: $(cat "$WORK/update.out")"
UPDATE_MS=$(($(now_ms) - t))
say "banger    vm workspace prepare (10 touched): $(secs "$UPDATE_MS") s   ($(sed -n 's/^shipped //p' "$WORK/update.out"))"
say "          in the guest: $(sed -n 's/.*shipped .* (update); seconds: //p' "$TEMP_DAEMON_LOG" | tail -n 1)"
[ "$(banger vm exec ws -- git status --porcelain | wc -l)" -eq 10 ] || die "the guest does not show the 10 touched files"
banger vm delete -f ws >/dev/null 2>&1

t=$(now_ms)
banger vm run --rm --image bbgit --memory 512 --disk-size 4G -- true >/dev/null 2>&1 || die "vm run -- true failed"
BARE_MS=$(($(now_ms) - t))
t=$(now_ms)
banger vm run --rm --image bbgit --memory 512 --disk-size 4G "$REPO" -- true >/dev/null 2>&1 || die "vm run PATH -- true failed"
RUN_MS=$(($(now_ms) - t))
say "vm run --rm -- true:                         $(secs "$BARE_MS") s"
say "vm run --rm PATH -- true:                    $(secs "$RUN_MS") s   (+$(secs $((RUN_MS - BARE_MS))) s for the ship)"

say "first ship / baseline:  $(ratio "$SHIP_MS" "$BASE_MS") (target <= 1.0)"
say "incremental / first:    $(ratio "$UPDATE_MS" "$SHIP_MS") (target <= 0.1)"
