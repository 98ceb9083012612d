package dev.banger.daemon.image.testing;

import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.daemon.exec.BackgroundProcess;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A pulled image booted by hand the way the VM service will boot it, until that service exists:
 * QEMU microvm under TCG (host-facts: no usable KVM here), the imported kernel and initramfs, a
 * qcow2 overlay over the image's rootfs.ext4, a work disk (/dev/vdb, banger-init mounts it on
 * /root) seeded from the image and holding a fresh key in /root/.ssh/authorized_keys, and user
 * networking restricted to a host-forwarded SSH port on 127.0.0.1. {@link #close} kills QEMU.
 */
public final class TestGuest implements AutoCloseable {

    public static final String GUEST_IP = "10.0.2.15/24"; // slirp's network, so its gateway answers
    public static final String GATEWAY = "10.0.2.2";

    // ssh's ConnectTimeout also bounds the banner exchange, which sshd under TCG can take seconds
    // for: polling a guest still booting, a short one keeps each failed try short (a slow banner
    // costs one more try); a command on a guest that has answered gets a long one.
    private static final Duration POLL_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

    private final CommandRunner runner = new CommandRunner();
    private final Path dir;
    private final Path key;
    private final int sshPort;
    private final BackgroundProcess qemu;
    private final long startedNanos;

    private TestGuest(Path dir, Path key, int sshPort, BackgroundProcess qemu, long startedNanos) {
        this.dir = dir;
        this.key = key;
        this.sshPort = sshPort;
        this.qemu = qemu;
        this.startedNanos = startedNanos;
    }

    /** qemu-system-x86_64, qemu-img, ssh, ssh-keygen, debugfs: what a boot runs. */
    public static void requireTools() {
        for (String[] tool : new String[][] {{"qemu-system-x86_64", "qemu-system-x86"}, {"qemu-img", "qemu-utils"},
                {"ssh", "openssh-client"}, {"ssh-keygen", "openssh-client"}, {"debugfs", "e2fsprogs"}}) {
            if (!TestKernelDeb.onHost(tool[0])) {
                TestKernelDeb.missing(tool[0] + " is not installed (Debian package " + tool[1] + "): " + TestKernelDeb.SETUP);
            }
        }
    }

    /** Starts QEMU on {@code image} with {@code kernel}, its files in {@code dir}; returns at once (see {@link #awaitSsh}). */
    public static TestGuest boot(ImageInfo image, KernelInfo kernel, String hostname, Path dir) throws IOException {
        CommandRunner runner = new CommandRunner();
        Files.createDirectories(dir);
        Path key = dir.resolve("id_ed25519");
        runner.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "banger-test", "-f", key.toString());
        Path root = dir.resolve("root.qcow2");
        runner.run("qemu-img", "create", "-q", "-f", "qcow2", "-b", image.rootfsPath(), "-F", "raw", root.toString());
        Path work = workDisk(runner, image, dir.resolve("work.ext4"), dir.resolve("id_ed25519.pub"));
        int port = freePort();
        List<String> argv = List.of("qemu-system-x86_64", "-M", "microvm", "-accel", "tcg,tb-size=64", "-m", "512", "-smp", "1",
                "-nodefaults", "-no-user-config", "-nographic", "-no-reboot", "-serial", "file:" + dir.resolve("console.log"),
                "-kernel", kernel.vmlinuzPath(), "-initrd", kernel.initrdPath(),
                "-append", "console=ttyS0 panic=-1 init=/usr/local/sbin/banger-init banger.ip=" + GUEST_IP
                        + " banger.gw=" + GATEWAY + " banger.hostname=" + hostname + " tsc_early_khz=" + tscKhz(),
                "-drive", "id=root,file=" + root + ",format=qcow2,if=none", "-device", "virtio-blk-device,drive=root",
                "-drive", "id=work,file=" + work + ",format=raw,if=none", "-device", "virtio-blk-device,drive=work",
                "-netdev", "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:" + port + "-:22",
                "-device", "virtio-net-device,netdev=n0");
        long started = System.nanoTime();
        BackgroundProcess qemu = runner.start(new Command(argv, Command.DEFAULT_TIMEOUT, null, Map.of(), null),
                dir.resolve("qemu.log"));
        return new TestGuest(dir, key, port, qemu, started);
    }

    /**
     * The image's work-seed.ext4 copied (or, for an image without one, an empty ext4) with root's
     * authorized_keys written in by debugfs (no mount): .ssh 0700 and the file 0600, owned by 0:0,
     * as sshd and dropbear demand.
     */
    private static Path workDisk(CommandRunner runner, ImageInfo image, Path disk, Path publicKey) throws IOException {
        if (image.workSeedPath() != null) {
            Files.copy(Path.of(image.workSeedPath()), disk);
        } else {
            runner.run("mkfs.ext4", "-q", "-F", "-L", "work", disk.toString(), "64M");
        }
        String script = """
                mkdir .ssh
                sif .ssh mode 040700
                sif .ssh uid 0
                sif .ssh gid 0
                write %s .ssh/authorized_keys
                sif .ssh/authorized_keys mode 0100600
                sif .ssh/authorized_keys uid 0
                sif .ssh/authorized_keys gid 0
                """.formatted(publicKey);
        CommandResult r = runner.run(Command.of("debugfs", "-w", "-f", "-", disk.toString()).withStdin(script.getBytes(StandardCharsets.UTF_8)));
        // debugfs reports a failed request on stderr and still exits 0. Expected there: its banner, and
        // mkdir's complaint when the image's /root already has a .ssh (Debian's has).
        List<String> errors = r.stderr().lines()
                .filter(l -> !l.startsWith("debugfs ") && !l.contains("directory already exists")).toList();
        if (!errors.isEmpty()) {
            throw new IllegalStateException("debugfs could not write authorized_keys into " + disk + ": " + errors);
        }
        return disk;
    }

    /**
     * Runs {@code command} over SSH until it succeeds, while QEMU runs, for up to {@code timeout};
     * returns its result. Fails with the console's tail when the guest never answers.
     */
    public CommandResult awaitSsh(String command, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        CommandResult last = null;
        while (System.nanoTime() < deadline && qemu.isAlive()) {
            last = ssh(command, POLL_CONNECT_TIMEOUT);
            if (last.exitCode() == 0) {
                return last;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("no SSH answer from the guest within " + timeout.toSeconds() + " s (QEMU "
                + (qemu.isAlive() ? "still running" : "exited " + qemu.exitCode()) + "); last ssh: "
                + (last == null ? "none" : "exit " + last.exitCode() + ": " + last.stderr().strip()) + "\n" + diagnostics());
    }

    /** One SSH command as root on the booted guest. */
    public CommandResult ssh(String command) {
        return ssh(command, CONNECT_TIMEOUT);
    }

    private CommandResult ssh(String command, Duration connectTimeout) {
        return runner.runAllowingFailure(Command.of("ssh", "-i", key.toString(), "-p", String.valueOf(sshPort),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "ConnectTimeout=" + connectTimeout.toSeconds(),
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR", "root@127.0.0.1", command)
                .withTimeout(CONNECT_TIMEOUT.plusSeconds(30)));
    }

    /** Since QEMU started. */
    public Duration uptime() {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    /** The serial console's last lines and QEMU's own output, for assertion messages. */
    public String diagnostics() {
        return "--- console.log (tail) ---\n" + tail(dir.resolve("console.log"), 60)
                + "--- qemu.log ---\n" + tail(dir.resolve("qemu.log"), 20);
    }

    private static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(none)\n";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException e) {
            return "(unreadable: " + e + ")\n";
        }
    }

    @Override
    public void close() {
        qemu.stop(Duration.ofSeconds(2));
    }

    /**
     * The host's TSC rate in kHz, from /proc/cpuinfo's "cpu MHz", for {@code tsc_early_khz=}: under
     * a loaded host a TCG guest can hang calibrating the TSC without it (host-facts).
     */
    public static long tscKhz() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("cpu MHz")) {
                    return Math.round(Double.parseDouble(line.substring(line.indexOf(':') + 1).strip()) * 1000);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 2_000_000;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
