#!/usr/bin/env bash
# quickstart.sh: set up this machine and run banger (README's first command):
#     sudo ./scripts/quickstart.sh
# Installs host packages (host-setup.sh), builds build/bin/{banger,bangerd} (as the invoking
# user under sudo, so the checkout stays theirs), starts bangerd unless it already answers
# (start_daemon below: a systemd service where systemd runs, else `banger daemon start`), adds $SUDO_USER to group banger, then boots a VM and runs `uname -a` in
# it: `banger vm run --rm`, twice, timing each. The first run builds the defaults bangerd knows
# (kernel debian-cloud through this host's apt, image debian-bookworm debootstrapped from this
# host's Debian mirror; a few minutes, with progress), the second boots at once.
# Idempotent: run it again at any time.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"

say() { printf '\nquickstart: %s\n' "$*"; }
die() { printf 'quickstart: FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run me as root: sudo $0 (bangerd manages host networking and VMs and runs as root)"

say "host setup"
./scripts/host-setup.sh || die "scripts/host-setup.sh"

say "build"
user=${SUDO_USER:-}
[ "$user" = root ] && user=
if [ -n "$user" ] && [ "$(stat -c %U "$ROOT")" = "$user" ] && { [ ! -e build ] || [ "$(stat -c %U build)" = "$user" ]; }; then
    # Build as the owner of the checkout: root-owned build/ and target/ would break their later builds.
    runuser -u "$user" -- ./scripts/build.sh || die "scripts/build.sh (as $user)"
else
    ./scripts/build.sh || die "scripts/build.sh"
fi

BANGER=$ROOT/build/bin/banger
unset BANGER_SOCKET   # the system daemon, on its default socket

# The one place that starts bangerd: a systemd service where PID 1 is systemd (`banger system
# install`: the build under /usr/local/lib/banger, bangerd.service started), else a background
# daemon (`banger daemon start`).
start_daemon() {
    if [ -d /run/systemd/system ]; then
        "$BANGER" system install || die "banger system install (journalctl -u bangerd says why the service did not start)"
    else
        echo "no systemd here: starting bangerd with \`banger daemon start\`"
        "$BANGER" daemon start || die "banger daemon start (see the log it names above)"
    fi
}

say "daemon"
if "$BANGER" ping >/dev/null 2>&1; then
    echo "bangerd already answers on its socket"
else
    start_daemon
fi

if [ -n "$user" ]; then
    if id -nG "$user" | tr ' ' '\n' | grep -qx banger; then
        echo "$user is in group banger"
    else
        usermod -aG banger "$user" || die "usermod -aG banger $user"
        echo "added $user to group banger: log out and in again (or run \`newgrp banger\`) to use banger without sudo"
    fi
fi

say "banger version"
"$BANGER" version || die "banger version"

if "$BANGER" image show debian-bookworm >/dev/null 2>&1; then
    echo "image debian-bookworm: present (the first run only boots)"
else
    echo "image debian-bookworm: not yet built; the first run builds it and its kernel (a few minutes, once)"
fi

times=()
for run in first second; do
    say "banger vm run --rm -- uname -a   ($run run)"
    start=$(date +%s.%N)
    "$BANGER" vm run --rm -- uname -a || die "banger vm run (banger vm list and banger vm logs NAME show what happened)"
    times+=("$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')")
    echo "quickstart: $run run took ${times[-1]} s"
done

cat <<MSG

quickstart: done: first run ${times[0]} s (builds the default kernel and image when missing), second run ${times[1]} s.
banger is at $BANGER (bangerd next to it).
  Boot a VM and log in:  banger vm run            (exit the shell, then banger vm list / delete)
  Put it on your PATH:   sudo ln -sf $BANGER /usr/local/bin/banger
  Shell completion:      source $ROOT/build/completion/banger.bash   (zsh: banger.zsh)
  Stop the daemon:       sudo $BANGER daemon stop
MSG
