package dev.banger.daemon.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.config.Config;
import dev.banger.core.config.FirecrackerSettings;
import dev.banger.core.config.VmSettings;
import dev.banger.core.model.DoctorCheck;
import dev.banger.daemon.exec.BackgroundProcess;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.kernel.KernelCatalog;
import dev.banger.daemon.network.guard.GuestGuard;
import dev.banger.daemon.network.nat.NatRules;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.vm.hypervisor.AccelerationProbe;
import dev.banger.daemon.vm.hypervisor.FirecrackerProbe;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** doctor's host checks against real files, real processes and a real store, each FAIL/WARN made real. */
class DoctorTest {

    private static final CommandRunner RUNNER = new CommandRunner();
    private final ToolProbe tools = new ToolProbe(RUNNER);

    @TempDir
    Path dir;

    private static DoctorCheck row(List<DoctorCheck> rows, String name) {
        return rows.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no row " + name + " in " + rows));
    }

    @Test
    void qemuBinPointingAtAMissingFileIsAFailWithTheFix() {
        Config c = Config.under(dir).withVm(VmSettings.defaults().withHypervisor("auto", dir.resolve("no-such-qemu").toString()));
        List<DoctorCheck> rows = Doctor.forHost(c, RUNNER, dir, java.util.Optional.empty()).run();
        DoctorCheck qemu = row(rows, "hypervisor qemu");
        assertThat(qemu.status()).isEqualTo(DoctorCheck.FAIL);
        assertThat(qemu.details()).anySatisfy(d -> assertThat(d).contains("no-such-qemu").contains("no executable file there"));
        assertThat(qemu.fix()).anySatisfy(f -> assertThat(f).contains("apt-get install qemu-system-x86"))
                .anySatisfy(f -> assertThat(f).contains("qemu_bin"));
        // Every check still ran: one row each, in order.
        assertThat(rows).extracting(DoctorCheck::name).containsExactly("architecture", "state store", "hypervisor qemu",
                "hypervisor firecracker", "vmm confinement", "acceleration", "tun device", "bridge and tap tools", "nat", "guest guard",
                "copy-on-write disks",
                "disk tools", "dns listener", "default image and kernel", "/root work disk", "daemon socket", "system install");
    }

