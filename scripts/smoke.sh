#!/usr/bin/env bash
# smoke.sh: named end-to-end scenarios through the real launchers (build/bin/banger, build/bin/bangerd)
# against a real temporary bangerd, in a private network namespace with only `lo` up: a
# docker-registry on loopback serves the guest image (busybox + dropbear + git, built from this
# host's files), the kernel is Debian's cloud kernel from scripts/host-setup.sh's cache. No internet.
#
# Usage: sudo scripts/smoke.sh [--list] [--scenario NAME[,NAME...]]... [--jobs N] [--keep-going]
#   --list          the scenarios, one a line: name and what it checks
#   --scenario      run only these (repeatable, or a comma list); default: all
#   --jobs N        run up to N scenarios at once (default 1); each uses VM names of its own.
#                   Scenarios marked "alone" (daemon restart, leak checks) run by themselves at the end.
# Ends with a table (scenario, result, seconds); exit 0 only when every scenario passed. A failed
# scenario's output is shown. Needs root (bridge, taps, QEMU) and what scripts/host-setup.sh
# installs. Builds first when build/bin is missing. Bounded: SMOKE_LIMIT seconds (default 1800).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"

die() { printf 'smoke: FAILED: %s\n' "$*" >&2; exit 1; }
say() { printf 'smoke: %s\n' "$*"; }

# ---- the scenarios: name|needs|mode|what it checks ------------------------------------------------
# needs: - (nothing), image (kernel smoke-k and image bb), shared (also the running VM "shared",
# which read-only scenarios share). mode: par (may run beside others) or alone.
SCENARIOS=(
    "version-ping|-|par|banger --version, bangerd --version, banger ping and daemon status answer"
    "kernel-import|-|par|kernel import --deb of Debian's cloud kernel; kernel show, list, delete"
    "kernel-list-show|image|par|kernel list names the imported kernel; kernel show --json points at its files"
    "image-pull-oci|image|par|image pull from the loopback OCI registry; image show; a pull of a missing tag fails naming it"
    "image-pull-bundle|image|par|internal make-bundle, then image pull --bundle with its sha256; a wrong sha256 is refused"
    "image-list-show|image|par|image list and image show --json of the image the VMs boot"
    "image-delete|image|par|image delete removes row and files; show and delete of it again fail naming it"
    "vm-create-bad-image|image|par|vm create --image nosuch fails naming the image and leaves no VM"
    "vm-lifecycle|image|par|vm create, ssh, stop, set, start, restart, kill, delete: states, DNS and files follow"
    "vm-run-exit-status|image|par|vm run --rm -- sh -c 'exit 7' exits 7 and deletes its VM"
    "vm-run-detach|image|par|vm run -d boots and returns; the VM runs until deleted"
    "vm-ssh|shared|par|vm ssh runs a command line in the guest and propagates its exit status"
    "vm-exec|shared|par|vm exec: stdout, exit status, --workdir, --env"
    "vm-cp|shared|par|vm cp a file and a directory into the guest and back, byte for byte"
    "vm-show-logs|shared|par|vm show --json (running, address) and vm logs (the guest's console)"
    "ps|shared|par|banger ps and vm list show the running VM"
    "dns|shared|par|<name>.vm resolves to the VM's address at bangerd's DNS; an unknown name is NXDOMAIN"
    "vm-ports|shared|par|vm ports lists a port a guest program listens on"
    "nat|shared|par|a --nat VM reaches a server in a second namespace (the internet); a VM without --nat does not"
    "ssh-config|shared|par|as banger-test: ssh-config --install, then plain ssh NAME.vm reaches the guest"
    "user-cli|shared|par|as banger-test (group banger): ps, image list, vm ssh, vm exec on root's daemon"
    "user-vm-create-delete|image|par|as banger-test: vm create, vm ssh, vm delete"
    "workspace-run|image|par|as banger-test: vm run --rm PATH ships the git repo to /root/repo and runs there"
    "workspace-export|shared|par|vm workspace prepare, a change in the guest, vm workspace export | git apply on the host"
    "doctor|-|par|banger doctor checks this host and the daemon and exits 0"
    "system-install|-|par|system install --root into a scratch root: unit, launchers, install.toml, status, uninstall --purge"
    "daemon-operations|-|par|daemon operations lists nothing when idle; bad RPC input answers an error, daemon keeps serving"
    "vm-run-rm-interrupt|image|alone|Ctrl-C (SIGINT to the CLI's process group) during vm run --rm: VM gone, nothing leaked"
    "vm-create-cancelled|image|alone|the client killed while vm create boots: no VM, tap, directory or QEMU left"
    "daemon-restart-adopts|shared|alone|bangerd stopped and started again adopts the running VM: same QEMU, SSH and DNS work"
    "warm-start-kill|image|alone|warm_start on: bangerd SIGKILLed while it builds a template; the restart leaves no VM, tap, dir, QEMU or staging of it"
)

sc_field() { # sc_field NAME FIELD(1-4)
    local s
    for s in "${SCENARIOS[@]}"; do
        [ "${s%%|*}" = "$1" ] && { cut -d'|' -f"$2" <<<"$s"; return 0; }
    done
    return 1
}

usage() { sed -n '8,15p' "$0" | sed 's/^# \{0,1\}//'; }

