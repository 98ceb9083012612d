package dev.banger.daemon.image.kernel;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.kernel.ModulesDep.Module;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

/**
 * Stage 3: the initramfs, a gzip'd newc cpio written here (no cpio tool): static busybox and the
 * applet links its {@code /init} uses, the chosen modules (decompressed: busybox's insmod takes
 * plain .ko files) and {@code /init}, which loads them in dependency order, waits for the root disk
 * and switches to it. Deterministic: same inputs, same bytes.
 */
final class InitramfsBuilder {

    /** From Debian's busybox-static. */
    static final Path BUSYBOX = Path.of("/bin/busybox");
    /** Every command /init runs, as links to busybox in /bin. */
    static final List<String> APPLETS = List.of("[", "cat", "echo", "halt", "insmod", "mkdir", "mount", "poweroff",
            "sh", "sleep", "switch_root", "sync", "test", "umount", "usleep");
    /** Seconds /init waits for the root disk. */
    static final int ROOT_WAIT_SECONDS = 10;

    private final CommandRunner runner;
    private final Path busybox;

    InitramfsBuilder(CommandRunner runner, Path busybox) {
        this.runner = runner;
        this.busybox = busybox;
    }

    /** Fails with a message naming busybox-static unless {@link #busybox} is a static x86-64 binary. */
    void checkBusybox() {
        String install = "install the Debian package busybox-static (it replaces busybox; scripts/host-setup.sh does)";
        if (!Files.isRegularFile(busybox)) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "kernel import needs a static busybox at " + busybox
                    + " for the initramfs, and there is none: " + install);
        }
        try {
            if (!Elf.isStaticX86_64(busybox)) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, busybox + " is not a statically linked x86-64 binary, "
                        + "so it cannot run alone in an initramfs: " + install);
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot read " + busybox + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param modulesDir the copies' {@code .../modules/VERSION} (paths in {@code order} are relative to it)
     * @param work       scratch space (for .ko.xz decompression)
     * @param mtime      seconds since the epoch, for every entry
     */
    void build(String version, List<Module> order, Path modulesDir, Path work, Path out, long mtime) throws IOException {
        checkBusybox();
        List<String> loadPaths = new ArrayList<>();
        for (Module m : order) {
            loadPaths.add(ModuleSelector.stripCompression(m.path()));
        }
        try (OutputStream file = Files.newOutputStream(out);
             GZIPOutputStream gz = new GZIPOutputStream(new BufferedOutputStream(file, 1 << 16), 1 << 16);
             CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(gz, CpioConstants.FORMAT_NEW)) {
            Writer w = new Writer(cpio, mtime);
            TreeSet<String> dirs = new TreeSet<>(List.of("bin", "dev", "proc", "sys", "newroot", "lib", "lib/modules"));
            for (String p : loadPaths) {
                String full = "lib/modules/" + version + "/" + p;
                for (int i = full.indexOf('/'); i > 0; i = full.indexOf('/', i + 1)) {
                    dirs.add(full.substring(0, i));
                }
            }
            for (String d : dirs) { // sorted: parents first
                w.dir(d);
            }
            w.charDevice("dev/console", 0600, 5, 1);
            w.file("bin/busybox", 0755, Files.readAllBytes(busybox));
            for (String applet : APPLETS) {
                w.symlink("bin/" + applet, "busybox");
            }
            for (int i = 0; i < order.size(); i++) {
                w.file("lib/modules/" + version + "/" + loadPaths.get(i), 0644,
                        plainModule(modulesDir.resolve(order.get(i).path()), work));
            }
            w.file("init", 0755, initScript(version, loadPaths).getBytes(StandardCharsets.UTF_8));
            cpio.finish();
        }
    }

    /** The module's bytes, decompressed when the package ships it compressed. */
    private byte[] plainModule(Path ko, Path work) throws IOException {
        String name = ko.getFileName().toString();
        if (name.endsWith(".ko")) {
            return Files.readAllBytes(ko);
        }
        if (name.endsWith(".ko.gz")) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(ko))) {
                return in.readAllBytes();
            }
        }
        if (name.endsWith(".ko.zst")) {
            try (InputStream in = new ZstdCompressorInputStream(Files.newInputStream(ko))) {
                return in.readAllBytes();
            }
        }
        if (name.endsWith(".ko.xz")) { // commons-compress needs the xz library for this; the xz tool is always there
            Path xz = HostTools.find("xz", "xz-utils");
            Files.createDirectories(work);
            Path copy = work.resolve(name);
            Files.copy(ko, copy, StandardCopyOption.REPLACE_EXISTING);
            runner.run(Command.of(xz.toString(), "-d", "-f", copy.toString()));
            Path plain = work.resolve(name.substring(0, name.length() - ".xz".length()));
            byte[] bytes = Files.readAllBytes(plain);
            Files.delete(plain);
            return bytes;
        }
        throw BangerException.badRequest("module " + name + " is compressed in a way banger does not read (not .ko, .ko.gz, .ko.xz, .ko.zst)");
    }

    /** {@code /init}: a POSIX sh script run by busybox as PID 1. */
    static String initScript(String version, List<String> modulePaths) {
        StringBuilder insmods = new StringBuilder();
        for (String p : modulePaths) {
            insmods.append("load ").append(p).append('\n');
        }
        return """
                #!/bin/sh
                # banger initramfs /init (written by bangerd's kernel import): load the virtio modules in
                # dependency order, wait for the root disk, mount it, hand over to its init.
                # Kernel parameters read: init= (default /sbin/init), root=/dev/... (default /dev/vda),
                # rootfstype= (default ext4).
                PATH=/bin
                export PATH
                set -f

                say() { echo "banger-initrd: $*"; }
                # No rescue shell: say why, then power off (halt if that fails), never return.
                fail() {
                    say "$*"
                    say "cannot boot: powering off"
                    sync
                    poweroff -f
                    halt -f
                    while :; do sleep 3600; done
                }

                mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
                exec </dev/console >/dev/console 2>&1
                mount -t proc -o nosuid,nodev,noexec proc /proc
                mount -t sysfs -o nosuid,nodev,noexec sysfs /sys

                init=/sbin/init
                root=/dev/vda
                rootfstype=ext4
                for arg in $(cat /proc/cmdline); do
                    case "$arg" in
                        init=*) init=${arg#init=} ;;
                        root=/dev/*) root=${arg#root=} ;;
                        rootfstype=*) rootfstype=${arg#rootfstype=} ;;
                    esac
                done

                load() { insmod "/lib/modules/@VERSION@/$1" || say "insmod $1 failed"; }
                @INSMODS@
                tries=0
                while [ ! -b "$root" ]; do
                    if [ "$tries" -ge @TRIES@ ]; then
                        fail "root disk $root did not appear within @SECONDS@ s (is a virtio-blk disk attached?)"
                    fi
                    usleep 100000
                    tries=$((tries + 1))
                done
                mount -t "$rootfstype" -o rw "$root" /newroot || fail "cannot mount $root ($rootfstype, rw) on /newroot"
                if [ ! -e "/newroot$init" ] && [ ! -L "/newroot$init" ]; then
                    fail "$root has no $init (set init= on the kernel command line)"
                fi
                for fs in dev proc sys; do
                    if [ -d "/newroot/$fs" ]; then
                        mount -o move "/$fs" "/newroot/$fs"
                    else
                        umount -l "/$fs"
                    fi
                done
                say "root $root mounted, starting $init"
                exec switch_root /newroot "$init" "$@"
                """
                .replace("@VERSION@", version)
                .replace("@INSMODS@", insmods.toString().strip())
                .replace("@TRIES@", Integer.toString(ROOT_WAIT_SECONDS * 10))
                .replace("@SECONDS@", Integer.toString(ROOT_WAIT_SECONDS));
    }

    /** Entries with fixed owner (root), times and inode numbers. */
    private static final class Writer {
        private final CpioArchiveOutputStream cpio;
        private final long mtime;
        private long inode = 1;

        Writer(CpioArchiveOutputStream cpio, long mtime) {
            this.cpio = cpio;
            this.mtime = mtime;
        }

        void dir(String name) throws IOException {
            put(name, CpioConstants.C_ISDIR | 0755, 2, new byte[0], 0, 0);
        }

        void file(String name, int perm, byte[] content) throws IOException {
            put(name, CpioConstants.C_ISREG | perm, 1, content, 0, 0);
        }

        void symlink(String name, String target) throws IOException {
            put(name, CpioConstants.C_ISLNK | 0777, 1, target.getBytes(StandardCharsets.UTF_8), 0, 0);
        }

        void charDevice(String name, int perm, int major, int minor) throws IOException {
            put(name, CpioConstants.C_ISCHR | perm, 1, new byte[0], major, minor);
        }

        private void put(String name, int mode, int links, byte[] content, int rdevMajor, int rdevMinor) throws IOException {
            CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name, content.length);
            e.setMode(mode);
            e.setInode(inode++);
            e.setNumberOfLinks(links);
            e.setUID(0);
            e.setGID(0);
            e.setTime(mtime);
            e.setRemoteDeviceMaj(rdevMajor);
            e.setRemoteDeviceMin(rdevMinor);
            cpio.putArchiveEntry(e);
            cpio.write(content);
            cpio.closeArchiveEntry();
        }
    }
}