    @Test
    void theVmmRowPassesForTheVmmUserWithSeccompAndWarnsOrFailsForEachWayAVmmWouldRunAsRootOrUnfiltered() throws Exception {
        VmSettings vm = VmSettings.defaults().withHypervisor("qemu", "qemu-system-x86_64");
        DoctorCheck ok = new VmmConfinementCheck(vm, tools, RUNNER).run();
        assertThat(ok.status()).as(ok.toString()).isEqualTo(DoctorCheck.PASS);
        assertThat(ok.details()).anySatisfy(d -> assertThat(d).startsWith("vmm_user banger-vmm: uid "))
                .anySatisfy(d -> assertThat(d).startsWith("QEMU seccomp: -sandbox on,"));

        DoctorCheck missing = new VmmConfinementCheck(vm.withVmmUser("no-such-vmm-user"), tools, RUNNER).run();
        assertThat(missing.status()).isEqualTo(DoctorCheck.FAIL);
        assertThat(missing.details().getFirst()).contains("`no-such-vmm-user` (config key vmm_user) does not exist");
        assertThat(missing.fix()).anySatisfy(f -> assertThat(f).contains("useradd --system").endsWith("no-such-vmm-user"));

        DoctorCheck root = new VmmConfinementCheck(vm.withVmmUser("root"), tools, RUNNER).run();
        assertThat(root.status()).isEqualTo(DoctorCheck.WARN);
        assertThat(root.details()).anySatisfy(d -> assertThat(d).contains("vmm_user = \"root\": VMMs run as root"));

        Path noSeccomp = dir.resolve("qemu-without-seccomp");
        Files.writeString(noSeccomp, "#!/bin/sh\n[ \"$1\" = -sandbox ] && { echo '-sandbox is not supported by this QEMU binary' >&2;"
                + " exit 1; }\necho 'QEMU emulator version 7.2.0'\n");
        Files.setPosixFilePermissions(noSeccomp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        DoctorCheck unfiltered = new VmmConfinementCheck(vm.withHypervisor("qemu", noSeccomp.toString()), tools, RUNNER).run();
        assertThat(unfiltered.status()).isEqualTo(DoctorCheck.WARN);
        assertThat(unfiltered.details()).anySatisfy(d -> assertThat(d).contains("has no seccomp support (-sandbox)"));

        VmSettings unjailed = vm.withHypervisor("firecracker", "qemu-system-x86_64")
                .withFirecracker(new FirecrackerSettings("firecracker", null, false, null, null));
        DoctorCheck fc = new VmmConfinementCheck(unjailed, tools, RUNNER).run();
        assertThat(fc.status()).isEqualTo(DoctorCheck.WARN);
        assertThat(fc.details()).anySatisfy(d -> assertThat(d).contains("jailer_enabled = false: Firecracker runs unjailed, as root"));
        VmSettings jailerDefault = unjailed.withFirecracker(FirecrackerSettings.defaults());
        assertThat(new VmmConfinementCheck(jailerDefault, tools, RUNNER).run().status()).isEqualTo(DoctorCheck.PASS);
    }

    @Test
    void theHostsQemuPassesWithItsVersion() {
        DoctorCheck qemu = new QemuCheck(VmSettings.defaults(), tools).run();
        assertThat(qemu.status()).isEqualTo(DoctorCheck.PASS);
        assertThat(qemu.details().getFirst()).contains("QEMU emulator version");
    }

    @Test
    void firecrackerMissingIsOptionalUnderAutoButAFailWhenChosen() {
        DoctorCheck optional = firecracker(VmSettings.defaults(), "no-such-firecracker", null).run();
        assertThat(optional.status()).isEqualTo(DoctorCheck.PASS);
        assertThat(optional.details()).anySatisfy(d -> assertThat(d).contains("optional"));
        DoctorCheck chosen = firecracker(VmSettings.defaults().withHypervisor("firecracker", "qemu-system-x86_64"),
                "no-such-firecracker", null).run();
        assertThat(chosen.status()).isEqualTo(DoctorCheck.FAIL);
        assertThat(chosen.details()).anySatisfy(d -> assertThat(d).contains("no-such-firecracker").contains("firecracker_bin"));
        assertThat(chosen.fix().getFirst()).contains(">= 1.4.0 and < 2.0.0");
    }

    @Test
    void firecrackerVersionsAreJudgedAgainstTheDriversSupportedRange() throws Exception {
        Path old = fakeTool("firecracker-old", "Firecracker v1.3.9");
        Path ok = fakeTool("firecracker-ok", "Firecracker v1.7.0");
        Path tooNew = fakeTool("firecracker-new", "Firecracker v2.1.0");
        VmSettings fc = VmSettings.defaults().withHypervisor("firecracker", "qemu-system-x86_64");
        DoctorCheck older = firecracker(fc, old.toString(), null).run();
        assertThat(older.status()).isEqualTo(DoctorCheck.FAIL);
        assertThat(older.details()).anySatisfy(d -> assertThat(d).contains("1.3.9 is not supported"));
        assertThat(firecracker(fc, tooNew.toString(), null).run().details()).anySatisfy(d -> assertThat(d).contains("2.1.0 is not supported"));
        assertThat(firecracker(fc, ok.toString(), null).run().details()).anySatisfy(d -> assertThat(d).contains("1.7.0, within"));
        DoctorCheck missingJailer = firecracker(fc, ok.toString(), "/nonexistent/jailer").run();
        assertThat(missingJailer.details()).anySatisfy(d -> assertThat(d).contains("jailer_bin").contains("not installed"));
    }

    /** The check over the driver's probe; this host has no KVM that runs guests, so a chosen Firecracker always FAILs here. */
    private FirecrackerCheck firecracker(VmSettings vm, String bin, String jailer) {
        var settings = new FirecrackerSettings(bin, jailer, jailer != null, jailer == null ? null : 1000,
                jailer == null ? null : 1000);
        return new FirecrackerCheck(vm, FirecrackerProbe.forHost(settings, new CommandRunner(), dir));
    }

    @Test
    void natNamesTheToolVmCreateWouldUseOrThePackageToInstall() {
        DoctorCheck here = new NatCheck(new NatRules(new CommandRunner(), "br-fc", NatRules.Programs.DEFAULT)).run();
        assertThat(here.status()).isEqualTo(DoctorCheck.PASS);
        assertThat(here.details().getFirst()).startsWith("nftables: ").contains("/nft").contains("ip banger");
        assertThat(here.details().get(1)).matches("net.ipv4.ip_forward = [01].*");

        DoctorCheck none = new NatCheck(new NatRules(new CommandRunner(), "br-fc",
                new NatRules.Programs("/nonexistent/nft", "/nonexistent/iptables"))).run();
        assertThat(none.status()).isEqualTo(DoctorCheck.WARN);
        assertThat(none.details().getFirst()).contains("neither `/nonexistent/nft` nor `/nonexistent/iptables` is installed");
        assertThat(none.fix().getFirst()).startsWith("apt-get install nftables");
    }

    @Test
    void theGuestGuardPassesWhenTheKernelTakesBangersBridgeTableAndFailsWithoutNftNamingThePackage() {
        DoctorCheck here = new GuardCheck(new GuestGuard(new CommandRunner(), "nft", "tap-fc-", VmSettings.defaults().bridgeAddress(), 24)).run();
        assertThat(here.status()).as(here.details().toString()).isEqualTo(DoctorCheck.PASS);
        assertThat(here.details().getFirst()).contains("/nft").contains("table bridge banger can be applied");

        DoctorCheck none = new GuardCheck(new GuestGuard(new CommandRunner(), "/nonexistent/nft", "tap-fc-",
                VmSettings.defaults().bridgeAddress(), 24)).run();
        assertThat(none.status()).isEqualTo(DoctorCheck.FAIL);
        assertThat(none.details().getFirst()).contains("`/nonexistent/nft` is not installed");
        assertThat(none.fix().getFirst()).startsWith("apt-get install nftables").contains("VMs do not start");
    }

    private Path fakeTool(String name, String versionLine) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\necho '" + versionLine + "'\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void aKvmDeviceWithoutVmxOrSvmIsToldApartFromRealKvm() throws Exception {
        Path kvm = Files.createFile(dir.resolve("kvm"));
        Path record = dir.resolve("hypervisor-probe.json");
        Path pvm = cpuinfo("fpu sse2 hypervisor");
        DoctorCheck soft = new AccelerationCheck(new AccelerationProbe(kvm, pvm, record), kvm, pvm, record).run();
        assertThat(soft.status()).isEqualTo(DoctorCheck.WARN);
        assertThat(soft.details()).contains("CPU virtualisation flag: none")
                .anySatisfy(d -> assertThat(d).contains("software KVM (such as PVM)").contains("TCG"));

        Path vmx = cpuinfo("fpu vmx sse2");
        DoctorCheck real = new AccelerationCheck(new AccelerationProbe(kvm, vmx, record), kvm, vmx, record).run();
        assertThat(real.status()).isEqualTo(DoctorCheck.PASS);
        assertThat(real.details()).anySatisfy(d -> assertThat(d).contains("guests run under KVM"));

        Files.writeString(record, "{\"kvm_failed\":\"KVM internal error\",\"at\":\"2026-01-01T00:00:00Z\"}");
        DoctorCheck recorded = new AccelerationCheck(new AccelerationProbe(kvm, vmx, record), kvm, vmx, record).run();
        assertThat(recorded.status()).isEqualTo(DoctorCheck.WARN);
        assertThat(recorded.details()).anySatisfy(d -> assertThat(d).contains("KVM internal error"));
        assertThat(recorded.fix().getFirst()).contains("delete " + record);
    }

    private Path cpuinfo(String flags) throws Exception {
        return Files.writeString(dir.resolve("cpuinfo-" + flags.hashCode()), "processor\t: 0\ncpu MHz\t\t: 2000.000\nflags\t\t: " + flags + "\n");
    }

    @Test
    void aPortHeldByAnotherProgramIsAWarnNamingIt() throws Exception {
        int port = 42000 + (int) (ProcessHandle.current().pid() % 1000);
        InetSocketAddress listen = new InetSocketAddress("127.0.0.1", port);
        DnsListenerCheck check = new DnsListenerCheck(listen, new UdpPortHolder(Path.of("/proc")), ProcessHandle.current().pid());
        assertThat(check.run().status()).isEqualTo(DoctorCheck.PASS);

        BackgroundProcess socat = RUNNER.start(Command.of("socat", "-u", "UDP-RECV:" + port + ",bind=127.0.0.1", "/dev/null"),
                dir.resolve("socat.log"));
        try {
            DoctorCheck held = awaitHeld(check);
            assertThat(held.status()).isEqualTo(DoctorCheck.WARN);
            assertThat(held.details().getFirst()).contains("pid " + socat.pid()).contains("socat").contains("not banger");
            assertThat(held.fix().getFirst()).contains("dns_listen");
        } finally {
            socat.stop(java.time.Duration.ofSeconds(2));
        }
        // The daemon holding it itself is banger's DNS server.
        try (var own = new java.net.DatagramSocket(listen)) {
            assertThat(check.run().details().getFirst()).contains("bangerd (pid " + ProcessHandle.current().pid() + ")");
        }
    }

    private static DoctorCheck awaitHeld(DnsListenerCheck check) throws Exception {
        for (int i = 0; i < 100; i++) {
            DoctorCheck c = check.run();
            if (!c.status().equals(DoctorCheck.PASS)) {
                return c;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("socat never bound the port");
    }

    @Test
    void theStoreIsReadWithoutChangingAByteOrAddingAFile() throws Exception {
        Config c = Config.under(dir);
        Path db = c.stateDir().resolve("banger.db");
        assertThat(new StoreCheck(new StoreReading(db)).run().details().getFirst()).contains("none yet");
        try (Store s = Store.open(db)) {
            insertImage(db, "no-seed", null);
        }
        Files.setLastModifiedTime(db, FileTime.fromMillis(1_000_000_000_000L));
        byte[] before = Files.readAllBytes(db);
        List<Path> filesBefore = listing(c.stateDir());

        List<DoctorCheck> rows = Doctor.forHost(c, RUNNER, dir, java.util.Optional.empty()).run();

        assertThat(row(rows, "state store").status()).isEqualTo(DoctorCheck.PASS);
        assertThat(row(rows, "state store").details().getFirst()).as("the store a fresh open made is at this build's version")
                .matches(".*opened read-only, schema version (\\d+), this build's \\1");
        DoctorCheck work = row(rows, "/root work disk");
        assertThat(work.status()).isEqualTo(DoctorCheck.WARN);
        assertThat(work.details()).contains("image no-seed has no work-seed: guest /root will be empty");
        assertThat(Files.readAllBytes(db)).isEqualTo(before);
        assertThat(Files.getLastModifiedTime(db).toMillis()).isEqualTo(1_000_000_000_000L);
        assertThat(listing(c.stateDir())).isEqualTo(filesBefore);
    }

    @Test
    void aStoreInUseByARunningDaemonIsReadThroughItsWal() throws Exception {
        Path db = dir.resolve("banger.db");
        try (Store s = Store.open(db)) {
            insertImage(db, "debian-bookworm", "/images/x/work-seed.ext4");
            assertThat(Path.of(db + "-wal")).exists();
            DoctorCheck image = new DefaultImageCheck(VmSettings.defaults(), new StoreReading(db), KernelCatalog::embedded).run();
            assertThat(image.status()).isEqualTo(DoctorCheck.FAIL); // the row has no kernel
            assertThat(image.details().getFirst()).contains("debian-bookworm: present, but has no kernel");
        }
    }

    @Test
    void aMissingDefaultImageIsAWarnWithThePullCommandUnlessItIsBuiltIn() throws Exception {
        StoreReading none = new StoreReading(dir.resolve("none.db"));
        DoctorCheck builtIn = new DefaultImageCheck(VmSettings.defaults(), none, KernelCatalog::embedded).run();
        assertThat(builtIn.status()).as("debootstrap and apt-get are on this host").isEqualTo(DoctorCheck.PASS);
        assertThat(builtIn.details().getFirst()).startsWith("debian-bookworm: built in, not built yet: the first `vm create` "
                + "without --image builds it").contains("kernel debian-cloud (through apt)");

        VmSettings alpine = new VmSettings("auto", "qemu-system-x86_64", "br-fc", "172.16.0.1", 24, "alpine", 1, 512, 4L << 30,
                java.time.Duration.ofSeconds(90));
        DoctorCheck image = new DefaultImageCheck(alpine, none, KernelCatalog::embedded).run();
        assertThat(image.status()).isEqualTo(DoctorCheck.WARN);
        assertThat(image.fix().getFirst()).startsWith("banger image pull").contains("--name alpine --kernel-ref debian-cloud");
    }

    @Test
    void aStoreFromANewerBangerOrNotAStoreAtAllIsAFail() throws Exception {
        Path newer = dir.resolve("newer.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + newer); Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = 99");
        }
        DoctorCheck n = new StoreCheck(new StoreReading(newer)).run();
        assertThat(n.status()).isEqualTo(DoctorCheck.FAIL);
        assertThat(n.details().getFirst()).contains("schema version 99").contains("newer banger");

        Path junk = Files.writeString(dir.resolve("junk.db"), "this is not a database, just some text long enough ".repeat(20));
        DoctorCheck j = new StoreCheck(new StoreReading(junk)).run();
        assertThat(j.status()).isEqualTo(DoctorCheck.FAIL);
        assertThat(j.details().getFirst()).contains("cannot be opened read-only");
        assertThat(j.fix().getFirst()).contains("move " + junk + " aside");
    }

    private static void insertImage(Path db, String name, String workSeed) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("INSERT INTO images (id, name, rootfs_path, work_seed_path, managed, created_at) VALUES ('id-" + name + "', '"
                    + name + "', '/x/rootfs.ext4', " + (workSeed == null ? "NULL" : "'" + workSeed + "'") + ", 1, '2026-01-01T00:00:00Z')");
        }
    }

