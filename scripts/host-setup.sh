#!/usr/bin/env bash
# host-setup.sh: prepare a Debian 12 host to build, test and run banger. Idempotent; as root.
#   - apt packages the build and the tests need, installed only when missing (a repeated run
#     needs no network and takes well under a second);
#   - group `banger` (members may use bangerd's socket) and user `banger-test` (no login shell,
#     with a home, member of `banger`), which tests use to exercise the socket's access rules;
#   - system user `banger-vmm` (no login shell, no home): QEMU and Firecracker's jailer drop to it;
#   - a Debian bookworm root filesystem tarball (debootstrap, once) for the VM tests' systemd guest;
#   - a JDK >= 21 must already be there: apt cannot provide one on Debian 12.
# Not root: says what it would do and exits 0 with a warning (the JDK check still runs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
. "$ROOT/scripts/lib/find-java.sh"

say() { printf 'host-setup.sh: %s\n' "$*"; }
warn() { printf 'host-setup.sh: WARNING: %s\n' "$*" >&2; }
die() { printf 'host-setup.sh: FAILED: %s\n' "$*" >&2; exit 1; }

# Debian package -> why banger needs it.
PACKAGES=(
    maven          # the build
    git            # build.sh stamps the commit
    ca-certificates # Maven downloads over TLS
    socat          # bench/cli-latency.sh, docs' examples, tests that talk raw JSON-RPC
    util-linux     # setpriv/runuser (tests as banger-test), setsid (banger daemon start)
    passwd         # groupadd, useradd, usermod
    adduser        # adduser/addgroup
    e2fsprogs      # mkfs.ext4, debugfs: image and work-seed builders
    procps         # ps, pkill in tests' diagnostics
    iproute2       # ip: host networking (bridge, tap) in the daemon
    nftables       # nft: per-VM NAT rules (--nat)
    iptables       # NAT's fallback (hosts whose FORWARD chain drops by default, e.g. docker), and its tests
    docker-registry # a real OCI registry on loopback for the image-pull tests (TestRegistry)
    apache2-utils  # htpasswd: that registry's basic-auth tests
    qemu-system-x86 # the QEMU driver; tests boot imported kernels under TCG
    qemu-utils     # qemu-img: copy-on-write root disks (qcow2 overlays)
    openssh-client # ssh, ssh-keygen: banger's SSH key, `vm ssh`
    dropbear-bin   # the SSH server of the small test guest image the VM tests build
    debootstrap    # the Debian bookworm root filesystem of the systemd test guest image (below)
    systemd        # systemd-analyze verify of the bangerd.service that `banger system install` writes
    bind9-dnsutils # dig: the .vm DNS tests ask bangerd's server with a resolver that is not dnsjava
    man-db         # man: the man-page tests render what the build and system install make
    zsh            # the completion tests run banger's zsh completion in zsh
    fish           # and its fish completion in fish
)

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for p in "${PACKAGES[@]}"; do
    installed "$p" || missing+=("$p")
done

