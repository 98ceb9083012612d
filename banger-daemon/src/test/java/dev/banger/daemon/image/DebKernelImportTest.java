package dev.banger.daemon.image;

import dev.banger.core.api.KernelApi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.testing.TestGuest;
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kernel import --deb} on Debian's real cloud kernel package (fetched once by
 * scripts/host-setup.sh; no network here), imported once for the class; and bad packages, which
 * leave nothing behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DebKernelImportTest {

    private static final List<String> VIRTIO_ORDER = List.of("virtio_ring", "virtio", "virtio_mmio",
            "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci", "virtio_blk", "failover", "net_failover",
            "virtio_net");

    @TempDir
    static Path dir;
    Path deb;
    Store store;
    Layout layout;
    ImageService images;
    KernelInfo kernel;
    final List<String> stages = new CopyOnWriteArrayList<>();
    long importMillis;

    @BeforeAll
    void importOnce() {
        TestKernelDeb.requireTools();
        deb = TestKernelDeb.require();
        Config config = Config.under(dir.resolve("banger"));
        layout = Layout.of(config);
        store = Store.open(layout.database());
        images = new ImageService(store, new CommandRunner(), layout, config, Clock.systemUTC());
        long t0 = System.nanoTime();
        kernel = images.importKernel(params("cloud", null, deb.toString()), ctx(stages));
        importMillis = (System.nanoTime() - t0) / 1_000_000;
    }

    @AfterAll
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private static KernelApi.KernelImportParams params(String name, String from, String deb) {
        return new KernelApi.KernelImportParams(name, from, null, null, deb);
    }

    private OperationContext ctx(List<String> stages) {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "kernel.import", "test", false,
                e -> stages.add((String) e.get("stage")));
    }

    @Test
    void theEntryDescribesThePackage() throws Exception {
        String file = deb.getFileName().toString();
        String version = file.substring("linux-image-".length(), file.indexOf('_'));
        assertThat(kernel.version()).isEqualTo(version);
        assertThat(kernel.distro()).isEqualTo("debian");
        assertThat(kernel.arch()).isEqualTo("x86_64");
        assertThat(kernel.source()).isEqualTo("deb:" + file);
        assertThat(kernel.sha256()).isEqualTo(sha256(deb));
        assertThat(kernel.managed()).isTrue();
        assertThat(kernel.dir()).isEqualTo(layout.kernelsDir().resolve("cloud").toString());
        assertThat(images.showKernel("cloud")).isEqualTo(kernel);
        assertThat(stages).containsSubsequence("check package", "extract package", "select modules", "build initramfs",
                "extract vmlinux", "publish");
        assertThat(layout.stagingDir().toFile().list()).as("staging is empty after a good import").isEmpty();
        assertThat(Path.of(kernel.dir()).toFile().list()).containsExactlyInAnyOrder("vmlinuz", "vmlinux", "initrd.img", "modules");
        System.out.printf("kernel import --deb %s: %d ms%n", file, importMillis);
    }

    @Test
    void vmlinuzIsThePackagesBzImageAndVmlinuxAnElfCutOutOfIt() throws Exception {
        byte[] bz = Files.readAllBytes(Path.of(kernel.vmlinuzPath()));
        assertThat(new String(bz, 0x202, 4, StandardCharsets.US_ASCII)).isEqualTo("HdrS");
        try (InputStream in = Files.newInputStream(Path.of(kernel.vmlinuxPath()))) {
            byte[] h = in.readNBytes(20);
            assertThat(HexFormat.of().formatHex(h, 0, 4)).isEqualTo("7f454c46");
            assertThat(h[4]).as("ELFCLASS64").isEqualTo((byte) 2);
            assertThat((h[18] & 0xff) | (h[19] & 0xff) << 8).as("e_machine x86-64").isEqualTo(62);
        }
        assertThat(Files.size(Path.of(kernel.vmlinuxPath()))).isGreaterThan(3 * Files.size(Path.of(kernel.vmlinuzPath())));

        // The same bytes as the lz4 tool gives for the payload the boot header points at (less the appended size).
        java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(bz).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int start = ((bz[0x1f1] & 0xff) + 1) * 512 + h.getInt(0x248);
        Path payload = dir.resolve("payload.lz4");
        Files.write(payload, java.util.Arrays.copyOfRange(bz, start, start + h.getInt(0x24c) - 4));
        Path byTool = dir.resolve("vmlinux.lz4-tool");
        new CommandRunner().run(Command.of("lz4", "-d", "-f", "-q", payload.toString(), byTool.toString()));
        assertThat(Files.mismatch(byTool, Path.of(kernel.vmlinuxPath()))).as("first differing byte").isEqualTo(-1L);
    }

    @Test
    void modulesHoldOnlyWhatAMicroVmNeedsWithTheirModulesDep() throws Exception {
        Path mods = Path.of(kernel.modulesPath(), kernel.version());
        Map<String, String> dep = new LinkedHashMap<>();
        for (String line : Files.readAllLines(mods.resolve("modules.dep"))) {
            dep.put(line.substring(0, line.indexOf(':')), line.substring(line.indexOf(':') + 1).strip());
        }
        assertThat(dep).containsEntry("kernel/drivers/block/virtio_blk.ko", "kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko");
        assertThat(dep.keySet()).extracting(DebKernelImportTest::name)
                .containsAll(VIRTIO_ORDER).contains("virtio_console", "vsock", "vmw_vsock_virtio_transport");
        assertThat(dep).hasSizeLessThan(25);
        for (Map.Entry<String, String> e : dep.entrySet()) { // closed: every dependency is there
            for (String d : e.getValue().split(" ")) {
                assertThat(d.isEmpty() || dep.containsKey(d)).as(e.getKey() + " needs " + d).isTrue();
            }
        }
        try (Stream<Path> s = Files.walk(mods)) {
            assertThat(s.filter(p -> p.toString().contains(".ko")).count()).isEqualTo(dep.size());
        }
    }

    @Test
    void theInitramfsIsAGzipNewcCpioWithBusyboxInitAndTheModules() throws Exception {
        byte[] cpio;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of(kernel.initrdPath())))) {
            cpio = in.readAllBytes();
        }
        // The real cpio tool reads it.
        String listed = new CommandRunner().run(Command.of("cpio", "-t", "--quiet").withStdin(cpio)).stdout();
        List<String> names = listed.lines().toList();
        String mods = "lib/modules/" + kernel.version() + "/kernel/drivers/";
        assertThat(names).contains("init", "bin/busybox", "bin/sh", "bin/switch_root", "bin/insmod", "dev/console",
                mods + "virtio/virtio_ring.ko", mods + "virtio/virtio.ko", mods + "virtio/virtio_mmio.ko",
                mods + "block/virtio_blk.ko", mods + "net/virtio_net.ko", mods + "char/virtio_console.ko");

        Map<String, CpioArchiveEntry> entries = new LinkedHashMap<>();
        String init = null;
        byte[] busybox = null;
        try (CpioArchiveInputStream in = new CpioArchiveInputStream(new ByteArrayInputStream(cpio))) {
            for (CpioArchiveEntry e; (e = in.getNextCPIOEntry()) != null; ) {
                entries.put(e.getName(), e);
                if (e.getName().equals("init")) {
                    init = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } else if (e.getName().equals("bin/busybox")) {
                    busybox = in.readAllBytes();
                }
            }
        }
        assertThat(entries.values()).allSatisfy(e -> assertThat(e.getFormat()).isEqualTo((short) 1 /* FORMAT_NEW */));
        assertThat(entries.get("init").getMode() & 0777).isEqualTo(0755);
        assertThat(entries.get("init").isRegularFile()).isTrue();
        assertThat(entries.get("bin/sh").isSymbolicLink()).isTrue();
        assertThat(entries.get("dev/console").isCharacterDevice()).isTrue();
        assertThat(busybox).isEqualTo(Files.readAllBytes(Path.of("/bin/busybox")));
        assertThat(init).startsWith("#!/bin/sh\n").contains("switch_root /newroot \"$init\"", "init=/sbin/init", "/dev/vda");

        // insmod order: each module after what it needs (virtio_ring before virtio: host-facts).
        List<String> loads = new ArrayList<>();
        for (String line : init.lines().toList()) {
            if (line.startsWith("load kernel/")) {
                loads.add(name(line.substring("load ".length())));
            }
        }
        assertThat(loads).containsSubsequence(VIRTIO_ORDER);
        assertThat(loads).containsSubsequence("vsock", "vmw_vsock_virtio_transport_common", "vmw_vsock_virtio_transport");
        assertThat(loads).doesNotHaveDuplicates();
    }

    /**
     * A real boot, when QEMU is installed (its package comes with the VM work): microvm under TCG
     * (host-facts: tsc_early_khz, or TCG can hang calibrating), the imported vmlinuz + initrd.img, a
     * tiny ext4 root whose busybox init (chosen with init=) reports and powers off. ~5-10 s.
     */
    @Test
    void bootsUnderQemuIntoTheRootDisksInit() throws Exception {
        Assumptions.assumeTrue(TestKernelDeb.onHost("qemu-system-x86_64"),
                "qemu-system-x86_64 is not installed (package qemu-system-x86): skipping the boot test");
        CommandRunner runner = new CommandRunner();
        Path root = Files.createDirectories(dir.resolve("boot-root"));
        for (String d : List.of("bin", "sbin", "dev", "proc", "sys")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"));
        Files.createSymbolicLink(root.resolve("bin/sh"), Path.of("busybox"));
        Path init = root.resolve("sbin/banger-test-init");
        Files.writeString(init, """
                #!/bin/sh
                echo "BANGER-TEST-MARKER $(/bin/busybox uname -r) pid $$"
                echo "net: $(/bin/busybox ls /sys/class/net | /bin/busybox tr '\n' ' ')"
                echo "root: $(/bin/busybox grep ' / ' /proc/mounts)"
                /bin/busybox poweroff -f
                """);
        Files.setPosixFilePermissions(init, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path disk = dir.resolve("boot-root.ext4");
        runner.run(Command.of("mkfs.ext4", "-q", "-F", "-d", root.toString(), disk.toString(), "32M"));

        boolean isolated = TestKernelDeb.isRoot(); // a NIC only inside a private network namespace
        List<String> argv = new ArrayList<>();
        if (isolated) {
            argv.addAll(List.of("unshare", "--net"));
        }
        argv.addAll(List.of("qemu-system-x86_64", "-M", "microvm", "-accel", "tcg,tb-size=64", "-m", "256", "-smp", "1",
                "-nodefaults", "-no-user-config", "-nographic", "-no-reboot", "-serial", "stdio",
                "-kernel", kernel.vmlinuzPath(), "-initrd", kernel.initrdPath(),
                "-append", "console=ttyS0 panic=-1 quiet init=/sbin/banger-test-init tsc_early_khz=" + TestGuest.tscKhz(),
                "-drive", "id=root,file=" + disk + ",format=raw,if=none", "-device", "virtio-blk-device,drive=root"));
        if (isolated) {
            argv.addAll(List.of("-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-device,netdev=n0"));
        }
        long t0 = System.nanoTime();
        var r = runner.runAllowingFailure(new Command(argv, java.time.Duration.ofSeconds(90), null, Map.of(), null));
        System.out.printf("boot under TCG: %d ms, exit %d%n", (System.nanoTime() - t0) / 1_000_000, r.exitCode());
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).contains("banger-initrd: root /dev/vda mounted, starting /sbin/banger-test-init",
                "BANGER-TEST-MARKER " + kernel.version() + " pid 1", "root: /dev/vda / ext4 rw");
        if (isolated) {
            assertThat(r.stdout()).contains("eth0");
        }
    }

    @Test
    void reimportingTheSameNameIsAlreadyExists() {
        assertThatThrownBy(() -> images.importKernel(params("cloud", null, deb.toString()), ctx(new ArrayList<>())))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
        assertThat(images.listKernels()).extracting(KernelInfo::name).containsExactly("cloud");
        assertThat(layout.stagingDir().toFile().list()).isEmpty();
    }

    @Test
    void fromAndDebAreExclusiveAndOneIsNeeded() throws Exception {
        assertThatThrownBy(() -> images.importKernel(params("x", "/tmp", deb.toString()), ctx(new ArrayList<>())))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                .hasMessageContaining("exactly one of --from DIR").hasMessageContaining("--deb FILE");
        assertThatThrownBy(() -> images.importKernel(params("x", null, null), ctx(new ArrayList<>())))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                .hasMessageContaining("exactly one of --from DIR");
        assertThatThrownBy(() -> images.importKernel(params("x", null, "relative.deb"), ctx(new ArrayList<>())))
                .hasMessageContaining("--deb relative.deb is not an absolute path to a file");
        Path other = TestKernelDeb.build(dir, "other-version", Map.of("boot/vmlinuz-6.1.0-1-test", "bzImage"));
        assertThatThrownBy(() -> images.importKernel(new KernelApi.KernelImportParams("x", null, "6.0.0-other", null,
                other.toString()), ctx(new ArrayList<>())))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                .hasMessageContaining("other-version.deb holds kernel 6.1.0-1-test, not 6.0.0-other");
        assertNothingLeftBut("cloud");
    }

    @Test
    void badPackagesAreBadRequestsNamingTheFileAndLeaveNothingBehind() throws Exception {
        Path text = dir.resolve("notes.deb");
        Files.writeString(text, "just some text\n");
        assertBadRequest(text, "notes.deb is not a Debian package (.deb)");

        Path truncated = dir.resolve("truncated.deb");
        byte[] real = Files.readAllBytes(deb);
        Files.write(truncated, java.util.Arrays.copyOf(real, real.length / 3));
        assertBadRequest(truncated, "truncated.deb is not a usable Debian package: dpkg-deb cannot extract it");

        Path noKernel = TestKernelDeb.build(dir, "hello-doc", Map.of("usr/share/doc/hello-doc/README", "hello\n"));
        assertBadRequest(noKernel, "hello-doc.deb holds no kernel (no boot/vmlinuz-*)");

        Path two = TestKernelDeb.build(dir, "two-kernels", Map.of("boot/vmlinuz-6.1.0-1-test", "one",
                "boot/vmlinuz-6.1.0-2-test", "two"));
        assertBadRequest(two, "two-kernels.deb holds more than one kernel version (6.1.0-1-test, 6.1.0-2-test)");

        Path mixed = TestKernelDeb.build(dir, "mixed", Map.of("boot/vmlinuz-6.1.0-1-test", "one",
                "lib/modules/6.1.0-9-other/kernel/x.ko", "module"));
        assertBadRequest(mixed, "mixed.deb holds more than one kernel version (6.1.0-1-test, 6.1.0-9-other)");

        Path noVirtio = TestKernelDeb.build(dir, "no-virtio", Map.of("boot/vmlinuz-6.1.0-1-test", "bzImage",
                "lib/modules/6.1.0-1-test/kernel/fs/foo/foo.ko", "module"));
        assertBadRequest(noVirtio, "kernel 6.1.0-1-test has neither built in nor as modules: virtio_ring, virtio, virtio_mmio, virtio_blk, virtio_net, ext4");
    }

    @Test
    void aCancelledImportEndsCancelledAndLeavesNothingBehind() throws Exception {
        Operations ops = new Operations(store, Clock.systemUTC());
        OperationContext[] holder = new OperationContext[1];
        OperationContext c = ops.begin(Operations.newOpId(), "kernel.import", "test", false, e -> {
            if ("extract package".equals(e.get("stage"))) { // dpkg-deb is about to run: hang up then
                Thread.ofVirtual().start(() -> {
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException ignored) {
                        return;
                    }
                    holder[0].cancel();
                });
            }
        });
        holder[0] = c;
        c.attach(Thread.currentThread());
        try {
            assertThatThrownBy(() -> images.importKernel(params("cancelled", null, deb.toString()), c))
                    .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.CANCELLED));
        } finally {
            Thread.interrupted(); // this test thread stood in for the request's
        }
        assertNothingLeftBut("cloud");
    }

    private void assertBadRequest(Path badDeb, String message) {
        assertThatThrownBy(() -> images.importKernel(params("bad", null, badDeb.toString()), ctx(new ArrayList<>())))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.BAD_REQUEST))
                .hasMessageContaining(message);
        assertNothingLeftBut("cloud");
    }

    private void assertNothingLeftBut(String kernelName) {
        assertThat(layout.stagingDir().toFile().list()).as("staging dirs").isEmpty();
        assertThat(layout.kernelsDir().toFile().list()).as("kernel dirs").containsExactly(kernelName);
        assertThat(images.listKernels()).extracting(KernelInfo::name).containsExactly(kernelName);
    }

    private static String name(String path) {
        String f = path.substring(path.lastIndexOf('/') + 1);
        return f.substring(0, f.indexOf(".ko"));
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