    private static List<Path> listing(Path d) throws Exception {
        try (Stream<Path> s = Files.walk(d)) {
            return s.sorted().toList();
        }
    }

    @Test
    void aStateDirWithoutReflinkGetsSparseCopiesForRawDisks() throws Exception {
        VmSettings firecracker = VmSettings.defaults().withHypervisor("firecracker", "qemu-system-x86_64");
        Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "banger-doctor-test");
        try {
            DoctorCheck tmpfs = new CopyOnWriteCheck(firecracker, shm.resolve("state"), tools).run();
            assertThat(tmpfs.status()).isEqualTo(DoctorCheck.WARN);
            assertThat(tmpfs.details()).anySatisfy(d -> assertThat(d).contains("is on tmpfs"))
                    .anySatisfy(d -> assertThat(d).contains("sparse copy: tmpfs has no reflink"));
            DoctorCheck qemu = new CopyOnWriteCheck(VmSettings.defaults(), shm.resolve("state"), tools).run();
            assertThat(qemu.status()).isEqualTo(DoctorCheck.PASS);
            assertThat(qemu.details()).contains("QEMU: qcow2 overlays over the image (qemu-img)");
        } finally {
            Files.delete(shm);
        }
    }

    @Test
    void aRootDaemonsSocketMustBeGroupBangerAnd0660() throws Exception {
        Path sock = dir.resolve("bangerd.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-rw-rw-"));
            DoctorCheck wrong = new SocketCheck(sock).run();
            assertThat(wrong.status()).isEqualTo(DoctorCheck.FAIL);
            assertThat(wrong.details().getFirst()).contains("rw-rw-rw-");

            GroupPrincipal banger = sock.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName("banger");
            Files.getFileAttributeView(sock, PosixFileAttributeView.class).setGroup(banger);
            Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-rw----"));
            assertThat(new SocketCheck(sock).run().status()).isEqualTo(DoctorCheck.PASS);
        }
        assertThat(new SocketCheck(dir.resolve("gone.sock")).run().status()).isEqualTo(DoctorCheck.WARN);
    }

    @Test
    void missingDiskToolsAreAFailNamingThePackage() {
        ToolProbe none = new ToolProbe(RUNNER) {
            @Override
            java.util.Optional<Path> locate(String program) {
                return program.equals("debugfs") || program.equals("qemu-img") ? java.util.Optional.empty() : super.locate(program);
            }
        };
        DoctorCheck disks = new DiskToolsCheck(none).run();
        assertThat(disks.status()).isEqualTo(DoctorCheck.FAIL);
        assertThat(disks.details()).contains("debugfs: not found", "qemu-img: not found");
        assertThat(disks.fix()).containsExactly("apt-get install qemu-utils e2fsprogs");
    }
}
