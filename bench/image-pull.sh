#!/usr/bin/env bash
# image-pull.sh: `banger image pull` (registry -> bootable rootfs.ext4, through a temporary bangerd)
# against the baseline pipeline `skopeo copy` + `umoci raw unpack` + `mkfs.ext4 -d`, both pulling
# the same test images from a docker-registry on 127.0.0.1 that this script starts. Nothing leaves
# loopback; the images are generated locally (random data plus copied system files).
#
#   cold: empty blob caches (banger's cache_dir/oci emptied, a fresh OCI dir for skopeo), two images:
#         "big" (one ~100 MB layer) and "multi" (5 layers of ~16 MB, whiteouts in layers 4 and 5).
#         Target: banger median <= 0.7 x baseline median, per image.
#   warm: blobs cached (and then also the rootfs built), the big image pulled again under a new name, against a bare
#         `mkfs.ext4 -d` of the same tree. Target: banger median <= 1.5 x bare mkfs median.
#
# Also prints where banger's time goes: the progress stages as the CLI receives them, the daemon's
# own timing of the tools it runs (debug log), and the daemon's CPU time per pull.
#
# Usage: sudo bench/image-pull.sh [RUNS]     (default 3; builds first when build/bin is missing)
# Needs root (umoci unpack with real ownership, the daemon's chown), docker-registry, skopeo,
# umoci, e2fsprogs (scripts/host-setup.sh installs them). Exit 0 with a report, targets met or
# not; non-zero only when something broke. Bounded: 30 minutes at most (IMAGE_PULL_BENCH_LIMIT s).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"

LIMIT=${IMAGE_PULL_BENCH_LIMIT:-1800}
if [ -z "${IMAGE_PULL_BENCH_BOUNDED:-}" ]; then
    # The whole run under a time limit: timeout sends TERM to its process group (this script, the
    # registry, the daemon, the tool running), the EXIT trap below cleans up; KILL a minute later
    # if that hangs. Inner timeouts use --foreground so that they stay in this group.
    IMAGE_PULL_BENCH_BOUNDED=1 exec timeout --kill-after=60 "$LIMIT" bash "$0" "$@"
fi

. scripts/lib/temp-daemon.sh
. scripts/lib/temp-registry.sh

RUNS=${1:-3}
COLD_TARGET=0.7
WARM_TARGET=1.5
PULL_TIMEOUT=600   # seconds, any single pull or baseline step

die() { printf 'image-pull: FAILED: %s\n' "$*" >&2; exit 1; }
say() { printf 'image-pull: %s\n' "$*"; }

case $RUNS in '' | *[!0-9]* | 0) die "RUNS must be a positive number, got '$RUNS'" ;; esac
[ "$(id -u)" -eq 0 ] || die "run as root (umoci unpacks with real ownership, bangerd chowns): sudo $0"
for tool in docker-registry skopeo umoci mkfs.ext4 debugfs curl tar ss; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (sudo scripts/host-setup.sh installs what this needs)"
done
if [ ! -x build/bin/banger ] || [ ! -x build/bin/bangerd ]; then
    ./scripts/build.sh || die "scripts/build.sh"
fi
case $(build/bin/banger image pull 2>&1 || :) in *'Usage: banger image pull'*) ;; *) die "build/bin/banger has no 'image pull': rebuild with scripts/build.sh" ;; esac

# Loopback only: make sure no proxy setting sends registry traffic elsewhere.
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