if [ "$(id -u)" -ne 0 ]; then
    warn "not root: skipping host setup. As root it would:"
    if [ ${#missing[@]} -gt 0 ]; then
        warn "  apt-get install -y ${missing[*]}"
    else
        warn "  (no packages: all installed)"
    fi
    getent group banger >/dev/null || warn "  create group banger"
    id banger-test >/dev/null 2>&1 || warn "  create user banger-test (member of banger)"
    id banger-vmm >/dev/null 2>&1 || warn "  create system user banger-vmm (VMMs run as it)"
    warn "run: sudo $0"
else
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        # Packages such as docker-registry ship a service: install them without starting it
        # (tests run their own instance on loopback), the standard policy-rc.d way.
        policy=
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            policy=/usr/sbin/policy-rc.d
            printf '#!/bin/sh\n# written by banger host-setup.sh while it installs packages\nexit 101\n' >"$policy"
            chmod 755 "$policy"
            trap 'rm -f "$policy"' EXIT
        fi
        apt-get update -q || die "apt-get update failed"
        apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null || die "apt-get install ${missing[*]} failed"
        if [ -n "$policy" ]; then rm -f "$policy"; trap - EXIT; fi
        for p in "${missing[@]}"; do
            installed "$p" || die "package $p is still not installed"
        done
    else
        say "packages: all present (${PACKAGES[*]})"
    fi

    if ! getent group banger >/dev/null; then
        groupadd --system banger || die "groupadd banger failed"
        say "created group banger"
    fi
    if ! id banger-test >/dev/null 2>&1; then
        nologin=/usr/sbin/nologin
        [ -x "$nologin" ] || nologin=/bin/false
        useradd --create-home --shell "$nologin" --groups banger --comment "banger tests" banger-test \
            || die "useradd banger-test failed"
        say "created user banger-test (group banger)"
    elif ! id -nG banger-test | tr ' ' '\n' | grep -qx banger; then
        usermod -aG banger banger-test || die "usermod -aG banger banger-test failed"
        say "added banger-test to group banger"
    fi
    if ! id banger-vmm >/dev/null 2>&1; then
        nologin=/usr/sbin/nologin
        [ -x "$nologin" ] || nologin=/bin/false
        useradd --system --no-create-home --home-dir /nonexistent --shell "$nologin" --user-group \
            --comment "banger VMMs (QEMU -runas, Firecracker jailer)" banger-vmm || die "useradd banger-vmm failed"
        say "created system user banger-vmm (the unprivileged user VMMs run as)"
    fi
    home=$(getent passwd banger-test | cut -d: -f6)
    if [ -n "$home" ] && [ ! -d "$home" ]; then
        mkdir -p "$home" && chown banger-test: "$home" && chmod 750 "$home"
        say "created $home"
    fi
fi

if ! find_java --jdk; then
    die "no JDK >= 21: this script cannot install one (Debian 12's apt has only OpenJDK 17). Install Eclipse Temurin 25 under /usr/lib/jvm, or set JAVA_HOME to a JDK >= 21."
fi
say "JDK $BANGER_JAVA_VERSION at $BANGER_JAVA_HOME"

# `banger kernel import --deb` (a Debian linux-image package into a kernel entry): the tools it
# runs, installed only when missing like the packages above; and, for its tests (which use no
# network), Debian's cloud kernel package, downloaded once into a fixed cache and kept while it is
# the archive's current one. Not root: said, not done.
KERNEL_PACKAGES=(
    busybox-static # the generated initramfs's /bin/busybox (must be statically linked)
    kmod           # depmod: modules.dep for the package's modules (the .deb ships none)
    lz4            # tests check the vmlinux cut out of the bzImage (LZ4 payload) against lz4 -d
    cpio           # tests list the generated initramfs with cpio -t
)
KERNEL_DEB_DIR=/var/cache/banger-test/kernel
kernel_missing=()
for p in "${KERNEL_PACKAGES[@]}"; do
    installed "$p" || kernel_missing+=("$p")
done
kernel_package() { # the concrete package behind linux-image-cloud-amd64, e.g. linux-image-6.1.0-31-cloud-amd64
    apt-cache depends linux-image-cloud-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1
}
if [ "$(id -u)" -ne 0 ]; then
    [ ${#kernel_missing[@]} -eq 0 ] || warn "not root: as root it would apt-get install -y ${kernel_missing[*]} (for kernel import --deb)"
    compgen -G "$KERNEL_DEB_DIR/linux-image-*.deb" >/dev/null \
        || warn "not root: as root it would apt-get download Debian's cloud kernel into $KERNEL_DEB_DIR (for the kernel import tests)"
else
    if [ ${#kernel_missing[@]} -gt 0 ]; then
        say "installing ${kernel_missing[*]} (for kernel import --deb)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${kernel_missing[@]}" </dev/null \
            || { apt-get update -q && apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${kernel_missing[@]}" </dev/null; } \
            || die "apt-get install ${kernel_missing[*]} failed"
        for p in "${kernel_missing[@]}"; do
            installed "$p" || die "package $p is still not installed"
        done
    else
        say "kernel import packages: all present (${KERNEL_PACKAGES[*]})"
    fi
    kpkg=$(kernel_package)
    [ -n "$kpkg" ] || { apt-get update -q && kpkg=$(kernel_package); } || :
    [ -n "$kpkg" ] || die "apt-cache depends linux-image-cloud-amd64 names no linux-image package"
    if compgen -G "$KERNEL_DEB_DIR/${kpkg}_*.deb" >/dev/null; then
        say "kernel package: $(basename "$(compgen -G "$KERNEL_DEB_DIR/${kpkg}_*.deb" | head -n 1)") present in $KERNEL_DEB_DIR"
    else
        say "downloading $kpkg into $KERNEL_DEB_DIR (for the kernel import tests)"
        mkdir -p "$KERNEL_DEB_DIR"
        chmod 755 /var/cache/banger-test "$KERNEL_DEB_DIR"
        kdl=$(mktemp -d "$KERNEL_DEB_DIR/.download.XXXXXX")
        chown _apt "$kdl" 2>/dev/null || : # apt-get download drops to user _apt where it can
        if ! (cd "$kdl" && apt-get download -q "$kpkg" </dev/null); then
            # Stale package lists name a version the archive no longer has: refresh, resolve again.
            if ! { apt-get update -q && kpkg=$(kernel_package) && [ -n "$kpkg" ] \
                && (cd "$kdl" && apt-get download -q "$kpkg" </dev/null); }; then
                rm -rf "$kdl"
                die "apt-get download of the package behind linux-image-cloud-amd64 (${kpkg:-unresolved}) failed"
            fi
        fi
        rm -f "$KERNEL_DEB_DIR"/linux-image-*.deb # an older kernel the archive has replaced
        chmod 644 "$kdl"/*.deb
        mv "$kdl"/*.deb "$KERNEL_DEB_DIR"/
        rmdir "$kdl"
        say "kernel package: $(cd "$KERNEL_DEB_DIR" && ls linux-image-*.deb)"
    fi
fi

# Benchmark tools (bench/image-pull.sh builds OCI images and times its baseline with them):
# installed only when missing, like the packages above; not root: said, not done.
BENCH_PACKAGES=(
    skopeo         # push/pull OCI images to/from the loopback registry
    umoci          # build OCI images (init/new/raw add-layer/config) and unpack them
    jq             # bench/chaos.sh reads `banger ... --json`
)
bench_missing=()
for p in "${BENCH_PACKAGES[@]}"; do
    installed "$p" || bench_missing+=("$p")
done
if [ ${#bench_missing[@]} -eq 0 ]; then
    say "bench packages: all present (${BENCH_PACKAGES[*]})"
elif [ "$(id -u)" -ne 0 ]; then
    warn "not root: as root it would apt-get install -y ${bench_missing[*]} (for bench/image-pull.sh)"
else
    say "installing ${bench_missing[*]} (for bench/image-pull.sh)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${bench_missing[@]}" </dev/null \
        || { apt-get update -q && apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${bench_missing[@]}" </dev/null; } \
        || die "apt-get install ${bench_missing[*]} failed"
    for p in "${bench_missing[@]}"; do
        installed "$p" || die "package $p is still not installed"
    done
fi

# The VM tests' systemd guest (TestGuestImages.debianImage): a minimal Debian bookworm root
# filesystem with systemd and OpenSSH, debootstrapped once from this host's own Debian mirror into
# a fixed cache (tests use no network). Not root: said, not done.
DEBIAN_ROOTFS=/var/cache/banger-test/debian-bookworm-rootfs.tar.gz
debian_mirror() { # the first URI this host's apt sources serve suite bookworm from (one-line or deb822)
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        # deb [options] URI SUITE COMPONENT...
        sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\)[[:space:]]\+bookworm[[:space:]].*/\2/p' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk 'BEGIN { RS = "" }
             { deb = 0; on = 1; uri = ""; suite = 0
               n = split($0, line, "\n")
               for (i = 1; i <= n; i++) {
                   if (line[i] ~ /^Types:.*[[:space:]]deb([[:space:]]|$)/) deb = 1
                   if (line[i] ~ /^Enabled:[[:space:]]*no/) on = 0
                   if (line[i] ~ /^Suites:.*[[:space:]]bookworm([[:space:]]|$)/) suite = 1
                   if (line[i] ~ /^URIs:/) { split(line[i], w, /[[:space:]]+/); uri = w[2] }
               }
               if (deb && on && suite && uri != "") print uri }' "$f"
    done
}
if [ -s "$DEBIAN_ROOTFS" ]; then
    say "debian rootfs: $DEBIAN_ROOTFS present"
elif [ "$(id -u)" -ne 0 ]; then
    warn "not root: as root it would debootstrap Debian bookworm into $DEBIAN_ROOTFS (for the VM tests' systemd guest)"
else
    mirror=$(debian_mirror | head -n 1)
    [ -n "$mirror" ] || die "no apt source of this host serves Debian bookworm (looked in /etc/apt/sources.list and /etc/apt/sources.list.d): debootstrap needs a mirror"
    say "debootstrapping Debian bookworm from $mirror into $DEBIAN_ROOTFS (about a minute, once)"
    mkdir -p "$(dirname "$DEBIAN_ROOTFS")"
    chmod 755 "$(dirname "$DEBIAN_ROOTFS")"
    work=$(mktemp -d "$(dirname "$DEBIAN_ROOTFS")/.debootstrap.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    debootstrap --variant=minbase --include=systemd-sysv,openssh-server,iproute2,udev,dbus \
        bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || die "debootstrap bookworm from $mirror failed: $(tail -n 5 "$work/debootstrap.log")"
    # Every VM must make its own host keys (banger-init runs ssh-keygen -A when they are missing).
    rm -f "$work"/rootfs/etc/ssh/ssh_host_*
    tar -C "$work/rootfs" --numeric-owner --xattrs -czf "$work/rootfs.tar.gz" . || die "tar of the debootstrapped tree failed"
    chmod 644 "$work/rootfs.tar.gz"
    mv "$work/rootfs.tar.gz" "$DEBIAN_ROOTFS"
    rm -rf "$work"
    trap - EXIT
    say "debian rootfs: $DEBIAN_ROOTFS ($(du -h "$DEBIAN_ROOTFS" | cut -f1))"
fi

# The tests' Debian mirror on loopback: what `image pull debian-bookworm` (debootstrap) and the
# `debian-cloud` kernel (apt-get download) need, as a signed apt repository the tests serve on
# 127.0.0.1 (tests use no network): the .debs debootstrap picks for the recipe
# (DebianRecipe.PACKAGES in the daemon: keep the two lists equal), Debian's cloud kernel and its
# metapackage, Packages and Release from apt-ftparchive, signed with a key made here whose public
# half is keyring.gpg. Built once; rebuilt when the kernel package changes. Not root: said, not done.
MIRROR_DIR=/var/cache/banger-test/debian-mirror
MIRROR_INCLUDE=systemd-sysv,openssh-server,iproute2,udev,dbus,git
MIRROR_PACKAGES=(
    apt-utils      # apt-ftparchive: Packages and Release of the test mirror
    gpg            # signs the test mirror's Release (debootstrap and apt check it)
)
mirror_missing=()
for p in "${MIRROR_PACKAGES[@]}"; do
    installed "$p" || mirror_missing+=("$p")
done
if [ "$(id -u)" -ne 0 ]; then
    [ -s "$MIRROR_DIR/dists/bookworm/InRelease" ] \
        || warn "not root: as root it would build the tests' Debian mirror in $MIRROR_DIR (for the debian-bookworm recipe tests)"
else
    if [ ${#mirror_missing[@]} -gt 0 ]; then
        say "installing ${mirror_missing[*]} (for the tests' Debian mirror)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${mirror_missing[@]}" </dev/null \
            || { apt-get update -q && apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${mirror_missing[@]}" </dev/null; } \
            || die "apt-get install ${mirror_missing[*]} failed"
    fi
    kpkg=${kpkg:-$(kernel_package)}
    if [ -s "$MIRROR_DIR/dists/bookworm/InRelease" ] && compgen -G "$MIRROR_DIR/pool/main/${kpkg}_*.deb" >/dev/null \
        && compgen -G "$MIRROR_DIR/pool/main/git_*.deb" >/dev/null; then # a mirror from before git joined the recipe is rebuilt
        say "test Debian mirror: $MIRROR_DIR present"
    else
        mirror=$(debian_mirror | head -n 1)
        [ -n "$mirror" ] || die "no apt source of this host serves Debian bookworm: the test mirror needs one"
        say "building the tests' Debian mirror in $MIRROR_DIR from $mirror (once)"
        work=$(mktemp -d /var/cache/banger-test/.mirror.XXXXXX)
        chmod 755 "$work" # apt-get download drops to user _apt, which must reach the pool
        trap 'rm -rf "$work"' EXIT
        debootstrap --download-only --variant=minbase --include="$MIRROR_INCLUDE" bookworm "$work/dl" "$mirror" \
            >"$work/debootstrap.log" 2>&1 || die "debootstrap --download-only from $mirror failed: $(tail -n 5 "$work/debootstrap.log")"
        pool=$work/mirror/pool/main
        mkdir -p "$pool" "$work/mirror/dists/bookworm/main/binary-amd64" "$work/gnupg"
        mv "$work"/dl/var/cache/apt/archives/*.deb "$pool"/
        for f in "$pool"/*%3a*.deb; do # an epoch is no part of an archive's file names (apt writes it as %3a)
            if [ -e "$f" ]; then mv "$f" "$(printf '%s' "$f" | sed 's/_[0-9]*%3a/_/')"; fi
        done
        kdeb=$(compgen -G "$KERNEL_DEB_DIR/${kpkg}_*.deb" | head -n 1 || :)
        [ -n "$kdeb" ] && cp "$kdeb" "$pool"/
        chown _apt "$pool" 2>/dev/null || :
        debs=(linux-image-cloud-amd64)
        [ -n "$kdeb" ] || debs+=("$kpkg")
        (cd "$pool" && apt-get download -q "${debs[@]}" </dev/null) \
            || die "apt-get download of linux-image-cloud-amd64 for the test mirror failed"
        chown root "$pool"
        (cd "$work/mirror" && apt-ftparchive packages pool >dists/bookworm/main/binary-amd64/Packages \
            && gzip -9k dists/bookworm/main/binary-amd64/Packages \
            && apt-ftparchive -o APT::FTPArchive::Release::Origin=banger-tests -o APT::FTPArchive::Release::Suite=bookworm \
                -o APT::FTPArchive::Release::Codename=bookworm -o APT::FTPArchive::Release::Architectures=amd64 \
                -o APT::FTPArchive::Release::Components=main release dists/bookworm >"$work/Release" \
            && mv "$work/Release" dists/bookworm/Release) || die "apt-ftparchive of the test mirror failed"
        export GNUPGHOME=$work/gnupg
        chmod 700 "$GNUPGHOME"
        gpg -q --batch --passphrase '' --quick-gen-key 'banger test mirror <tests@banger.invalid>' ed25519 sign never \
            && gpg -q --batch --clearsign -o "$work/mirror/dists/bookworm/InRelease" "$work/mirror/dists/bookworm/Release" \
            && gpg -q --batch -abs -o "$work/mirror/dists/bookworm/Release.gpg" "$work/mirror/dists/bookworm/Release" \
            && gpg -q --batch --export >"$work/mirror/keyring.gpg" || die "signing the test mirror with gpg failed"
        unset GNUPGHOME
        chmod -R a+rX "$work/mirror"
        rm -rf "$MIRROR_DIR"
        mv "$work/mirror" "$MIRROR_DIR"
        rm -rf "$work"
        trap - EXIT
        say "test Debian mirror: $MIRROR_DIR ($(ls "$MIRROR_DIR/pool/main" | wc -l) packages, $(du -sh "$MIRROR_DIR" | cut -f1))"
    fi
fi
