package dev.banger.daemon.vm.hypervisor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The QEMU argv for one VM: {@code -M microvm} with its virtio-mmio devices (root disk first, so
 * it is /dev/vda; the work disk /dev/vdb), daemonized with a pid file, the serial console appended
 * to a file, QMP on a Unix socket. Values inside QEMU's comma-separated options have their commas
 * doubled, QEMU's escape. Paths are made absolute: a daemonized QEMU changes to /. Confined, it
 * opens all of these as root, then chroots into an empty directory and becomes the VMM user.
 */
final class QemuCommandLine {

    static final String PID_FILE = "qemu.pid";
    static final String QMP_SOCKET = "qmp.sock";
    static final String CONSOLE_LOG = "console.log";
    /** Where a restoring QEMU listens for the saved state; bound before it chroots. */
    static final String INCOMING_SOCKET = "incoming.sock";
    /**
     * The host end of the guest's identity port (a virtio-serial port named {@link #IDENTITY_PORT}),
     * bound before QEMU chroots; see {@code vm.identity.IdentityChannel} and {@link QemuDriver#identitySocket}.
     */
    static final String IDENTITY_SOCKET = "identity.sock";
    /** The port's name in the guest: /sys/class/virtio-ports/vportNpM/name. */
    static final String IDENTITY_PORT = "banger.identity";
    /** The empty, root-owned directory a confined QEMU chroots into: an escaped process sees no files. */
    static final String CHROOT = "chroot";
    /**
     * TCG's translation buffer (MiB). Full, it is flushed and everything run is translated again: at
     * 64 a Debian boot flushed it 9 times and a clone from a snapshot once within its first command;
     * at 128, 3 times and not at all, for a boot 14 % faster and ~80 MB more resident memory per VM
     * (bench/warm-start.sh; QEMU's own default would take up to 1 GiB).
     */
    static final int TCG_TRANSLATION_MIB = 128;

    /**
     * How QEMU is fenced in: {@code runAs} (a user name for -runas) and {@code chroot} or both null,
     * and the {@code -sandbox} options or null where the host's QEMU has no seccomp.
     */
    record Confinement(String runAs, Path chroot, String sandbox) {
        static final Confinement NONE = new Confinement(null, null, null);
    }

    private QemuCommandLine() {
    }

    /** {@code tscKhz}: the host clock rate, passed to TCG guests (without it they can hang calibrating the TSC under load). */
    static List<String> build(Path qemu, MachineSpec spec, Acceleration accel, long tscKhz, Confinement confinement) {
        Path run = spec.runDir().toAbsolutePath();
        List<String> a = new ArrayList<>(List.of(qemu.toString(),
                "-name", "banger-" + escape(spec.name()),
                "-M", "microvm",
                "-m", Integer.toString(spec.memoryMib()),
                "-smp", Integer.toString(spec.vcpu()),
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-daemonize", "-pidfile", run.resolve(PID_FILE).toString(),
                "-chardev", "file,id=console,append=on,path=" + escape(run.resolve(CONSOLE_LOG)),
                "-serial", "chardev:console",
                "-qmp", qmpOption(run.resolve(QMP_SOCKET))));
        if (confinement.runAs() != null) {
            a.addAll(List.of("-runas", confinement.runAs(), "-chroot", confinement.chroot().toAbsolutePath().toString()));
        }
        if (confinement.sandbox() != null) {
            a.addAll(List.of("-sandbox", confinement.sandbox()));
        }
        if (accel.isKvm()) {
            a.addAll(List.of("-accel", "kvm", "-cpu", "host"));
        } else {
            // qemu64 (TCG's default CPU) plus RDRAND: the guest kernel seeds its RNG at once. Without a
            // hardware source it waits for jitter entropy, which under host load took from ~1 s to
            // over 90 s, and dropbearkey/ssh-keygen (host keys, before SSH) block on it.
            a.addAll(List.of("-accel", "tcg,tb-size=" + TCG_TRANSLATION_MIB, "-cpu", "qemu64,+rdrand"));
        }
        a.addAll(List.of("-kernel", spec.kernel().toAbsolutePath().toString()));
        if (spec.initrd() != null) {
            a.addAll(List.of("-initrd", spec.initrd().toAbsolutePath().toString()));
        }
        String append = "console=ttyS0 reboot=k panic=-1 " + spec.kernelArgs().strip();
        if (!accel.isKvm()) {
            append += " tsc_early_khz=" + tscKhz;
        }
        a.addAll(List.of("-append", append));
        disk(a, "root", spec.rootDisk(), spec.rootFormat());
        if (spec.workDisk() != null) {
            disk(a, "work", spec.workDisk(), DiskFormat.RAW);
        }
        if (spec.tap() != null) {
            // No vhost: the hosts banger targets may lack vhost-net, and QEMU aborts when it is asked for and absent.
            a.addAll(List.of("-netdev", "tap,id=n0,ifname=" + escape(spec.tap()) + ",script=no,downscript=no",
                    "-device", "virtio-net-device,netdev=n0" + (spec.mac() == null ? "" : ",mac=" + spec.mac())));
        }
        // Every VM has the port, not only clones: a saved state loads only into the devices it was saved from.
        a.addAll(List.of("-device", "virtio-serial-device,max_ports=2",
                "-chardev", "socket,id=identity,server=on,wait=off,path=" + escape(run.resolve(IDENTITY_SOCKET)),
                "-device", "virtserialport,chardev=identity,name=" + IDENTITY_PORT));
        if (spec.restoreFrom() != null) {
            a.addAll(List.of("-incoming", "unix:" + escape(run.resolve(INCOMING_SOCKET))));
        }
        return a;
    }

    /** The -qmp value; its socket path also identifies the VM's process on /proc/PID/cmdline. */
    static String qmpOption(Path socket) {
        return "unix:" + escape(socket) + ",server=on,wait=off";
    }

    private static void disk(List<String> a, String id, Path file, DiskFormat format) {
        a.addAll(List.of("-drive", "id=" + id + ",file=" + escape(file.toAbsolutePath()) + ",format=" + format.name().toLowerCase(Locale.ROOT)
                        + ",if=none"
                        // QEMU's default (on) reopens the file read-only by path at the end of a state save, which
                        // fails inside its chroot; off keeps the open fd.
                        + ",auto-read-only=off",
                "-device", "virtio-blk-device,drive=" + id));
    }

    private static String escape(Object value) {
        return value.toString().replace(",", ",,");
    }
}