WORK=$(mktemp -d "${TMPDIR:-/tmp}/image-pull-bench.XXXXXX")
cleanup() {
    temp_registry_stop
    temp_daemon_stop
    rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
secs() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }   # ms -> s with 2 decimals
median() { # of integers
    local sorted n
    mapfile -t sorted < <(printf '%s\n' "$@" | sort -n)
    n=${#sorted[@]}
    if ((n % 2)); then echo "${sorted[n / 2]}"; else echo $(((sorted[n / 2 - 1] + sorted[n / 2]) / 2)); fi
}
spread() { # "min-max" of integers (ms), in s
    local sorted
    mapfile -t sorted < <(printf '%s\n' "$@" | sort -n)
    printf '%s-%s' "$(secs "${sorted[0]}")" "$(secs "${sorted[-1]}")"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# ---- test images ---------------------------------------------------------------------------

# base_tree DIR: what banger needs (an SSH server, /root with dotfiles) and a little of a distro.
base_tree() {
    local d=$1
    mkdir -p "$d"/{usr/sbin,usr/bin,usr/lib,root,etc/ssh,tmp,var/log,home/dev}
    : >"$d/usr/sbin/sshd"
    chmod 755 "$d/usr/sbin/sshd"
    printf '# ~/.bashrc (image-pull bench)\nexport PS1="\\u@\\h:\\w\\$ "\nalias ll="ls -l"\n' >"$d/root/.bashrc"
    printf '# ~/.profile\n. ~/.bashrc\n' >"$d/root/.profile"
    chmod 700 "$d/root"
    printf 'root:x:0:0:root:/root:/bin/bash\ndev:x:1000:1000::/home/dev:/bin/bash\n' >"$d/etc/passwd"
    printf 'root:x:0:\ndev:x:1000:\n' >"$d/etc/group"
    printf 'bench\n' >"$d/etc/hostname"
    printf 'PRETTY_NAME="bench"\nID=debian\nVERSION_ID="12"\n' >"$d/etc/os-release"
    printf 'Port 22\n' >"$d/etc/ssh/sshd_config"
    chmod 1777 "$d/tmp"
    printf 'hello\n' >"$d/home/dev/notes.txt"
    chown -R 1000:1000 "$d/home/dev"
    ln -s usr/bin "$d/bin"
    ln -s usr/sbin "$d/sbin"
    ln -s usr/lib "$d/lib"
    ln "$d/etc/hostname" "$d/etc/hostname.hardlink"
}

# random_files DIR PREFIX COUNT BYTES: incompressible files.
random_files() {
    local i
    mkdir -p "$1"
    for ((i = 0; i < $3; i++)); do
        head -c "$4" /dev/urandom >"$1/$2-$i.bin"
    done
}

# copy_files DEST SKIP_BYTES BUDGET_BYTES SRC...: regular files under SRC (sorted by path, ASCII
# names), skipping the first SKIP_BYTES worth, then copying until BUDGET_BYTES; paths are kept
# (DEST/usr/share/...), owners and modes too.
copy_files() {
    local dest=$1 skip=$2 budget=$3
    shift 3
    find "$@" -type f -readable -printf '%s %p\n' 2>/dev/null | LC_ALL=C grep -v '[^ -~]' | LC_ALL=C sort -k2 |
        awk -v skip="$skip" -v budget="$budget" '
            { size = $1; name = substr($0, length($1) + 3) }   # path without its leading /
            seen < skip { seen += size; next }
            took + size > budget { next }   # too big for what is left (no early exit: it would SIGPIPE sort)
            { took += size; print name }' >"$WORK/copy-list"
    [ -s "$WORK/copy-list" ] || die "copy_files: nothing to copy from $*"
    tar -C / --no-recursion -cf - -T "$WORK/copy-list" | tar -C "$dest" -xf -
}

# layer_tar DIR OUT: an uncompressed layer archive (umoci compresses it with gzip).
layer_tar() { tar -C "$1" --sort=name --numeric-owner -cf "$2" .; }

tree_bytes() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }'; }
tree_files() { find "$1" | wc -l; }

LIBS=/usr/lib/x86_64-linux-gnu
[ -d "$LIBS" ] || LIBS=/usr/lib
# Not /usr/share/man: its man1 (thousands of entries in one directory) makes mkfs.ext4 -d
# (e2fsprogs 1.47.0, quadratic in a directory's size) dominate both sides.
TEXT=(/usr/share/doc /usr/share/perl /usr/share/zoneinfo /usr/share/locale)
MiB=$((1 << 20))

build_images() {
    local src=$WORK/src oci=$WORK/oci-build l n
    mkdir -p "$src"
    umoci init --layout "$oci"

    # big: one layer, ~100 MB: ~35 MiB random, ~35 MB of shared libraries, ~30 MB of text.
    mkdir -p "$src/big"
    base_tree "$src/big"
    random_files "$src/big/opt/blobs" large 10 $((2 * MiB))
    random_files "$src/big/opt/blobs/small" small 240 $((64 * 1024))
    copy_files "$src/big" 0 $((35 * MiB)) "$LIBS"
    copy_files "$src/big" 0 $((30 * MiB)) "${TEXT[@]}"
    layer_tar "$src/big" "$WORK/big.tar"
    umoci new --image "$oci:big"
    umoci raw add-layer --image "$oci:big" "$WORK/big.tar"
    umoci config --image "$oci:big" --config.cmd /bin/sh --config.workingdir /root
    BIG_BYTES=$(tree_bytes "$src/big") BIG_FILES=$(tree_files "$src/big")
    rm -f "$WORK/big.tar"

    # multi: 5 layers of ~16 MB. Layer 4 whites out a file and a directory of layer 2, layer 5
    # makes layer 3's /opt/l3 opaque (keeps only what layer 5 puts there) and replaces /etc/hostname.
    for l in 1 2 3 4 5; do mkdir -p "$src/m$l"; done
    base_tree "$src/m1"
    copy_files "$src/m1" 0 $((8 * MiB)) "$LIBS"
    copy_files "$src/m1" 0 $((8 * MiB)) /usr/share/doc
    random_files "$src/m2/opt/l2" data 6 "$MiB"
    random_files "$src/m2/opt/l2/dir-gone" f 20 $((64 * 1024))
    head -c $((2 * MiB)) /dev/urandom >"$src/m2/opt/l2/gone.bin"
    copy_files "$src/m2" 0 $((8 * MiB)) /usr/share/perl /usr/share/zoneinfo
    random_files "$src/m3/opt/l3" data 8 "$MiB"
    copy_files "$src/m3" $((8 * MiB)) $((9 * MiB)) "$LIBS"
    random_files "$src/m4/opt/l4" data 8 "$MiB"
    copy_files "$src/m4" $((8 * MiB)) $((8 * MiB)) /usr/share/doc
    mkdir -p "$src/m4/opt/l2"
    : >"$src/m4/opt/l2/.wh.gone.bin"
    : >"$src/m4/opt/l2/.wh.dir-gone"
    random_files "$src/m5/opt/l5" data 8 "$MiB"
    copy_files "$src/m5" 0 $((8 * MiB)) /usr/share/locale /usr/share/zoneinfo
    mkdir -p "$src/m5/opt/l3" "$src/m5/etc"
    : >"$src/m5/opt/l3/.wh..wh..opq"
    printf 'kept\n' >"$src/m5/opt/l3/kept.txt"
    printf 'bench-multi\n' >"$src/m5/etc/hostname"
    umoci new --image "$oci:multi"
    MULTI_LAYER_BYTES='' MULTI_BYTES=0
    for l in 1 2 3 4 5; do
        layer_tar "$src/m$l" "$WORK/m$l.tar"
        n=$(stat -c %s "$WORK/m$l.tar")
        MULTI_BYTES=$((MULTI_BYTES + n))
        MULTI_LAYER_BYTES+="${MULTI_LAYER_BYTES:+ }$((n / MiB))"
        umoci raw add-layer --image "$oci:multi" "$WORK/m$l.tar"
        rm -f "$WORK/m$l.tar"
    done
    umoci config --image "$oci:multi" --config.cmd /bin/sh --config.workingdir /root
    rm -rf "$src"

    for l in big multi; do
        timeout --foreground "$PULL_TIMEOUT" skopeo copy -q --insecure-policy --dest-tls-verify=false "oci:$oci:$l" "docker://$REG/bench/$l:v1" \
            || die "skopeo could not push $l to $REG"
    done
    BIG_GZ=$(skopeo inspect --tls-verify=false --raw "docker://$REG/bench/big:v1" | sed -n 's/.*"layers":\[{[^}]*"size":\([0-9]*\).*/\1/p')
    rm -rf "$oci"
}

# ---- banger --------------------------------------------------------------------------------

# cpu_ticks: the daemon's CPU time (its threads + its waited-for children), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$TEMP_DAEMON_PID/stat"; }
CLK_TCK=$(getconf CLK_TCK)

# banger_pull REPO NAME: one timed pull. Sets PULL_MS, PULL_STAGES (file: "ms stage", the CLI's
# progress lines, timestamped on arrival), PULL_LOG (the daemon's log lines of this pull),
# PULL_CPU_MS (daemon + children), PULL_ROOTFS.
banger_pull() {
    local repo=$1 name=$2 t0 t1 c0 c1 rc lines
    sync
    lines=$(wc -l <"$TEMP_DAEMON_LOG")
    c0=$(cpu_ticks)
    t0=$(now_ms)
    set +e
    timeout --foreground "$PULL_TIMEOUT" build/bin/banger --socket "$S" image pull "$REG/bench/$repo:v1" --name "$name" \
        2>&1 >"$WORK/pull.out" | while IFS= read -r line; do printf '%s %s\n' "$(now_ms)" "$line"; done >"$WORK/pull.stages"
    rc=${PIPESTATUS[0]}
    set -e
    t1=$(now_ms)
    c1=$(cpu_ticks)
    tail -n +"$((lines + 1))" "$TEMP_DAEMON_LOG" >"$WORK/pull.log"
    if [ "$rc" -ne 0 ]; then
        sed 's/^/    /' "$WORK/pull.stages" "$WORK/pull.out" >&2
        sed 's/^/    daemon: /' "$WORK/pull.log" | tail -n 30 >&2
        die "banger image pull $REG/bench/$repo:v1 --name $name exited $rc"
    fi
    PULL_MS=$((t1 - t0))
    PULL_CPU_MS=$(((c1 - c0) * 1000 / CLK_TCK))
    # (--json would silence the progress lines: ask for the path afterwards, untimed.)
    timeout --foreground 60 build/bin/banger --socket "$S" image show --json "$name" >"$WORK/show.json" || die "banger image show $name failed"
    PULL_ROOTFS=$(sed -n 's/.*"rootfs_path" *: *"\([^"]*\)".*/\1/p' "$WORK/show.json" | head -n 1)
    [ -f "$PULL_ROOTFS" ] || die "banger image show $name gave no rootfs_path that exists: $(cat "$WORK/show.json")"
    # Stage durations: from each progress line to the next; "cli+connect" before the first one,
    # "publish" to the end of the command. "unpack layer i/n" lines sum to "unpack layers".
    awk -v t0="$t0" -v t1="$t1" '
        { sub(/ \([^)]*\)$/, ""); t = $1; s = substr($0, length($1) + 4)
          sub(/^resolve .*/, "resolve", s); sub(/^unpack layer .*/, "unpack layers", s)
          # Downloads still running report "fetch layers" again between unpack lines: that time
          # belongs to the unpacking the pull is waiting on.
          if (s == "fetch layers" && unpacking) next
          if (s == "unpack layers") unpacking = 1
          ts[++m] = t; st[m] = s }
        END { if (m == 0) { exit }
              printf "cli+connect %d\n", ts[1] - t0
              for (i = 1; i <= m; i++) { d[st[i]] += (i < m ? ts[i + 1] : t1) - ts[i]; if (!(st[i] in o)) { o[st[i]] = ++n; ord[n] = st[i] } }
              for (i = 1; i <= n; i++) printf "%s %d\n", ord[i], d[ord[i]] }' "$WORK/pull.stages" |
        sed 's/ \([0-9-]*\)$/|\1/' >"$WORK/pull.stagems"
    # When the last blob entered the cache (its ctime: the rename after download and checks), for
    # pulls that downloaded every blob: the whole fetch, which the stages show only up to layer 1.
    find "$TEMP_DAEMON_DIR/cache/oci" -type f -printf '%C@\n' 2>/dev/null |
        awk -v t0="$t0" '{ ms = int($1 * 1000); if (ms < t0) old = 1; if (ms > last) last = ms }
            END { if (NR && !old) printf "all blobs cached, since start|%d\n", last - t0 }' >>"$WORK/pull.stagems"
    # The daemon's own timing of the tools it ran (CommandRunner logs them at debug level).
    sed -n 's/.*exit 0 in \([0-9]*\) ms: \(mkfs.ext4\|debugfs\|rm\) .*-L \(rootfs\|work\) .*/\2 \3|\1/p;
            s/.*exit 0 in \([0-9]*\) ms: rm -rf .*/rm -rf tree|\1/p;
            s/.*exit 0 in \([0-9]*\) ms: debugfs .*/debugfs fixups|\1/p' "$WORK/pull.log" >"$WORK/pull.toolms"
}

