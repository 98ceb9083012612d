#!/usr/bin/env bash
# port-forward.sh: throughput of a published port, nftables DNAT (what bangerd does) against a
# userspace proxy (a JDK proxy as bangerd would run one), both as ratios of a direct connection to
# the guest's address measured in the same run.
#
# The "guest" is a network namespace on a bridge through a veth pair, not a QEMU guest: under TCG
# a guest's network path tops out far below either mechanism (every figure would be TCG's), so
# the guest end is the part we can measure: the host's side of the path, where DNAT and a proxy
# differ. The sender runs on the host and connects to:
#   direct  GUEST:5001                      (the baseline)
#   dnat    127.0.0.1:15001 -> GUEST:5001   banger's rules: output DNAT, route_localnet, masquerade
#   proxy   127.0.0.1:15002 -> GUEST:5001   JDK proxy, a virtual thread per direction (transferTo)
# ROUNDS rounds (default 3) of SECONDS (default 5) each, the three alternated, medians reported.
#
# Usage: sudo bench/port-forward.sh   Exit 0 with a report; non-zero only when something broke.
# Everything runs in a private network namespace this script makes (only lo and its own links).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"
die() { printf 'port-forward: FAILED: %s\n' "$*" >&2; exit 1; }
say() { printf 'port-forward: %s\n' "$*"; }
ROUNDS=${PORT_FORWARD_ROUNDS:-3}
SECONDS_EACH=${PORT_FORWARD_SECONDS:-5}

if [ -z "${PORT_FORWARD_NETNS:-}" ]; then
    [ "$(id -u)" -eq 0 ] || die "run as root (bridge, netns, nft): sudo $0"
    for tool in unshare ip nft; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
    done
    exec unshare --net --mount -- env PORT_FORWARD_NETNS=1 timeout --kill-after=10 600 bash "$0" "$@"
fi

# shellcheck source=../scripts/lib/find-java.sh
. scripts/lib/find-java.sh
find_java || die "no JDK"
JAVA="$BANGER_JAVA_HOME/bin/java"
PROG=bench/PortForwardThroughput.java
GUEST=172.31.250.2
BR=br-fwdbench

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    ip netns del fwdbench-guest 2>/dev/null || true
}
trap cleanup EXIT

ip link set lo up
ip link add "$BR" type bridge
ip addr add 172.31.250.1/24 dev "$BR"
ip link set "$BR" up
mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns # a private /run/netns: `ip netns` names stay ours
ip netns add fwdbench-guest
ip link add veth-fwdb type veth peer name eth0 netns fwdbench-guest
ip link set veth-fwdb master "$BR" up
ip -n fwdbench-guest addr add "$GUEST/24" dev eth0
ip -n fwdbench-guest link set eth0 up
ip -n fwdbench-guest link set lo up
ip -n fwdbench-guest route add default via 172.31.250.1

# What ForwardRules makes for 127.0.0.1:15001 -> GUEST:5001.
echo 1 > "/proc/sys/net/ipv4/conf/$BR/route_localnet"
nft -f - <<NFT
add table ip banger
add chain ip banger forward_output { type nat hook output priority -100; policy accept; }
add chain ip banger postrouting { type nat hook postrouting priority srcnat; policy accept; }
add chain ip banger bridge_guard { type filter hook prerouting priority raw; policy accept; }
add rule ip banger postrouting ip saddr 127.0.0.0/8 oifname "$BR" masquerade
add rule ip banger bridge_guard iifname "$BR" ip daddr 127.0.0.0/8 drop
add rule ip banger forward_output ip daddr 127.0.0.1 tcp dport 15001 dnat to $GUEST:5001
NFT

ip netns exec fwdbench-guest "$JAVA" "$PROG" sink 5001 & pids+=($!)
"$JAVA" "$PROG" proxy 15002 "$GUEST" 5001 & pids+=($!)
for _ in $(seq 1 100); do
    if ip netns exec fwdbench-guest bash -c "exec 3<>/dev/tcp/127.0.0.1/5001" 2>/dev/null \
        && bash -c "exec 3<>/dev/tcp/127.0.0.1/15002" 2>/dev/null; then
        break
    fi
    sleep 0.2
done

declare -A runs
for round in $(seq 1 "$ROUNDS"); do
    for variant in direct dnat proxy; do
        case $variant in
            direct) target=("$GUEST" 5001) ;;
            dnat) target=(127.0.0.1 15001) ;;
            proxy) target=(127.0.0.1 15002) ;;
        esac
        mbs=$("$JAVA" "$PROG" send "${target[@]}" "$SECONDS_EACH") || die "$variant: the sender failed"
        runs[$variant]="${runs[$variant]:-} $mbs"
        say "round $round $variant: $mbs MB/s"
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
direct=$(echo "${runs[direct]}" | median)
say "median of $ROUNDS x ${SECONDS_EACH} s, one TCP stream, 256 KiB writes ($(nproc) cores):"
for variant in direct dnat proxy; do
    m=$(echo "${runs[$variant]}" | median)
    say "$(printf '%-7s %6s MB/s  %.2f x direct' "$variant" "$m" "$(echo "$m / $direct" | bc -l)")"
done