LIST=0 JOBS=1 SELECTED=()
while [ $# -gt 0 ]; do
    case $1 in
        --list) LIST=1 ;;
        --scenario) [ $# -ge 2 ] || die "--scenario needs a NAME"; IFS=, read -r -a more <<<"$2"; SELECTED+=("${more[@]}"); shift ;;
        --scenario=*) IFS=, read -r -a more <<<"${1#*=}"; SELECTED+=("${more[@]}") ;;
        --jobs) [ $# -ge 2 ] || die "--jobs needs a number"; JOBS=$2; shift ;;
        --jobs=*) JOBS=${1#*=} ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument '$1'" ;;
    esac
    shift
done
case $JOBS in '' | *[!0-9]* | 0) die "--jobs must be a positive number, got '$JOBS'" ;; esac
for s in "${SELECTED[@]}"; do
    sc_field "$s" 1 >/dev/null || die "no scenario '$s' (scripts/smoke.sh --list names them)"
done
if [ "$LIST" -eq 1 ]; then
    for s in "${SCENARIOS[@]}"; do
        IFS='|' read -r name needs mode what <<<"$s"
        printf '%-24s %-5s %s\n' "$name" "$([ "$mode" = alone ] && echo alone)" "$what"
    done
    exit 0
fi
if [ ${#SELECTED[@]} -eq 0 ]; then
    for s in "${SCENARIOS[@]}"; do SELECTED+=("${s%%|*}"); done
fi

if [ -z "${SMOKE_NETNS:-}" ]; then
    [ "$(id -u)" -eq 0 ] || die "run as root (bridge, taps, QEMU on them): sudo $0"
    for tool in unshare nsenter ip qemu-system-x86_64 docker-registry skopeo umoci busybox dropbear dropbearkey git \
        ssh dig setpriv setsid curl ss ldd tar sha256sum; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (sudo scripts/host-setup.sh installs what this needs)"
    done
    id banger-test >/dev/null 2>&1 || die "no user banger-test (sudo scripts/host-setup.sh creates it, in group banger)"
    if [ ! -x build/bin/banger ] || [ ! -x build/bin/bangerd ]; then
        ./scripts/build.sh || die "scripts/build.sh"
    fi
    # Everything in a fresh network namespace and under a time limit: timeout sends TERM to its
    # process group, the inner EXIT trap cleans up; KILL a minute later if that hangs.
    # unshare and env exec: $! is timeout, which passes TERM and INT on to the suite.
    . scripts/lib/private-netns.sh
    NETNS_FILE=$(mktemp)
    unshare --net -- env SMOKE_NETNS="$NETNS_FILE" \
        timeout --kill-after=60 "${SMOKE_LIMIT:-1800}" bash "$0" --jobs "$JOBS" --scenario "$(IFS=,; echo "${SELECTED[*]}")" &
    suite=$!
    trap 'kill -TERM $suite 2>/dev/null' TERM INT HUP
    rc=0
    until wait "$suite"; do
        rc=$?
        kill -0 "$suite" 2>/dev/null || break   # a trapped signal interrupts wait: wait again
    done
    ns=$(cat "$NETNS_FILE")
    rm -f "$NETNS_FILE"
    if [ -n "$ns" ]; then
        left=$(netns_holders "$ns")
        if [ -n "$left" ]; then
            printf 'smoke: FAILED: processes still hold the smoke network namespace %s: %s\n' "$ns" "$left" >&2
            [ "$rc" -ne 0 ] || rc=1
        fi
    fi
    [ "$rc" -ne 124 ] || echo "smoke: FAILED: the suite ran over SMOKE_LIMIT=${SMOKE_LIMIT:-1800} s" >&2
    exit "$rc"
fi

# ---- inside the private network namespace ---------------------------------------------------

. scripts/lib/temp-daemon.sh
. scripts/lib/temp-registry.sh
. scripts/lib/busybox-guest.sh

readlink /proc/self/ns/net >"$SMOKE_NETNS"
ip link set lo up
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

KERNEL_DEB=$(guest_kernel_deb) || exit 1
# Other users (banger-test) read the repository and files the scenarios hand them.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/smoke.XXXXXX")
chmod 755 "$WORK"
mkdir "$WORK/out"
CMD_TIMEOUT=300   # seconds, any single banger command
USER_NAME=banger-test
BANGER=$ROOT/build/bin/banger

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# ---- helpers for scenarios (each runs in a subshell; `fail` ends it) -------------------------------

fail() { printf 'FAIL: %s\n' "$*"; exit 1; }
step() { printf -- '-- %s\n' "$*"; }
b() { timeout --foreground "$CMD_TIMEOUT" "$BANGER" --socket "$TEMP_DAEMON_SOCKET" "$@"; }
# bu: banger as banger-test, with a HOME of the scenario's own (made by user_home).
bu() {
    timeout --foreground "$CMD_TIMEOUT" setpriv --reuid="$USER_NAME" --regid="$(id -gn "$USER_NAME")" --init-groups -- \
        env HOME="$UHOME" "$BANGER" --socket "$TEMP_DAEMON_SOCKET" "$@"
}
as_user() { setpriv --reuid="$USER_NAME" --regid="$(id -gn "$USER_NAME")" --init-groups -- env HOME="$UHOME" "$@"; }
user_home() { UHOME=$WORK/home-$1; mkdir -p "$UHOME"; chown "$USER_NAME:" "$UHOME"; chmod 700 "$UHOME"; }
# ok CMD...: run it, show it and its output; fail when it exits non-zero.
ok() {
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    printf '$ %s\n%s\n' "$*" "$out"
    [ "$rc" -eq 0 ] || fail "exit $rc: $*"
    OUT=$out
}
# status WANT CMD...: run it; fail unless it exits WANT. Output in OUT.
status() {
    local want=$1 out rc=0
    shift
    out=$("$@" 2>&1) || rc=$?
    printf '$ %s   (exit %d)\n%s\n' "$*" "$rc" "$out"
    [ "$rc" -eq "$want" ] || fail "expected exit $want, got $rc: $*"
    OUT=$out
}
# fails CMD...: run it; fail when it exits 0. Output in OUT.
fails() {
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    printf '$ %s   (exit %d)\n%s\n' "$*" "$rc" "$out"
    [ "$rc" -ne 0 ] || fail "expected a failure: $*"
    OUT=$out
}
has() { grep -qF -- "$2" <<<"$1" || fail "${3:-output} does not contain '$2'"; }
lacks() { ! grep -qF -- "$2" <<<"$1" || fail "${3:-output} contains '$2'"; }
json_field() { sed -n "s/.*\"$1\" *: *\"\\{0,1\\}\\([^\",}]*\\)\"\\{0,1\\}.*/\\1/p" | head -n 1; }   # FIELD < JSON
vm_field() { b vm show --json "$1" 2>/dev/null | json_field "$2"; }
vm_ids() { b vm list --json | grep -o '"id" *: *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/'; }
# wait_until SECONDS DESCRIPTION CMD...: poll CMD every 0.2 s.
wait_until() {
    local limit=$1 what=$2 t0
    shift 2
    t0=$(now_ms)
    until "$@" >/dev/null 2>&1; do
        [ $(($(now_ms) - t0)) -lt $((limit * 1000)) ] || fail "not within $limit s: $what"
        sleep 0.2
    done
}
# The daemon's QEMUs name their VM directory on their command line.
qemu_pids_under() {
    local p
    for p in /proc/[0-9]*; do
        { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q "^[^ ]*qemu-system[^ ]* .*$1" && echo "${p#/proc/}"
    done
    return 0
}
# leaks: what the host holds that no VM in the store accounts for: taps, VM directories, QEMUs.
leaks() {
    local ids t d p known
    ids=$(vm_ids)
    for t in $(ip -o link show 2>/dev/null | sed -n 's/^[0-9]*: \(tap-fc-[^:@]*\).*/\1/p'); do
        known=0
        for id in $ids; do case $id in "${t#tap-fc-}"*) known=1 ;; esac; done
        [ "$known" -eq 1 ] || echo "tap $t"
    done
    for d in "$TEMP_DAEMON_DIR"/state/vms/*/; do
        [ -d "$d" ] || continue
        d=${d%/}
        grep -qxF "${d##*/}" <<<"$ids" || echo "VM directory $d"
    done
    for p in $(qemu_pids_under "$TEMP_DAEMON_DIR/state/vms/"); do
        known=0
        for id in $ids; do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "/vms/$id/" && known=1; done
        [ "$known" -eq 1 ] || echo "QEMU pid $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-120)"
    done
    return 0
}
no_leaks() { local l; l=$(leaks); [ -z "$l" ] || fail "left behind: $l"; }
vm_gone() { ! b vm show "$1" >/dev/null 2>&1; }
dns_a() { dig @127.0.0.1 -p "$DNS_PORT" +short +time=2 +tries=2 "$1" A; }
dns_status() { dig @127.0.0.1 -p "$DNS_PORT" +time=2 +tries=2 "$1" A | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
in_guest_ok() { b vm ssh "$1" -- true; }

# ---- the scenarios ----------------------------------------------------------------------------------

sc_version-ping() {
    ok "$BANGER" --version; has "$OUT" "banger "
    ok "$ROOT/build/bin/bangerd" --version; has "$OUT" "bangerd "
    ok b ping; has "$OUT" "pong from bangerd"
    ok b version
    ok b daemon status
}

sc_kernel-import() {
    ok b kernel import k-import --deb "$KERNEL_DEB"
    ok b kernel list; has "$OUT" k-import
    ok b kernel show --json k-import
    local vmlinuz; vmlinuz=$(json_field vmlinuz_path <<<"$OUT")
    [ -f "$vmlinuz" ] || fail "kernel show names vmlinuz '$vmlinuz', which is not a file"
    fails b kernel import k-import --deb "$KERNEL_DEB"; has "$OUT" k-import "the second import's error"
    ok b kernel delete k-import
    [ ! -e "$vmlinuz" ] || fail "kernel delete left $vmlinuz"
    fails b kernel show k-import; has "$OUT" k-import "kernel show's error"
}

sc_kernel-list-show() {
    ok b kernel list; has "$OUT" smoke-k
    ok b kernel show smoke-k; has "$OUT" smoke-k
    ok b kernel show --json smoke-k
    local f
    for f in vmlinuz_path initrd_path; do
        [ -f "$(json_field $f <<<"$OUT")" ] || fail "kernel show --json: $f is not a file"
    done
    fails b kernel show no-such-kernel; has "$OUT" no-such-kernel "the error"
}

sc_image-pull-oci() {
    ok b image pull "$TEMP_REGISTRY/smoke/bbgit:v1" --name bb-oci --kernel-ref smoke-k
    ok b image show --json bb-oci
    local rootfs; rootfs=$(json_field rootfs_path <<<"$OUT")
    [ -f "$rootfs" ] || fail "image show names rootfs '$rootfs', which is not a file"
    ok b image list; has "$OUT" bb-oci
    fails b image pull "$TEMP_REGISTRY/smoke/bbgit:missing" --name bb-missing --kernel-ref smoke-k
    has "$OUT" missing "the error"
    ok b image list; lacks "$OUT" bb-missing "image list"
    ok b image delete bb-oci
}

sc_image-pull-bundle() {
    local out=$WORK/bundle/bb.tar.zst sha
    mkdir -p "$WORK/bundle"
    ok b internal make-bundle --rootfs-tar "$WORK/guest.tar" --name bb-bundle --kernel-ref smoke-k --out "$out"
    sha=$(sha256sum "$out" | cut -d' ' -f1)
    has "$OUT" "$sha" "make-bundle's hint"
    fails b image pull --bundle "$out" --sha256 "$(printf 'f%.0s' {1..64})" --name bb-wrong
    ok b image list; lacks "$OUT" bb-wrong "image list"
    ok b image pull --bundle "$out" --sha256 "$sha" --name bb-bundle
    ok b image show bb-bundle; has "$OUT" bb-bundle
    ok b image delete bb-bundle
}

sc_image-list-show() {
    ok b image list; has "$OUT" bb
    ok b image show bb; has "$OUT" smoke-k
    ok b image show --json bb
    [ -f "$(json_field rootfs_path <<<"$OUT")" ] || fail "image show --json: rootfs_path is not a file"
    [ -f "$(json_field work_seed_path <<<"$OUT")" ] || fail "image show --json: work_seed_path is not a file"
}

sc_image-delete() {
    ok b image pull "$TEMP_REGISTRY/smoke/bbgit:v1" --name bb-del --kernel-ref smoke-k
    ok b image show --json bb-del
    local dir; dir=$(json_field dir <<<"$OUT")
    [ -d "$dir" ] || fail "image show names dir '$dir', which is not a directory"
    ok b image delete bb-del
    [ ! -e "$dir" ] || fail "image delete left $dir"
    fails b image show bb-del; has "$OUT" bb-del "image show's error"
    fails b image delete bb-del; has "$OUT" bb-del "image delete's error"
}

sc_vm-create-bad-image() {
    fails b vm create --name badimg --image no-such-image; has "$OUT" no-such-image "the error"
    vm_gone badimg || fail "vm create with a missing image left VM badimg"
}

sc_vm-lifecycle() {
    local ip boot1 boot2
    ok b vm create --name lc --image bb
    ok b vm ssh lc -- hostname; has "$OUT" lc "the guest's hostname"
    ip=$(vm_field lc guest_ip)
    [ "$(dns_a lc.vm)" = "$ip" ] || fail "lc.vm does not resolve to $ip"
    ok b vm stop lc
    [ "$(vm_field lc state)" = stopped ] || fail "state after stop: $(vm_field lc state)"
    [ "$(dns_status lc.vm)" = NXDOMAIN ] || fail "lc.vm still resolves after stop"
    ok b vm set lc --memory 384
    ok b vm start lc
    [ "$(vm_field lc state)" = running ] || fail "state after start: $(vm_field lc state)"
    ok b vm ssh lc -- 'grep MemTotal /proc/meminfo'
    boot1=$(b vm ssh lc -- cat /proc/sys/kernel/random/boot_id)
    ok b vm restart lc
    boot2=$(b vm ssh lc -- cat /proc/sys/kernel/random/boot_id)
    [ -n "$boot2" ] && [ "$boot1" != "$boot2" ] || fail "vm restart did not reboot the guest (boot_id $boot1 -> $boot2)"
    ok b vm kill lc
    [ "$(vm_field lc state)" != running ] || fail "still running after kill"
    [ -z "$(qemu_pids_under "/vms/$(vm_field lc id)/")" ] || fail "QEMU still runs after kill"
    ok b vm delete lc
    vm_gone lc || fail "vm show still finds lc after delete"
}

sc_vm-run-exit-status() {
    status 7 b vm run --rm --name runx --image bb -- 'echo from-guest; exit 7'
    has "$OUT" from-guest
    vm_gone runx || fail "vm run --rm left VM runx"
}

sc_vm-run-detach() {
    ok b vm run -d --name rund --image bb
    [ "$(vm_field rund state)" = running ] || fail "vm run -d: not running"
    ok b vm ssh rund -- true
    ok b vm delete -f rund
    vm_gone rund || fail "rund still there after delete"
}

sc_vm-ssh() {
    ok b vm ssh shared -- 'echo "$((6 * 7))"'; has "$OUT" 42
    status 3 b vm ssh shared -- 'exit 3'
    ok b vm ssh shared -- uname -n; has "$OUT" shared
}

sc_vm-exec() {
    ok b vm exec shared -- echo hello; has "$OUT" hello
    status 5 b vm exec shared -- sh -c 'exit 5'
    ok b vm exec shared -w /tmp -- pwd; has "$OUT" /tmp
    ok b vm exec shared -e SMOKE_VAR=seen -- sh -c 'echo $SMOKE_VAR'; has "$OUT" seen
    fails b vm exec no-such-vm -- true; has "$OUT" no-such-vm "the error"
}

sc_vm-cp() {
    local d=$WORK/cp
    mkdir -p "$d/tree/sub"
    head -c 300000 /dev/urandom >"$d/blob"
    echo one >"$d/tree/a"; echo two >"$d/tree/sub/b"
    ok b vm cp "$d/blob" shared:/tmp/smoke-blob
    ok b vm cp shared:/tmp/smoke-blob "$d/blob.back"
    cmp "$d/blob" "$d/blob.back" || fail "the file came back different"
    ok b vm cp "$d/tree" shared:/tmp/smoke-tree
    ok b vm ssh shared -- cat /tmp/smoke-tree/sub/b; has "$OUT" two
    ok b vm cp shared:/tmp/smoke-tree "$d/tree.back"
    diff -r "$d/tree" "$d/tree.back" || fail "the directory came back different"
    b vm ssh shared -- rm -rf /tmp/smoke-blob /tmp/smoke-tree
}

sc_vm-show-logs() {
    ok b vm show shared; has "$OUT" running
    ok b vm show --json shared
    [ "$(json_field state <<<"$OUT")" = running ] || fail "vm show --json: state is not running"
    [ "$(json_field guest_ip <<<"$OUT")" = "$SHARED_IP" ] || fail "vm show --json: guest_ip is not $SHARED_IP"
    ok b vm logs shared; has "$OUT" "Linux version" "the console log"
}

sc_ps() {
    ok b ps; has "$OUT" shared; has "$OUT" running
    ok b vm list; has "$OUT" shared
    ok b vm list --json; has "$OUT" '"shared"'
}

sc_dns() {
    [ "$(dns_a shared.vm)" = "$SHARED_IP" ] || fail "shared.vm: '$(dns_a shared.vm)', expected $SHARED_IP"
    [ "$(dns_a SHARED.VM)" = "$SHARED_IP" ] || fail "SHARED.VM (any case) does not resolve"
    [ "$(dns_status no-such-vm.vm)" = NXDOMAIN ] || fail "no-such-vm.vm: not NXDOMAIN"
    local ptr; ptr=$(echo "$SHARED_IP" | awk -F. '{ print $4"."$3"."$2"."$1".in-addr.arpa" }')
    [ "$(dig @127.0.0.1 -p "$DNS_PORT" +short "$ptr" PTR)" = shared.vm. ] || fail "PTR of $SHARED_IP is not shared.vm."
    [ "$(dns_status example.com)" = REFUSED ] || fail "example.com: not REFUSED"
}

sc_vm-ports() {
    b vm ssh shared -- 'mkdir -p /tmp/www && echo smoke-www >/tmp/www/index.html && httpd -p 8123 -h /tmp/www' \
        || fail "could not start httpd in the guest"
    wait_until 30 "vm ports lists 8123" sh -c "'$BANGER' --socket '$TEMP_DAEMON_SOCKET' vm ports shared | grep -q ':8123'"
    ok b vm ports shared; has "$OUT" "shared.vm:8123"
    ok b vm ports --json shared; has "$OUT" 8123
    b vm ssh shared -- 'pkill -f "httpd -p 8123"' || :
}

sc_nat() {
    local ns_pid marker
    marker=smoke-nat-$RANDOM$RANDOM
    mkdir -p "$WORK/inet"
    echo "$marker" >"$WORK/inet/index.html"
    # "The internet": a busybox httpd in a namespace of its own, joined by a veth; the default
    # route of the smoke namespace points at it. It has no route back to the guests' subnet.
    unshare --net -- busybox httpd -f -p 8080 -h "$WORK/inet" &
    ns_pid=$!
    # Expanded now: ns_pid is local and gone by the time the subshell exits.
    trap "kill $ns_pid 2>/dev/null; ip link del smk-host 2>/dev/null" EXIT
    wait_until 10 "the internet's namespace" sh -c "[ \"\$(readlink /proc/$ns_pid/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
    ip link add smk-host type veth peer name smk-inet netns "$ns_pid"
    ip addr add 10.98.0.1/24 dev smk-host
    ip link set smk-host up
    ip route replace default via 10.98.0.2
    nsenter --net="/proc/$ns_pid/ns/net" sh -c 'ip link set lo up && ip addr add 10.98.0.2/24 dev smk-inet &&
        ip addr add 203.0.113.10/32 dev smk-inet && ip link set smk-inet up'
    wait_until 10 "the internet serves" curl -fsS --max-time 2 http://203.0.113.10:8080/
    ok b vm create --name natvm --image bb --nat
    # nc, not wget: the static busybox's wget segfaults without the host's NSS libraries.
    ok b vm ssh natvm -- 'printf "GET / HTTP/1.0\r\n\r\n" | nc -w 10 203.0.113.10 8080'
    has "$OUT" "$marker" "the page fetched through NAT"
    ok b vm ssh shared -- 'printf "GET / HTTP/1.0\r\n\r\n" | nc -w 5 203.0.113.10 8080; true'
    lacks "$OUT" "$marker" "what a VM without --nat fetched"
    ok b vm delete -f natvm
}

sc_ssh-config() {
    user_home ssh-config
    ok bu ssh-config --install
    [ -f "$UHOME/.ssh/config" ] || fail "ssh-config --install wrote no ~/.ssh/config"
    cat "$UHOME/.ssh/config"
    # -F: ssh reads the ~/.ssh/config of the passwd entry's home, not $HOME's.
    ok as_user ssh -F "$UHOME/.ssh/config" -o BatchMode=yes -o ConnectTimeout=30 shared.vm uname -n; has "$OUT" shared
    ok bu ssh-config --uninstall
}

sc_user-cli() {
    user_home user-cli
    ok bu ps; has "$OUT" shared
    ok bu image list; has "$OUT" bb
    ok bu vm ssh shared -- id -u; has "$OUT" 0 "the guest user"
    status 4 bu vm exec shared -- sh -c 'exit 4'
}

sc_user-vm-create-delete() {
    user_home user-vm
    ok bu vm create --name uvm --image bb
    ok bu vm ssh uvm -- hostname; has "$OUT" uvm
    ok bu vm delete -f uvm
    vm_gone uvm || fail "uvm still there after delete"
}

make_repo() { # make_repo DIR: a git repository with one commit, readable by banger-test
    mkdir -p "$1"
    git -C "$1" init -q -b main
    git -C "$1" config user.name Smoke
    git -C "$1" config user.email smoke@example.org
    echo "hello from the host" >"$1/README"
    mkdir "$1/src"; printf '#!/bin/sh\necho built\n' >"$1/src/build.sh"; chmod +x "$1/src/build.sh"
    git -C "$1" add -A
    git -C "$1" commit -q -m first
    chmod -R a+rX "$1"
}

sc_workspace-run() {
    user_home ws-run
    make_repo "$WORK/repo-run"
    chown -R "$USER_NAME:" "$WORK/repo-run"   # git refuses a repository another user owns
    echo "an uncommitted edit" >>"$WORK/repo-run/README"
    ok bu vm run --rm --name wsrun --image bb "$WORK/repo-run" -- 'pwd; cat README; ./src/build.sh; git status --porcelain'
    has "$OUT" /root/repo; has "$OUT" "an uncommitted edit"; has "$OUT" built; has "$OUT" "M README"
    vm_gone wsrun || fail "vm run --rm left VM wsrun"
}

sc_workspace-export() {
    make_repo "$WORK/repo-exp"
    ok b vm workspace prepare shared "$WORK/repo-exp" --workdir /root/ws-smoke
    ok b vm exec shared -w /root/ws-smoke -- sh -c 'echo "changed in the guest" >>README && echo new >NEW'
    b vm workspace export shared >"$WORK/exp.patch" 2>"$WORK/exp.err" || fail "vm workspace export: $(cat "$WORK/exp.err")"
    cat "$WORK/exp.patch"
    git -C "$WORK/repo-exp" apply "$WORK/exp.patch" || fail "the exported patch does not apply"
    has "$(cat "$WORK/repo-exp/README")" "changed in the guest"
    [ -f "$WORK/repo-exp/NEW" ] || fail "the new file did not come back"
    b vm ssh shared -- rm -rf /root/ws-smoke
}

sc_doctor() {
    ok b doctor
}

sc_system-install() {
    local r=$WORK/sysroot
    mkdir -p "$r/etc"
    printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1500:1500::/home/alice:/bin/sh\n' >"$r/etc/passwd"
    printf 'root:x:0:\nalice:x:1500:\n' >"$r/etc/group"
    ok b system install --owner alice --root "$r"
    [ -x "$r/usr/local/lib/banger/bin/bangerd" ] || fail "no bangerd launcher under the scratch root"
    [ -n "$(find "$r" -name bangerd.service)" ] || fail "no bangerd.service under the scratch root"
    has "$(cat "$r/etc/banger/install.toml")" "owner = 'alice'" "install.toml"
    # No systemd here: status says so and exits 1.
    fails b system status --root "$r"; has "$OUT" "PID 1 is not systemd"
    ok b system uninstall --purge --root "$r"
    [ ! -e "$r/usr" ] && [ ! -e "$r/etc/banger" ] || fail "uninstall --purge left files: $(find "$r" | head)"
}

sc_daemon-operations() {
    ok b daemon operations
    local ans
    ans=$(printf '{"jsonrpc":"2.0","id":1,"method":"no.such.method"}\n' | timeout 10 socat - "UNIX-CONNECT:$TEMP_DAEMON_SOCKET")
    echo "$ans"
    has "$ans" '"error"' "the answer to an unknown method"
    ans=$(printf 'not json\n' | timeout 10 socat - "UNIX-CONNECT:$TEMP_DAEMON_SOCKET")
    echo "$ans"
    has "$ans" '"error"' "the answer to a line that is not JSON"
    ok b ping
}

sc_vm-run-rm-interrupt() {
    local pid rc=0 t0
    # As a shell runs a foreground job: a process group of its own (set -m), which Ctrl-C signals as
    # a whole. The suite runs as an asynchronous job, so SIGINT arrives here ignored: env resets it.
    set -m
    env --default-signal=INT "$BANGER" --socket "$TEMP_DAEMON_SOCKET" vm run --rm --name intr --image bb -- 'echo started; sleep 600' \
        >"$WORK/intr.out" 2>&1 &
    pid=$!
    set +m
    wait_until 120 "the guest runs the command" grep -q started "$WORK/intr.out"
    kill -INT -- "-$pid"
    t0=$(now_ms)
    wait_until 60 "the CLI exits after Ctrl-C" sh -c "! kill -0 $pid"
    wait "$pid" || rc=$?
    cat "$WORK/intr.out"
    echo "CLI exit $rc, $(secs $(($(now_ms) - t0))) s after Ctrl-C"
    [ "$rc" -ne 0 ] || fail "vm run exited 0 after Ctrl-C"
    wait_until 30 "VM intr deleted" vm_gone intr
    no_leaks
}

sc_vm-create-cancelled() {
    local pid
    "$BANGER" --socket "$TEMP_DAEMON_SOCKET" vm create --name cx --image bb >"$WORK/cx.out" 2>&1 &
    pid=$!
    # The client dies while the guest boots: the daemon must undo the whole create.
    wait_until 120 "vm create reaches 'wait for ssh'" grep -q 'wait for ssh' "$WORK/cx.out"
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    cat "$WORK/cx.out"
    grep -q 'ready in' "$WORK/cx.out" && fail "the create ended before the client was killed: nothing was cancelled"
    if ! (wait_until 60 "VM cx undone" vm_gone cx); then
        b vm list
        leaks
        fail "60 s after the client was killed, VM cx is still there (see vm list above)"
    fi
    sleep 1
    no_leaks
}

sc_daemon-restart-adopts() {
    local pid_before pid_after boot1 boot2
    pid_before=$(qemu_pids_under "/vms/$(vm_field shared id)/")
    [ -n "$pid_before" ] || fail "no QEMU for shared"
    boot1=$(b vm ssh shared -- cat /proc/sys/kernel/random/boot_id)
    temp_daemon_restart "$ROOT/build/bin/bangerd"
    echo "${TEMP_DAEMON_PID:-}" >"$WORK/daemon.pid"   # this runs in a subshell: the runner's cleanup must stop the new one
    [ -n "$TEMP_DAEMON_PID" ] || fail "bangerd did not start again"
    pid_after=$(qemu_pids_under "/vms/$(vm_field shared id)/")
    [ "$pid_before" = "$pid_after" ] || fail "QEMU of shared: pid $pid_before before, '$pid_after' after the restart"
    [ "$(vm_field shared state)" = running ] || fail "shared is $(vm_field shared state) after the restart"
    boot2=$(b vm ssh shared -- cat /proc/sys/kernel/random/boot_id)
    [ "$boot1" = "$boot2" ] || fail "the guest rebooted (boot_id $boot1 -> $boot2)"
    wait_until 10 "shared.vm resolves again" sh -c "[ \"\$(dig @127.0.0.1 -p $DNS_PORT +short shared.vm)\" = $SHARED_IP ]"
    no_leaks
}

sc_warm-start-kill() {
    local toml=$TEMP_DAEMON_DIR/bangerd.toml hid=
    sed -i 's/^warm_start = .*/warm_start = true/' "$toml"
    temp_daemon_restart "$ROOT/build/bin/bangerd" || fail "bangerd did not start with warm_start = true"
    echo "$TEMP_DAEMON_PID" >"$WORK/daemon.pid"
    ok b vm create --name wk --image bb
    # The first create of this image and size queues a template build: a hidden VM (tpl-*) boots.
    hidden() { b vm list --templates --format '{{.ID}} {{.Name}}' | awk '$2 ~ /^tpl-/ { print $1; exit }'; }
    local t0; t0=$(now_ms)
    until hid=$(hidden) && [ -n "$hid" ] && [ -n "$(qemu_pids_under "/vms/$hid/")" ]; do
        [ $(($(now_ms) - t0)) -lt 60000 ] || fail "no template VM's QEMU within 60 s"
        sleep 0.2
    done
    step "SIGKILL bangerd (pid $TEMP_DAEMON_PID) while it builds template VM $hid"
    kill -KILL "$TEMP_DAEMON_PID"
    sed -i 's/^warm_start = .*/warm_start = false/' "$toml"
    temp_daemon_restart "$ROOT/build/bin/bangerd" || fail "bangerd did not start again"
    echo "$TEMP_DAEMON_PID" >"$WORK/daemon.pid"
    [ -z "$(hidden)" ] || fail "a hidden template VM survived the restart: $(hidden)"
    [ -z "$(qemu_pids_under "/vms/$hid/")" ] || fail "the template VM's QEMU survived the restart"
    [ ! -e "$TEMP_DAEMON_DIR/state/vms/$hid" ] || fail "the template VM's directory survived the restart"
    ! ip link show "tap-fc-${hid:0:8}" >/dev/null 2>&1 || fail "the template VM's tap survived the restart"
    [ -z "$(compgen -G "$TEMP_DAEMON_DIR/state/snapshots/.staging-*")" ] || fail "a snapshot staging dir survived the restart"
    [ "$(vm_field wk state)" = running ] || fail "wk is $(vm_field wk state) after the restart"
    ok b vm delete -f wk
    no_leaks
}

# ---- fixtures: the guest image, the daemon, kernel smoke-k, image bb, the shared VM -------------------

build_guest_image() {
    busybox_guest_push "$WORK" "$TEMP_REGISTRY/smoke/bbgit:v1" /usr/bin/git \
        || die "skopeo could not push the guest image to $TEMP_REGISTRY"
}

cleanup() {
    local p
    jobs -p | xargs -r kill 2>/dev/null || :
    if [ -n "$TEMP_DAEMON_PID" ]; then
        mapfile -t vms < <("$BANGER" --socket "$TEMP_DAEMON_SOCKET" vm list 2>/dev/null | awk 'NR > 1 { print $1 }')
        [ ${#vms[@]} -eq 0 ] || timeout 120 "$BANGER" --socket "$TEMP_DAEMON_SOCKET" vm delete -f "${vms[@]}" >/dev/null 2>&1 || :
        for p in $(qemu_pids_under "$TEMP_DAEMON_DIR/"); do kill -KILL "$p" 2>/dev/null || :; done
    fi
    temp_daemon_stop
    temp_registry_stop
    rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

needs_any() { local s; for s in "${SELECTED[@]}"; do [ "$(sc_field "$s" 2)" = "$1" ] && return 0; done; return 1; }
NEED_SHARED=0 NEED_IMAGE=0
needs_any shared && NEED_SHARED=1 NEED_IMAGE=1
needs_any image && NEED_IMAGE=1

say "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); ${#SELECTED[@]} scenarios, --jobs $JOBS; network namespace $(readlink /proc/self/ns/net)"
t=$(now_ms)
temp_registry_start "$WORK/registry" || die "docker-registry did not start on 127.0.0.1"
build_guest_image
BANGER_LOG_LEVEL=info temp_daemon_start "$ROOT/build/bin/bangerd" || die "cannot start a temporary bangerd"
chmod 755 "$TEMP_DAEMON_DIR"   # banger-test reaches the socket (group banger) and the group's SSH key
DNS_PORT=42069
FIXTURE_LOG=$WORK/out/fixtures.log
fixture() { "$@" >>"$FIXTURE_LOG" 2>&1 || { cat "$FIXTURE_LOG" >&2; tail -n 30 "$TEMP_DAEMON_LOG" >&2; die "fixture: $*"; }; }
if [ "$NEED_IMAGE" -eq 1 ]; then
    fixture b kernel import smoke-k --deb "$KERNEL_DEB"
    fixture b image pull "$TEMP_REGISTRY/smoke/bbgit:v1" --name bb --kernel-ref smoke-k
fi
SHARED_IP=
if [ "$NEED_SHARED" -eq 1 ]; then
    fixture b vm create --name shared --image bb
    SHARED_IP=$(vm_field shared guest_ip)
fi
FIXTURE_MS=$(($(now_ms) - t))
say "fixtures in $(secs "$FIXTURE_MS") s: registry $TEMP_REGISTRY, bangerd pid $TEMP_DAEMON_PID$([ "$NEED_IMAGE" -eq 0 ] || echo ", kernel smoke-k, image bb")$([ "$NEED_SHARED" -eq 0 ] || echo ", VM shared at $SHARED_IP")"

# ---- the runner -------------------------------------------------------------------------------------

run_scenario() { # in the background: output to out/NAME.log, exit status to out/NAME.rc, ms to out/NAME.ms
    local name=$1 t0 rc=0
    t0=$(now_ms)
    ( set -uo pipefail; set +e; "sc_$name" ) </dev/null >"$WORK/out/$name.log" 2>&1 || rc=$?
    echo "$rc" >"$WORK/out/$name.rc"
    echo $(($(now_ms) - t0)) >"$WORK/out/$name.ms"
}
PARALLEL=() ALONE=()
for s in "${SELECTED[@]}"; do
    if [ "$(sc_field "$s" 3)" = alone ]; then ALONE+=("$s"); else PARALLEL+=("$s"); fi
done
T_SUITE=$(now_ms)
# Not a bare `wait`: the registry and the daemon are background jobs too.
declare -A RUNNING=()
reap() { local p; for p in "${!RUNNING[@]}"; do kill -0 "$p" 2>/dev/null || { wait "$p" || :; unset "RUNNING[$p]"; }; done; }
for s in "${PARALLEL[@]}"; do
    while [ "${#RUNNING[@]}" -ge "$JOBS" ]; do sleep 0.2; reap; done
    say "start $s"
    run_scenario "$s" &
    RUNNING[$!]=$s
done
while [ "${#RUNNING[@]}" -gt 0 ]; do sleep 0.2; reap; done
for s in "${ALONE[@]}"; do
    say "start $s (alone)"
    run_scenario "$s"
    if [ -f "$WORK/daemon.pid" ]; then TEMP_DAEMON_PID=$(cat "$WORK/daemon.pid"); rm -f "$WORK/daemon.pid"; fi
done
SUITE_MS=$(($(now_ms) - T_SUITE))

failed=0
for s in "${SELECTED[@]}"; do
    [ "$(cat "$WORK/out/$s.rc" 2>/dev/null || echo 1)" -eq 0 ] && continue
    failed=$((failed + 1))
    printf '\n==== %s: FAILED; its output: ====\n' "$s" >&2
    sed 's/^/    /' "$WORK/out/$s.log" >&2
done
if [ "$failed" -gt 0 ]; then
    printf '\n==== bangerd log (last 40 lines) ====\n' >&2
    tail -n 40 "$TEMP_DAEMON_LOG" | sed 's/^/    /' >&2
fi
echo
printf '%-24s %-6s %8s\n' SCENARIO RESULT SECONDS
for s in "${SELECTED[@]}"; do
    rc=$(cat "$WORK/out/$s.rc" 2>/dev/null || echo 1)
    printf '%-24s %-6s %8s\n' "$s" "$([ "$rc" -eq 0 ] && echo pass || echo FAIL)" "$(secs "$(cat "$WORK/out/$s.ms" 2>/dev/null || echo 0)")"
done
printf '%-24s %-6s %8s\n' "(fixtures)" pass "$(secs "$FIXTURE_MS")"
echo "smoke: $((${#SELECTED[@]} - failed)) passed, $failed failed, scenarios $(secs "$SUITE_MS") s + fixtures $(secs "$FIXTURE_MS") s, --jobs $JOBS"
[ "$failed" -eq 0 ]