banger_delete() {
    timeout --foreground 120 build/bin/banger --socket "$S" image delete "$1" >/dev/null 2>"$WORK/delete.err" \
        || die "banger image delete $1: $(cat "$WORK/delete.err")"
}

# Cold means nothing cached: neither blobs (cache/oci) nor the rootfs earlier pulls built (cache/rootfs).
clear_caches() { rm -rf -- "$TEMP_DAEMON_DIR/cache/oci" "$TEMP_DAEMON_DIR/cache/rootfs"; }
clear_built_rootfs() { rm -rf -- "$TEMP_DAEMON_DIR/cache/rootfs"; }

# record_stages KEY: appends this pull's stage and tool times to STAGES_KEY files for medians.
record_stages() {
    {
        cat "$WORK/pull.stagems" "$WORK/pull.toolms"
        printf 'total|%s\n' "$PULL_MS"
        printf 'daemon CPU (incl. tools)|%s\n' "$PULL_CPU_MS"
    } >>"$WORK/stages.$1"
}

print_stages() { # KEY: median of each stage over the runs, in first-seen order
    local key=$1 stage names
    mapfile -t names < <(cut -d'|' -f1 "$WORK/stages.$key" | awk '!seen[$0]++')
    for stage in "${names[@]}"; do
        mapfile -t v < <(awk -F'|' -v s="$stage" '$1 == s { print $2 }' "$WORK/stages.$key")
        printf '      %-34s %6s s  (n=%d)\n' "$stage" "$(secs "$(median "${v[@]}")")" "${#v[@]}"
    done
}

