#!/usr/bin/env bash
# rpc-throughput.sh: pings/s against a temporary bangerd over one connection and over 16, and
# against a bare JDK Unix-socket server answering the same JSON, measured in the same run.
# Target: >= 20,000 pings/s on one connection. About 40 s; stops by itself.
# Usage: bench/rpc-throughput.sh [SECONDS] [CONNECTIONS]   (defaults 5 and 16)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"
. scripts/lib/find-java.sh
. scripts/lib/temp-daemon.sh

die() { printf 'rpc-throughput: FAILED: %s\n' "$*" >&2; exit 1; }

find_java --jdk || die "no JDK >= 21 (single-file source launch needs javac's module)"
if [ ! -x build/bin/bangerd ] || [ ! -r build/lib/cli.classpath ]; then
    ./scripts/build.sh || die "scripts/build.sh"
fi

trap temp_daemon_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
temp_daemon_start "$ROOT/build/bin/bangerd" || die "cannot start a temporary bangerd"

# The whole run is bounded: a 3 s daemon warm-up, 5 measurements of (1 s warm-up + SECONDS), start-up.
seconds=${1:-5}
limit=$(awk -v s="$seconds" 'BEGIN { printf "%d", 5 * (s + 1) + 3 + 60 }')
timeout "$limit" "$BANGER_JAVA_HOME/bin/java" -cp "$(cat build/lib/cli.classpath)" \
    bench/RpcThroughput.java "$TEMP_DAEMON_SOCKET" "$@" || die "RpcThroughput failed or ran over ${limit} s"
