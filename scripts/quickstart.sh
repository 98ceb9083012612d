#!/usr/bin/env bash
# quickstart.sh: set up this machine and run banger (README's first command):
#     sudo ./scripts/quickstart.sh
# Installs host packages (host-setup.sh), builds build/bin/{banger,bangerd} (as the invoking
# user under sudo, so the checkout stays theirs), starts bangerd in the background with
# `banger daemon start` unless it already answers, adds $SUDO_USER to group banger, imports
# Debian's cloud kernel and a Debian bookworm image (both prepared by host-setup.sh) as the
# default kernel and image, then boots a VM and runs `uname -a` in it: `banger vm run --rm`.
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

say "banger version"
"$BANGER" version || die "banger version"

say "default kernel and image"
if "$BANGER" kernel show debian-cloud >/dev/null 2>&1; then
    echo "kernel debian-cloud: present"
else
    deb=
    for f in /var/cache/banger-test/kernel/linux-image-*.deb; do [ -f "$f" ] && deb=$f && break; done
    [ -n "$deb" ] || die "no Debian cloud kernel package in /var/cache/banger-test/kernel (host-setup.sh fetches it)"
    "$BANGER" kernel import debian-cloud --deb "$deb" || die "banger kernel import"
fi
if "$BANGER" image show debian-bookworm >/dev/null 2>&1; then
    echo "image debian-bookworm: present"
else
    rootfs=/var/cache/banger-test/debian-bookworm-rootfs.tar.gz
    [ -f "$rootfs" ] || die "no Debian rootfs at $rootfs (host-setup.sh builds it with debootstrap)"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    "$BANGER" internal make-bundle --rootfs-tar "$rootfs" --name debian-bookworm --kernel-ref debian-cloud \
        --distro debian --out "$work/debian-bookworm.tar.zst" || die "banger internal make-bundle"
    sum=$(sha256sum "$work/debian-bookworm.tar.zst" | cut -d' ' -f1)
    "$BANGER" image pull --bundle "$work/debian-bookworm.tar.zst" --sha256 "$sum" || die "banger image pull --bundle"
fi

for run in first second; do
    say "banger vm run --rm -- uname -a   ($run run)"
    start=$(date +%s.%N)
    "$BANGER" vm run --rm -- uname -a || die "banger vm run (banger vm list and banger vm logs NAME show what happened)"
    awk -v run="$run" -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "quickstart: %s run took %.1f s\n", run, b - a }'
done

cat <<MSG

quickstart: done. banger is at $BANGER (bangerd next to it).
  Boot a VM and log in:  banger vm run            (exit the shell, then banger vm list / delete)
  Put it on your PATH:   sudo ln -sf $BANGER /usr/local/bin/banger
  Shell completion:      source $ROOT/build/completion/banger.bash   (zsh: banger.zsh)
  Stop the daemon:       sudo $BANGER daemon stop
MSG