# ---- baseline: skopeo + umoci + mkfs.ext4 ----------------------------------------------------

# rootfs_size BYTES: banger's rule, content x 1.5 rounded up to MiB, at least 1 GiB.
rootfs_size() { local w=$(($1 + $1 / 2)); ((w < 1 << 30)) && w=$((1 << 30)); echo $(((w + MiB - 1) / MiB * MiB)); }

# baseline_pull REPO: one timed run, in a fresh directory. Sets BASE_MS, BASE_STEPS ("skopeo|ms
# umoci|ms mkfs|ms") and leaves the rootfs in $WORK/base/rootfs (the next run replaces it).
baseline_pull() {
    local repo=$1 t0 t1 t2 t3 size
    rm -rf "$WORK/base"
    mkdir -p "$WORK/base"
    sync
    t0=$(now_ms)
    timeout --foreground "$PULL_TIMEOUT" skopeo copy -q --insecure-policy --src-tls-verify=false \
        "docker://$REG/bench/$repo:v1" "oci:$WORK/base/oci:$repo" >/dev/null || die "baseline: skopeo copy of $repo failed"
    t1=$(now_ms)
    timeout --foreground "$PULL_TIMEOUT" umoci raw unpack --image "$WORK/base/oci:$repo" "$WORK/base/rootfs" >/dev/null 2>"$WORK/umoci.err" \
        || die "baseline: umoci raw unpack of $repo failed: $(tail -n 5 "$WORK/umoci.err")"
    t2=$(now_ms)
    size=$(rootfs_size "$(tree_bytes "$WORK/base/rootfs")")
    timeout --foreground "$PULL_TIMEOUT" mkfs.ext4 -q -F -d "$WORK/base/rootfs" "$WORK/base/rootfs.ext4" "$((size / 1024))k" >/dev/null \
        || die "baseline: mkfs.ext4 -d of $repo failed"
    t3=$(now_ms)
    BASE_MS=$((t3 - t0))
    printf 'skopeo copy|%s\numoci raw unpack|%s\nmkfs.ext4 -d (+ size)|%s\ntotal|%s\n' \
        $((t1 - t0)) $((t2 - t1)) $((t3 - t2)) "$BASE_MS" >>"$WORK/stages.base-$repo"
    BASE_SIZE=$size
}

