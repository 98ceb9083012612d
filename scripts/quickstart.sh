#!/usr/bin/env bash
# quickstart.sh: set up this machine and run banger (README's first command):
#     sudo ./scripts/quickstart.sh
# Installs host packages (host-setup.sh), builds build/bin/{banger,bangerd} (as the invoking
# user under sudo, so the checkout stays theirs), starts bangerd in the background with
# `banger daemon start` unless it already answers, adds $SUDO_USER to group banger, and shows
# `banger ping` and `banger version`. Idempotent: run it again at any time.
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

say "daemon"
if "$BANGER" ping >/dev/null 2>&1; then
    echo "bangerd already answers on its socket"
else
    if [ -d /run/systemd/system ]; then
        echo "note: systemd runs here, but banger has no unit yet: starting bangerd with \`banger daemon start\`"
    fi
    "$BANGER" daemon start || die "banger daemon start (see the log it names above)"
fi

if [ -n "$user" ]; then
    if id -nG "$user" | tr ' ' '\n' | grep -qx banger; then
        echo "$user is in group banger"
    else
        usermod -aG banger "$user" || die "usermod -aG banger $user"
        echo "added $user to group banger: log out and in again (or run \`newgrp banger\`) to use banger without sudo"
    fi
fi

say "banger ping"
"$BANGER" ping || die "banger ping"
say "banger version"
"$BANGER" version || die "banger version"

cat <<MSG

quickstart: done. banger is at $BANGER (bangerd next to it).
  Put it on your PATH:   sudo ln -sf $BANGER /usr/local/bin/banger
  Shell completion:      source $ROOT/build/completion/banger.bash   (zsh: banger.zsh)
  Stop the daemon:       sudo $BANGER daemon stop
MSG
