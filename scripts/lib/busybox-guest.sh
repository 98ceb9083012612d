# shellcheck shell=bash
# busybox-guest.sh: the small guest the benchmarks boot (busybox-static + dropbear, as the VM
# tests' TestGuestImages.busyboxImage), built from this host's files and pushed as an OCI image.
# Sourced; needs busybox, dropbear, ldd, tar, umoci, skopeo.
#
#   busybox_guest_push WORK REF [BIN...]   builds the tree under WORK (removed afterwards), with
#                                          the extra host binaries BIN and their libraries, and
#                                          pushes it to REF (docker://REF, plain HTTP); returns 1
#                                          when the push fails. Leaves the tree as WORK/guest.tar
#                                          (e.g. for a bundle made from it).
#   guest_kernel_deb                       prints the Debian kernel package the guests boot (the
#                                          one scripts/host-setup.sh downloads); returns 1, saying
#                                          so, when there is none.

guest_kernel_deb() {
    compgen -G '/var/cache/banger-test/kernel/linux-image-*.deb' | head -n 1 | grep . && return 0
    echo "no Debian kernel package in /var/cache/banger-test/kernel (sudo scripts/host-setup.sh downloads it)" >&2
    return 1
}

busybox_guest_push() {
    local work=$1 ref=$2 t bin lib applet
    shift 2
    t=$work/guest
    mkdir -p "$t"/{bin,etc/dropbear,usr/bin,usr/sbin,var/log,proc,sys,dev,run}
    mkdir -m 700 "$t/root"
    mkdir -m 1777 "$t/tmp"
    cp /bin/busybox "$t/bin/busybox"
    for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -s busybox "$t/bin/$applet"
    done
    for bin in /usr/sbin/dropbear /usr/bin/dropbearkey "$@"; do
        cp "$bin" "$t$bin"
        ldd "$bin" | sed -n 's|.*[[:space:]]\(/[^ ]*\) (0x.*|\1|p'
    done | sort -u | while read -r lib; do
        mkdir -p "$t$(dirname "$lib")"
        cp -L "$lib" "$t$lib"
    done
    # Dropbear refuses locked accounts ('!') and shells not in /etc/shells; '*' is no password.
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$t/etc/passwd"
    printf 'root:x:0:\n' >"$t/etc/group"
    printf 'root:*:19000:0:99999:7:::\n' >"$t/etc/shadow"
    chmod 600 "$t/etc/shadow"
    printf '/bin/sh\n' >"$t/etc/shells"
    printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$t/etc/nsswitch.conf"
    printf '127.0.0.1 localhost\n' >"$t/etc/hosts"
    tar -C "$t" --sort=name --numeric-owner --owner=0 --group=0 -cf "$work/guest.tar" .
    umoci init --layout "$work/oci" &&
        umoci new --image "$work/oci:bb" &&
        umoci raw add-layer --image "$work/oci:bb" "$work/guest.tar" &&
        umoci config --image "$work/oci:bb" --config.cmd /bin/sh --config.workingdir /root &&
        skopeo copy -q --insecure-policy --dest-tls-verify=false "oci:$work/oci:bb" "docker://$ref"
    local rc=$?
    rm -rf "$t" "$work/oci"
    return "$rc"
}