# ---- checks: banger's rootfs has what the baseline's has -------------------------------------

# ext4_ls IMAGE DIR: names in DIR of an ext4 image (debugfs, no mount), sorted.
ext4_ls() {
    debugfs -R "ls -p $2" "$1" 2>/dev/null | awk -F/ 'NF >= 6 && $6 != "." && $6 != ".." && $6 != "lost+found" { print $6 }' | LC_ALL=C sort
}
check_same() { # IMAGE DIR...: each DIR lists the same in banger's ext4 and in the baseline's tree
    local img=$1 d a b
    shift
    for d in "$@"; do
        a=$(ext4_ls "$img" "$d")
        b=$(find "$WORK/base/rootfs$d" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort)
        [ -n "$b" ] || die "check: the baseline has nothing in $d"
        [ "$a" = "$b" ] || die "check: $d differs between banger's rootfs and the baseline's: banger [${a//$'\n'/ }] baseline [${b//$'\n'/ }]"
    done
}

# ---- run -----------------------------------------------------------------------------------

# The machine's business: CPU pressure (share of time some task waited for a CPU) moves every figure.
pressure() { sed -n 's/^some avg10=[0-9.]* avg60=\([0-9.]*\).*/\1%/p' /proc/pressure/cpu 2>/dev/null || :; }
say "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), CPU pressure $(pressure); $RUNS runs per figure; work dir $WORK"
temp_registry_start "$WORK/registry" || die "docker-registry did not start on 127.0.0.1"
REG=$TEMP_REGISTRY
say "docker-registry on $REG (pid $TEMP_REGISTRY_PID)"
t=$(now_ms)
build_images
say "built and pushed bench/big:v1 ($((BIG_BYTES / MiB)) MiB in $BIG_FILES entries, gzip layer $((BIG_GZ / MiB)) MiB) and bench/multi:v1 (5 layers of $MULTI_LAYER_BYTES MiB) in $(secs $(($(now_ms) - t))) s"

# Debug level: CommandRunner then logs each tool's run time. Overrides the temp config's level.
# BANGERD_JAVA_OPTS: JVM options for the daemon only, e.g. a JFR recording to see where pulls spend
# CPU: BANGERD_JAVA_OPTS=-XX:StartFlightRecording=filename=/tmp/pull.jfr,settings=profile
BANGER_LOG_LEVEL=debug BANGER_JAVA_OPTS=${BANGERD_JAVA_OPTS:-} temp_daemon_start "$ROOT/build/bin/bangerd" || die "cannot start a temporary bangerd"
S=$TEMP_DAEMON_SOCKET
say "temporary bangerd pid $TEMP_DAEMON_PID, socket $S"

declare -A FIRST COLD_BANGER COLD_BANGER_SPREAD COLD_BASE COLD_BASE_SPREAD DESCRIBE
DESCRIBE[big]="1 layer, $((BIG_BYTES / MiB)) MiB"
DESCRIBE[multi]="5 layers, $((MULTI_BYTES / MiB)) MiB"

# One untimed pull per image first: the daemon's JIT warms up as it would on a long-running host
# (a fresh daemon's first pull is reported for information only).
for repo in big multi; do
    clear_caches
    banger_pull "$repo" "first-$repo"
    FIRST[$repo]=$PULL_MS
    banger_delete "first-$repo"
done

# Cold: banger and the baseline alternate, so drifting machine load hits both alike.
for repo in big multi; do
    BANGER_TIMES=() BASE_TIMES=()
    for ((r = 1; r <= RUNS; r++)); do
        clear_caches
        banger_pull "$repo" "cold-$repo-$r"
        BANGER_TIMES+=("$PULL_MS")
        record_stages "cold-$repo"
        baseline_pull "$repo"
        BASE_TIMES+=("$BASE_MS")
        if [ "$r" -eq 1 ]; then
            check_same "$PULL_ROOTFS" / /root /usr/sbin /home/dev /opt
            if [ "$repo" = multi ]; then
                check_same "$PULL_ROOTFS" /opt/l2 /opt/l3
                h=$(debugfs -R "cat /etc/hostname" "$PULL_ROOTFS" 2>/dev/null)
                [ "$h" = bench-multi ] || die "check: /etc/hostname in banger's rootfs is '$h', not layer 5's bench-multi"
            fi
        fi
        banger_delete "cold-$repo-$r"
        [ "$repo" != big ] || WARM_SIZE=$BASE_SIZE
    done
    COLD_BANGER[$repo]=$(median "${BANGER_TIMES[@]}") COLD_BANGER_SPREAD[$repo]=$(spread "${BANGER_TIMES[@]}")
    COLD_BASE[$repo]=$(median "${BASE_TIMES[@]}") COLD_BASE_SPREAD[$repo]=$(spread "${BASE_TIMES[@]}")
    if [ "$repo" = big ]; then
        # Warm: blobs still cached from the last cold pull. banger vs a bare mkfs.ext4 -d of the
        # baseline's tree of the same image (alternating).
        mv "$WORK/base/rootfs" "$WORK/warm-tree"
        WARM_TIMES=() REUSE_TIMES=() MKFS_TIMES=()
        for ((r = 1; r <= RUNS; r++)); do
            # Blobs cached, rootfs built again (the image is new to this daemon's rootfs cache)...
            clear_built_rootfs
            banger_pull big "warm-big-$r"
            WARM_TIMES+=("$PULL_MS")
            record_stages warm-big
            # ...and the same image once more: the rootfs the pull above built is reused.
            banger_pull big "reuse-big-$r"
            REUSE_TIMES+=("$PULL_MS")
            banger_delete "warm-big-$r"
            banger_delete "reuse-big-$r"
            rm -f "$WORK/warm.ext4"
            sync
            t0=$(now_ms)
            timeout --foreground "$PULL_TIMEOUT" mkfs.ext4 -q -F -d "$WORK/warm-tree" "$WORK/warm.ext4" "$((WARM_SIZE / 1024))k" >/dev/null \
                || die "bare mkfs.ext4 -d failed"
            MKFS_TIMES+=($(($(now_ms) - t0)))
        done
        rm -rf "$WORK/warm-tree" "$WORK/warm.ext4"
        WARM_BANGER=$(median "${WARM_TIMES[@]}") WARM_BANGER_SPREAD=$(spread "${WARM_TIMES[@]}")
        WARM_MKFS=$(median "${MKFS_TIMES[@]}") WARM_MKFS_SPREAD=$(spread "${MKFS_TIMES[@]}")
        REUSE_BANGER=$(median "${REUSE_TIMES[@]}") REUSE_BANGER_SPREAD=$(spread "${REUSE_TIMES[@]}")
    fi
    rm -rf "$WORK/base"
done

# ---- report --------------------------------------------------------------------------------

verdict() { if le "$1" "$2"; then echo PASS; else echo MISS; fi; }
echo
echo "== where banger's time goes (medians of $RUNS; stages as the CLI sees them, tools as bangerd times them) =="
for key in cold-big cold-multi warm-big; do
    echo "  $key:"
    print_stages "$key"
done
for repo in big multi; do
    echo "  baseline $repo:"
    print_stages "base-$repo"
done
cat <<NOTES
  Stages run from one progress line to the next as the CLI receives them; "cli+connect" is the
  CLI's start until the first one. "fetch layers" ends when the first layer is complete (layers
  download 4 at a time); "unpack layers" then overlaps the remaining downloads. "all blobs
  cached" is when the last blob was in the cache, counted from the command's start. "build
  work-seed" includes removing the staging tree ("rm -rf tree"). Tool times are bangerd's own
  (debug log); daemon CPU includes its tools. First pull of a freshly started daemon (cold JVM,
  untimed above): big $(secs "${FIRST[big]}") s, multi $(secs "${FIRST[multi]}") s.
NOTES

r_warm=$(ratio "$WARM_BANGER" "$WARM_MKFS")
echo
echo "== image-pull summary ($(nproc) cores, CPU pressure now $(pressure); medians of $RUNS, min-max in brackets) =="
for repo in big multi; do
    r=$(ratio "${COLD_BANGER[$repo]}" "${COLD_BASE[$repo]}")
    printf '  cold %-26s: banger %6s s [%s]  baseline  %6s s [%s]  ratio %s  target <= %s  %s\n' \
        "$repo (${DESCRIBE[$repo]})" "$(secs "${COLD_BANGER[$repo]}")" "${COLD_BANGER_SPREAD[$repo]}" \
        "$(secs "${COLD_BASE[$repo]}")" "${COLD_BASE_SPREAD[$repo]}" "$r" "$COLD_TARGET" "$(verdict "$r" "$COLD_TARGET")"
done
printf '  warm %-26s: banger %6s s [%s]  bare mkfs %6s s [%s]  ratio %s  target <= %s  %s\n' \
    "big (blobs cached)" "$(secs "$WARM_BANGER")" "$WARM_BANGER_SPREAD" "$(secs "$WARM_MKFS")" "$WARM_MKFS_SPREAD" \
    "$r_warm" "$WARM_TARGET" "$(verdict "$r_warm" "$WARM_TARGET")"
r_reuse=$(ratio "$REUSE_BANGER" "$WARM_MKFS")
printf '  warm %-26s: banger %6s s [%s]  bare mkfs %6s s [%s]  ratio %s  target <= %s  %s\n' \
    "big (rootfs built before)" "$(secs "$REUSE_BANGER")" "$REUSE_BANGER_SPREAD" "$(secs "$WARM_MKFS")" "$WARM_MKFS_SPREAD" \
    "$r_reuse" "$WARM_TARGET" "$(verdict "$r_reuse" "$WARM_TARGET")"
echo "  baseline = skopeo copy + umoci raw unpack + mkfs.ext4 -d (size as banger: content x 1.5, >= 1 GiB)"
