package dev.banger.daemon.vm.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.config.FirecrackerSettings;
import dev.banger.core.config.VmSettings;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Firecracker driver against {@link FirecrackerDouble}: real processes started by the real
 * driver, serving the API on a real Unix socket and checking every request against
 * firecracker-api.yaml. Firecracker itself cannot be installed here (no KVM with vmx/svm, no
 * package), so the contract is the yardstick.
 */
class FirecrackerDriverTest {

    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(30);
    private static final String MAC = "02:fc:00:00:00:2b";
    private static final String TAP = "tap-fctest0";
    private static final List<String> BOOT_SEQUENCE = List.of("GET /", "GET /version", "PUT /logger", "PUT /metrics",
            "PUT /machine-config", "PUT /boot-source", "PUT /drives/root", "PUT /drives/work", "PUT /network-interfaces/eth0",
            "PUT /vsock", "PUT /actions");

    @TempDir
    Path dir;
    final CommandRunner runner = new CommandRunner();
    FirecrackerDoubleRig fc;
    Path vmlinux;
    Path initrd;
    Path root;
    Path work;
    MachineProcess running;
    HypervisorDriver driver;

    @BeforeEach
    void setUp() throws IOException {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "the driver tests make a tap and chown files: run as root");
        fc = new FirecrackerDoubleRig(dir.resolve("double"));
        Path files = Files.createDirectories(dir.resolve("files"));
        vmlinux = Files.write(files.resolve("vmlinux"), new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        initrd = Files.writeString(files.resolve("initrd.img"), "initrd");
        root = Files.writeString(files.resolve("root.ext4"), "root disk");
        work = Files.writeString(files.resolve("work.ext4"), "work disk");
        runner.run(Command.of("ip", "tuntap", "add", "dev", TAP, "mode", "tap"));
    }

    @AfterEach
    void tearDown() {
        if (running != null && driver != null) {
            driver.kill(running);
        }
        runner.runAllowingFailure(Command.of("ip", "link", "del", TAP));
    }

    FirecrackerDriver driver(FirecrackerSettings settings, Duration socketTimeout) throws IOException {
        return driver(settings, socketTimeout, VmSettings.DEFAULT_VMM_USER);
    }

    FirecrackerDriver driver(FirecrackerSettings settings, Duration socketTimeout, String vmmUser) throws IOException {
        return new FirecrackerDriver(settings, runner, fc.kvmProbe(), socketTimeout, vmmUser, new ConsoleLogCap());
    }

    /** The config without any jailer key, but for where the jailer binary is. */
    FirecrackerSettings jailerByDefault(String jailerBin) {
        return new FirecrackerSettings(fc.firecrackerBin().toString(), jailerBin, null, null, null);
    }

    FirecrackerSettings unjailed() {
        return new FirecrackerSettings(fc.firecrackerBin().toString(), null, false, null, null);
    }

    FirecrackerSettings jailed(int uid, int gid) {
        return new FirecrackerSettings(fc.firecrackerBin().toString(), fc.jailerBin().toString(), true, uid, gid);
    }

    MachineSpec spec(Path runDir) {
        return new MachineSpec("vm-1", "one", 2, 256, vmlinux, initrd, "init=/usr/local/sbin/banger-init banger.hostname=one",
                root, DiskFormat.RAW, work, TAP, MAC, runDir);
    }

    @Test
    void theFullBootSequenceFollowsTheContractAndTheVmIsAdoptedAndKilled() throws Exception {
        driver = driver(unjailed(), SOCKET_TIMEOUT);
        Path run = dir.resolve("vms/vm-1");
        running = driver.launch(spec(run));

        assertThat(fc.events("violation")).isEmpty();
        assertThat(fc.requests()).containsExactlyElementsOf(BOOT_SEQUENCE);
        assertThat(fc.events("start").getFirst().get("argv")).map(JsonNode::asText)
                .containsExactly("--id", "vm-1", "--api-sock", run.resolve("fc.sock").toString());
        assertThat(fc.body("/machine-config")).isEqualTo(json(Map.of("vcpu_count", 2, "mem_size_mib", 256)));
        assertThat(fc.body("/boot-source")).isEqualTo(json(Map.of("kernel_image_path", vmlinux.toString(),
                "initrd_path", initrd.toString(),
                "boot_args", "console=ttyS0 reboot=k panic=1 pci=off init=/usr/local/sbin/banger-init banger.hostname=one")));
        assertThat(fc.body("/drives/root")).isEqualTo(json(Map.of("drive_id", "root", "path_on_host", root.toString(),
                "is_root_device", true, "is_read_only", false)));
        assertThat(fc.body("/drives/work").get("path_on_host").asText()).isEqualTo(work.toString());
        assertThat(fc.body("/network-interfaces/eth0")).isEqualTo(json(Map.of("iface_id", "eth0", "host_dev_name", TAP,
                "guest_mac", MAC)));
        assertThat(fc.body("/logger").get("log_path").asText()).isEqualTo(run.resolve("firecracker.log").toString());
        assertThat(fc.body("/metrics").get("metrics_path").asText()).isEqualTo(run.resolve("firecracker.metrics").toString());
        assertThat(fc.body("/vsock")).isEqualTo(json(Map.of("guest_cid", 3, "uds_path", run.resolve("vsock.sock").toString())));
        assertThat(fc.body("/actions")).isEqualTo(json(Map.of("action_type", "InstanceStart")));

        assertThat(running.driver()).isEqualTo("firecracker");
        assertThat(running.controlSocket()).isEqualTo(run.resolve("fc.sock"));
        assertThat(Files.readString(run.resolve("firecracker.pid")).strip()).isEqualTo(Long.toString(running.pid()));
        assertThat(Files.readString(run.resolve("console.log"))).as("the guest's serial console").contains("[double] guest vm-1 started");
        assertThat(sessionOf(running.pid())).as("its own session: no signal for the daemon's group reaches it").isEqualTo(running.pid());
        assertThat(driver.isAlive(running)).isTrue();

        HypervisorDriver restarted = driver(unjailed(), SOCKET_TIMEOUT); // a new daemon finds the VM again
        assertThat(restarted.adopt(running)).contains(running);
        MachineProcess otherSocket = new MachineProcess("firecracker", running.pid(), running.startTicks(), dir.resolve("other.sock"),
                null, "kvm");
        assertThat(restarted.adopt(otherSocket)).as("a process naming another socket is not this VM").isEmpty();
        MachineProcess qemuRecord = new MachineProcess("qemu", running.pid(), running.startTicks(), running.controlSocket(), null, "kvm");
        assertThat(restarted.adopt(qemuRecord)).isEmpty();
        MachineProcess reused = new MachineProcess("firecracker", running.pid(), running.startTicks() + 1, running.controlSocket(),
                null, "kvm");
        assertThat(restarted.isAlive(reused)).as("same pid, other start time: a reused pid").isFalse();

        restarted.kill(running);
        assertThat(driver.isAlive(running)).isFalse();
        assertThat(driver.adopt(running)).isEmpty();
        assertThat(run.resolve("fc.sock")).doesNotExist();
        assertThat(run.resolve("vsock.sock")).doesNotExist();
        assertThat(run.resolve("firecracker.pid")).doesNotExist();
        assertThat(run.resolve("console.log")).as("the console stays for `vm logs`").exists();
        driver.kill(running); // idempotent
        running = null;
    }

    @Test
    void jailedTheChrootHoldsHardLinksOwnedByTheJailUidAndTheSocketIsReachedThroughAShortSymlink() throws Exception {
        driver = driver(jailed(4242, 4343), SOCKET_TIMEOUT);
        // A state dir so long that the socket's path inside the chroot is over the 108 bytes of a socket address.
        Path run = dir.resolve("s".repeat(84 - dir.toString().length())).resolve("vm-1");
        Path chroot = run.resolve("jail/firecracker/vm-1/root");
        assertThat(run.resolve("fc.sock").toString().length()).isLessThan(108);
        assertThat(chroot.resolve(run.toString().substring(1)).resolve("fc.sock").toString().length()).isGreaterThan(108);

        running = driver.launch(spec(run));

        assertThat(fc.events("violation")).isEmpty();
        assertThat(fc.requests()).containsExactlyElementsOf(BOOT_SEQUENCE);
        assertThat(fc.events("jailer").getFirst().get("argv")).map(JsonNode::asText).containsExactly(
                "--id", "vm-1", "--exec-file", fc.firecrackerBin().toString(), "--uid", "4242", "--gid", "4343",
                "--chroot-base-dir", run.resolve("jail").toString(), "--", "--api-sock", run.resolve("fc.sock").toString());
        JsonNode start = fc.events("start").getFirst();
        assertThat(start.get("root").asText()).isEqualTo(chroot.toString());
        assertThat(start.get("argv")).map(JsonNode::asText).containsExactly("--id=vm-1", "--start-time-us=1", "--start-time-cpu-us=1",
                "--api-sock", run.resolve("fc.sock").toString());
        assertThat(fc.body("/boot-source").get("kernel_image_path").asText()).isEqualTo("/vmlinux");
        assertThat(fc.body("/boot-source").get("initrd_path").asText()).isEqualTo("/initrd.img");
        assertThat(fc.body("/drives/root").get("path_on_host").asText()).isEqualTo("/root.ext4");
        assertThat(fc.body("/drives/work").get("path_on_host").asText()).isEqualTo("/work.ext4");
        assertThat(fc.body("/logger").get("log_path").asText()).isEqualTo("/firecracker.log");

        for (var link : Map.of("vmlinux", vmlinux, "initrd.img", initrd, "root.ext4", root, "work.ext4", work,
                "firecracker.log", run.resolve("firecracker.log")).entrySet()) {
            assertThat(inode(chroot.resolve(link.getKey()))).as(link.getKey() + " is a hard link, not a copy")
                    .isEqualTo(inode(link.getValue()));
        }
        for (Path writable : List.of(root, work, run.resolve("firecracker.log"), run.resolve("firecracker.metrics"))) {
            assertThat(owner(writable)).as(writable + " belongs to the jail").isEqualTo("4242:4343");
        }
        assertThat(owner(vmlinux)).as("a shared kernel is never chowned").isEqualTo("0:0");
        assertThat(Files.isSymbolicLink(run.resolve("fc.sock"))).isTrue();
        assertThat(Files.readSymbolicLink(run.resolve("fc.sock"))).isEqualTo(chroot.resolve(run.toString().substring(1)).resolve("fc.sock"));
        assertThat(chroot.resolve("firecracker")).as("the jailer's copy of the binary").isRegularFile();
        assertThat(driver.adopt(running)).contains(running);

        driver.kill(running);
        running = null;
        assertThat(run.resolve("jail")).doesNotExist();
        assertThat(run.resolve("fc.sock")).doesNotExist();
        assertThat(Files.readString(root)).as("the disks outlive their links").isEqualTo("root disk");
    }

    @Test
    void withoutJailerKeysAnInstalledJailerRunsFirecrackerAsTheVmmUserAndAMissingOneLeavesItUnjailed() throws Exception {
        String[] vmm = runner.run(Command.of("getent", "passwd", VmSettings.DEFAULT_VMM_USER)).stdout().strip().split(":");
        driver = driver(jailerByDefault(fc.jailerBin().toString()), SOCKET_TIMEOUT);
        Path run = dir.resolve("vms/vm-1");
        assertThat(driver.unprivilegedIds()).as("the tap's owner").hasValueSatisfying(ids ->
                assertThat(ids).containsExactly(Integer.parseInt(vmm[2]), Integer.parseInt(vmm[3])));

        running = driver.launch(spec(run));

        assertThat(fc.events("jailer")).as("jailed without jailer_enabled").hasSize(1);
        assertThat(fc.events("jailer").getFirst().get("argv")).map(JsonNode::asText)
                .containsSequence("--uid", vmm[2], "--gid", vmm[3]);
        assertThat(owner(root)).as("the root disk belongs to " + VmSettings.DEFAULT_VMM_USER).isEqualTo(vmm[2] + ":" + vmm[3]);
        driver.kill(running);
        running = null;

        FirecrackerDriver noJailer = driver(jailerByDefault("/nonexistent/jailer"), SOCKET_TIMEOUT);
        assertThat(noJailer.unprivilegedIds()).isEmpty();
        driver = noJailer;
        running = driver.launch(spec(run));
        assertThat(fc.events("jailer")).as("no new jailer run").hasSize(1);
        assertThat(fc.events("start").getLast().get("argv")).map(JsonNode::asText).startsWith("--id", "vm-1");
    }

    @Test
    void aBodyTheContractRejectsFailsTheLaunchAndIsRecorded() throws Exception {
        driver = driver(unjailed(), SOCKET_TIMEOUT);
        Path run = dir.resolve("vms/vm-1");
        MachineSpec tooMany = new MachineSpec("vm-1", "one", 33, 256, vmlinux, null, "", root, DiskFormat.RAW, null, null, null, run);

        assertThatThrownBy(() -> driver.launch(tooMany)).isInstanceOf(BangerException.class)
                .hasMessageContaining("PUT /machine-config was refused (HTTP 400)")
                .hasMessageContaining("body.vcpu_count is 33, above the maximum 32");
        assertThat(fc.events("violation")).hasSize(1);
        assertNothingLeft(run);
    }

    @Test
    void aRefusalFailsTheLaunchWithFirecrackersFaultMessageAndLeavesNothing() throws Exception {
        fc.refuse("PUT /machine-config", "Invalid Memory Configuration: MmapRegion(Mmap(Os { code: 12 }))");
        driver = driver(unjailed(), SOCKET_TIMEOUT);
        Path run = dir.resolve("vms/vm-1");

        assertThatThrownBy(() -> driver.launch(spec(run))).isInstanceOf(BangerException.class)
                .hasMessageContaining("VM one: Firecracker did not start: PUT /machine-config was refused (HTTP 400): "
                        + "Invalid Memory Configuration: MmapRegion(Mmap(Os { code: 12 }))");
        assertThat(fc.requests()).endsWith("PUT /machine-config");
        assertNothingLeft(run);
    }

    @Test
    void aJailedRefusalLeavesNoChrootAndNoProcess() throws Exception {
        fc.refuse("PUT /drives/root", "Unable to create the block device: permission denied");
        driver = driver(jailed(4242, 4343), SOCKET_TIMEOUT);
        Path run = dir.resolve("vms/vm-1");

        assertThatThrownBy(() -> driver.launch(spec(run))).hasMessageContaining("Unable to create the block device");
        assertNothingLeft(run);
        assertThat(root).exists();
    }

    @Test
    void aSocketThatNeverAppearsTimesOutAndTheProcessIsKilled() throws Exception {
        fc.noSocket();
        driver = driver(unjailed(), Duration.ofSeconds(4));
        Path run = dir.resolve("vms/vm-1");

        assertThatThrownBy(() -> driver.launch(spec(run))).isInstanceOf(BangerException.class)
                .hasMessageContaining("Firecracker's API socket " + run.resolve("fc.sock") + " did not answer within 4000 ms")
                .hasMessageContaining("the process was killed");
        assertThat(fc.events("start")).hasSize(1);
        assertNothingLeft(run);
    }

    @Test
    void aProcessThatExitsDuringBootFailsTheLaunchWithItsOutput() throws Exception {
        fc.exitOn("PUT /boot-source", "Error: Cannot load kernel due to invalid memory configuration or invalid kernel image");
        driver = driver(unjailed(), SOCKET_TIMEOUT);
        Path run = dir.resolve("vms/vm-1");

        assertThatThrownBy(() -> driver.launch(spec(run))).isInstanceOf(BangerException.class)
                .hasMessageContaining("PUT /boot-source")
                .hasMessageContaining("Error: Cannot load kernel due to invalid memory configuration or invalid kernel image");
        assertNothingLeft(run);
    }

    @Test
    void aJailerThatExitsBeforeTheSocketFailsTheLaunchWithItsStderr() throws Exception {
        fc.jailerFails("jailer: Failed to create cgroup: Permission denied");
        driver = driver(jailed(4242, 4343), SOCKET_TIMEOUT);
        Path run = dir.resolve("vms/vm-1");

        assertThatThrownBy(() -> driver.launch(spec(run))).isInstanceOf(BangerException.class)
                .hasMessageContaining("VM one: Firecracker exited with status 1 before its API socket " + run.resolve("fc.sock"))
                .hasMessageContaining("its output: jailer: Failed to create cgroup: Permission denied");
        assertNothingLeft(run);
    }

    @Test
    void aVersionOutsideTheSupportedRangeIsRefusedWithTheRangeAndLeavesNothing() throws Exception {
        for (String version : List.of("2.1.0", "1.3.9")) {
            fc.version(version);
            driver = driver(unjailed(), SOCKET_TIMEOUT);
            Path run = dir.resolve("vms/vm-" + version);

            assertThatThrownBy(() -> driver.launch(spec(run))).isInstanceOf(BangerException.class)
                    .hasMessageContaining("Firecracker " + version)
                    .hasMessageContaining("banger drives Firecracker >= 1.4.0 and < 2.0.0")
                    .extracting(e -> ((BangerException) e).code()).isEqualTo(ErrorCode.BAD_REQUEST);
            assertThat(fc.requests()).as("nothing configured").last().isEqualTo("GET /version");
            assertNothingLeft(run);
        }
    }

    @Test
    void badInputIsRefusedBeforeAnythingStartsOrIsMade() throws Exception {
        Path run = dir.resolve("vms/vm-1");
        Map<String, Object[]> cases = new java.util.LinkedHashMap<>();
        cases.put("the jailer binary `/nonexistent/jailer` (config key jailer_bin) is not installed", new Object[] {
                new FirecrackerSettings(fc.firecrackerBin().toString(), "/nonexistent/jailer", true, 4242, 4343), spec(run), fc.kvmProbe()});
        cases.put("the Firecracker binary `/nonexistent/firecracker` (config key firecracker_bin) is not installed", new Object[] {
                new FirecrackerSettings("/nonexistent/firecracker", null, false, null, null), spec(run), fc.kvmProbe()});
        Path vmlinuz = Files.writeString(dir.resolve("vmlinuz"), "MZ compressed bzImage");
        cases.put("is not an uncompressed ELF vmlinux", new Object[] {unjailed(), withKernel(spec(run), vmlinuz), fc.kvmProbe()});
        cases.put("Firecracker reads raw disks only", new Object[] {unjailed(), new MachineSpec("vm-1", "one", 1, 256, vmlinux, null,
                "", root, DiskFormat.QCOW2, null, null, null, run), fc.kvmProbe()});
        cases.put("Firecracker needs KVM", new Object[] {unjailed(), spec(run), new AccelerationProbe(dir.resolve("no-kvm"),
                Path.of("/proc/cpuinfo"), dir.resolve("probe.json"))});
        cases.put("its socket path", new Object[] {unjailed(), spec(dir.resolve("d".repeat(110))), fc.kvmProbe()});
        for (var c : Map.of(
                "the VMM user `no-such-vmm-user` (config key vmm_user) does not exist on this host", "no-such-vmm-user",
                "the jailer drops root's privileges, but vmm_user = \"root\"", "root").entrySet()) {
            FirecrackerDriver d = driver(jailerByDefault(fc.jailerBin().toString()), SOCKET_TIMEOUT, c.getValue());
            assertThatThrownBy(() -> d.launch(spec(run))).as(c.getKey()).isInstanceOf(BangerException.class)
                    .hasMessageContaining(c.getKey())
                    .extracting(e -> ((BangerException) e).code()).isEqualTo(ErrorCode.BAD_REQUEST);
        }
        for (var c : cases.entrySet()) {
            FirecrackerDriver d = new FirecrackerDriver((FirecrackerSettings) c.getValue()[0], runner,
                    (AccelerationProbe) c.getValue()[2], SOCKET_TIMEOUT, VmSettings.DEFAULT_VMM_USER, new ConsoleLogCap());
            assertThatThrownBy(() -> d.launch((MachineSpec) c.getValue()[1])).as(c.getKey()).isInstanceOf(BangerException.class)
                    .hasMessageContaining(c.getKey())
                    .extracting(e -> ((BangerException) e).code()).isEqualTo(ErrorCode.BAD_REQUEST);
        }
        assertThat(fc.events()).as("no process was started").isEmpty();
        assertThat(run).doesNotExist();
    }

    @Test
    void pauseAndResumePatchTheVmStateAsTheContractSaysAndTheStateIsReadBack() throws Exception {
        driver = driver(unjailed(), SOCKET_TIMEOUT);
        running = driver.launch(spec(dir.resolve("vms/vm-1")));
        assertThat(driver.isPaused(running)).isFalse();

        driver.pause(running);
        assertThat(fc.body("/vm")).isEqualTo(json(Map.of("state", "Paused")));
        assertThat(driver.isPaused(running)).as("GET / after PATCH /vm Paused").isTrue();

        driver.resume(running);
        assertThat(fc.body("/vm")).isEqualTo(json(Map.of("state", "Resumed")));
        assertThat(driver.isPaused(running)).isFalse();
        assertThat(fc.events("violation")).as("requests that broke the contract").isEmpty();
        assertThat(fc.requests()).contains("PATCH /vm");
    }

    @Test
    void ctrlAltDelEndsAStartedGuest() throws Exception {
        driver = driver(unjailed(), SOCKET_TIMEOUT);
        Path run = dir.resolve("vms/vm-1");
        running = driver.launch(spec(run));

        driver.requestShutdown(running);

        assertThat(driver.awaitExit(running, Duration.ofSeconds(10))).isTrue();
        assertThat(fc.body("/actions")).isEqualTo(json(Map.of("action_type", "SendCtrlAltDel")));
        driver.requestShutdown(running); // gone: nothing happens
    }

    @Test
    void selectPicksFirecrackerWhenAskedAndForAutoOnlyWithItsBinaryAndARealKvm() {
        VmSettings settings = VmSettings.defaults().withFirecracker(unjailed());
        assertThat(Hypervisors.select(settings.withHypervisor("firecracker", "qemu-system-x86_64"), runner, dir).name())
                .isEqualTo("firecracker");
        assertThat(Hypervisors.select(settings.withHypervisor("qemu", "qemu-system-x86_64"), runner, dir).name()).isEqualTo("qemu");
        boolean kvm = AccelerationProbe.forHost(dir).probe().isKvm();
        assertThat(Hypervisors.select(settings.withHypervisor("auto", "qemu-system-x86_64"), runner, dir).name())
                .isEqualTo(kvm ? "firecracker" : "qemu");
        VmSettings noFirecracker = VmSettings.defaults().withFirecracker(new FirecrackerSettings("/nonexistent/firecracker", null,
                false, null, null));
        assertThat(Hypervisors.select(noFirecracker, runner, dir).name()).isEqualTo("qemu");
        HypervisorDriver firecracker = Hypervisors.select(settings.withHypervisor("firecracker", "qemu-system-x86_64"), runner, dir);
        assertThat(firecracker.readsQcow2()).isFalse();
        assertThat(firecracker.bootsElfKernel()).isTrue();
        assertThat(firecracker.supportsIdentityChannel()).as("no channel to give a clone its identity").isFalse();
    }

    // ---- snapshots ----

    static final int SNAPSHOT_MIB = 64;

    MachineSpec snapshotSpec(Path runDir, Path restoreFrom) {
        return new MachineSpec("vm-1", "one", 1, SNAPSHOT_MIB, vmlinux, initrd, "init=/sbin/init", root, DiskFormat.RAW, work, TAP,
                MAC, runDir, restoreFrom);
    }

    @Test
    void aSnapshotIsWrittenPausedThroughTheApiAndCopiedOutSparseAndRootOnlyThenAFreshProcessLoadsIt() throws Exception {
        fc.version("1.12.0");
        driver = driver(unjailed(), SOCKET_TIMEOUT);
        Path run = dir.resolve("vms/vm-1");
        running = driver.launch(snapshotSpec(run, null));
        Path snap = Files.createDirectories(dir.resolve("snapshots/s1"));
        Path memory = snap.resolve("memory.state");

        StateSave save = driver.saveState(running, memory);

        assertThat(fc.events("violation")).isEmpty();
        assertThat(fc.requests()).containsSubsequence("GET /version", "PATCH /vm", "PUT /snapshot/create");
        assertThat(fc.body("/vm")).isEqualTo(json(Map.of("state", "Paused")));
        assertThat(fc.body("/snapshot/create")).isEqualTo(json(Map.of("snapshot_type", "Full",
                "snapshot_path", run.resolve("snapshot.devices").toString(), "mem_file_path", run.resolve("snapshot.mem").toString())));
        assertThat(fieldNames(fc.body("/snapshot/create"))).containsAll(contract().required("SnapshotCreateParams"));
        assertThat(driver.isPaused(running)).as("returned paused, for the caller to copy the disks").isTrue();
        Path devices = snap.resolve("devices.state");
        assertThat(Files.size(memory)).isEqualTo((long) SNAPSHOT_MIB << 20);
        assertThat(allocated(memory)).as("zero pages are holes: two pages of data in " + SNAPSHOT_MIB + " MiB").isLessThan(1 << 20);
        assertThat(save.bytes()).isEqualTo(Files.size(memory) + Files.size(devices));
        for (Path f : List.of(memory, devices)) {
            assertThat(owner(f)).isEqualTo("0:0");
            assertThat(mode(f)).as(f + " is root's alone").isEqualTo("rw-------");
        }
        assertThat(run.resolve("snapshot.mem")).as("Firecracker's full-size copy is gone").doesNotExist();
        assertThat(run.resolve("snapshot.devices")).doesNotExist();
        assertThat(driver.stateFormat()).isEqualTo("firecracker 1.12.0");
        driver.resume(running);
        driver.kill(running);
        int before = fc.requests().size();

        running = driver.launch(snapshotSpec(run, memory));

        assertThat(fc.events("violation")).isEmpty();
        assertThat(fc.requests().subList(before, fc.requests().size())).as("no machine, boot source or drives: the state has them")
                .containsExactly("GET /", "GET /version", "PUT /logger", "PUT /metrics", "PUT /snapshot/load");
        assertThat(fc.body("/snapshot/load")).isEqualTo(json(Map.of("snapshot_path", devices.toString(),
                "mem_backend", Map.of("backend_type", "File", "backend_path", memory.toString()), "resume_vm", true,
                "network_overrides", List.of(Map.of("iface_id", "eth0", "host_dev_name", TAP)))));
        assertThat(fieldNames(fc.body("/snapshot/load"))).containsAll(contract().required("SnapshotLoadParams"));
        assertThat(fc.events("loaded").getLast().get("memory_head").asText()).startsWith("guest memory of vm-1 at MiB 0");
        assertThat(driver.isPaused(running)).as("resume_vm: the guest runs on").isFalse();
        assertThat(Files.readString(run.resolve("console.log"))).contains("[double] guest vm-1 restored");
    }

    @Test
    void jailedTheSnapshotIsWrittenInTheChrootAsTheJailUidAndRestoredFromACopyItMayOpen() throws Exception {
        fc.version("1.12.0");
        driver = driver(jailed(4242, 4343), SOCKET_TIMEOUT);
        Path run = dir.resolve("vms/vm-1");
        Path chroot = run.resolve("jail/firecracker/vm-1/root");
        running = driver.launch(snapshotSpec(run, null));
        Path snap = Files.createDirectories(dir.resolve("snapshots/s1"));
        Path memory = snap.resolve("memory.state");

        driver.saveState(running, memory);

        assertThat(fc.events("violation")).isEmpty();
        assertThat(fc.body("/snapshot/create")).isEqualTo(json(Map.of("snapshot_type", "Full",
                "snapshot_path", "/snapshot.devices", "mem_file_path", "/snapshot.mem")));
        for (Path f : List.of(memory, snap.resolve("devices.state"))) {
            assertThat(owner(f)).as("written by uid 4242, published as root's").isEqualTo("0:0");
            assertThat(mode(f)).isEqualTo("rw-------");
        }
        assertThat(allocated(memory)).isLessThan(1 << 20);
        assertThat(chroot.resolve("snapshot.mem")).doesNotExist();
        assertThat(driver.stateFormat()).as("a jailed state names its drives inside the chroot").isEqualTo("firecracker 1.12.0, jailed");
        driver.kill(running);

        running = driver.launch(snapshotSpec(run, memory));

        assertThat(fc.events("violation")).isEmpty();
        assertThat(fc.body("/snapshot/load")).isEqualTo(json(Map.of("snapshot_path", "/restore.devices",
                "mem_backend", Map.of("backend_type", "File", "backend_path", "/restore.mem"), "resume_vm", true,
                "network_overrides", List.of(Map.of("iface_id", "eth0", "host_dev_name", TAP)))));
        assertThat(owner(chroot.resolve("restore.mem"))).as("a copy the jail may open").isEqualTo("4242:4343");
        assertThat(allocated(chroot.resolve("restore.mem"))).as("copied sparse").isLessThan(1 << 20);
        assertThat(fc.events("loaded").getLast().get("memory_head").asText()).startsWith("guest memory of vm-1 at MiB 0");
        assertThat(owner(memory)).as("the snapshot itself stays root's").isEqualTo("0:0");
        driver.kill(running);
        running = null;
        assertThat(run.resolve("jail")).as("the copy goes with the chroot").doesNotExist();
        assertThat(memory).exists();
    }

    @Test
    void aFirecrackerTooOldForTheSnapshotApiOrReplacedSinceTheVmStartedIsRefusedAndTheGuestRunsOn() throws Exception {
        driver = driver(unjailed(), SOCKET_TIMEOUT); // the double's default: 1.10.1
        running = driver.launch(snapshotSpec(dir.resolve("vms/vm-1"), null));
        Path memory = Files.createDirectories(dir.resolve("snapshots/s1")).resolve("memory.state");

        assertThatThrownBy(() -> driver.saveState(running, memory)).isInstanceOfSatisfying(BangerException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                .hasMessageContaining("Firecracker 1.10.1 (pid " + running.pid() + ") cannot take or load the snapshots banger makes")
                .hasMessageContaining(">= 1.12.0");
        driver.kill(running);

        fc.version("1.12.0");
        running = driver.launch(snapshotSpec(dir.resolve("vms/vm-1"), null));
        fc.version("1.13.0"); // the binary is upgraded under a running VM
        assertThatThrownBy(() -> driver.saveState(running, memory)).isInstanceOf(BangerException.class)
                .hasMessageContaining("runs as firecracker 1.12.0, but this host now restores with firecracker 1.13.0")
                .hasMessageContaining("restart the VM");

        assertThat(fc.requests()).doesNotContain("PATCH /vm", "PUT /snapshot/create");
        assertThat(driver.isPaused(running)).isFalse();
        assertThat(memory).doesNotExist();
    }

    @Test
    void aRefusedLoadCarriesFirecrackersFaultMessageAndLeavesNothingRunning() throws Exception {
        fc.version("1.12.0");
        driver = driver(jailed(4242, 4343), SOCKET_TIMEOUT);
        Path run = dir.resolve("vms/vm-1");
        running = driver.launch(snapshotSpec(run, null));
        Path memory = Files.createDirectories(dir.resolve("snapshots/s1")).resolve("memory.state");
        driver.saveState(running, memory);
        driver.kill(running);
        running = null;
        String fault = "Load snapshot error: Failed to restore from snapshot: Failed to build microVM from snapshot: "
                + "Cannot restore devices: Block(BackingFile(Os { code: 2, kind: NotFound }))";
        fc.refuse("PUT /snapshot/load", fault);
        int starts = fc.events("start").size();

        assertThatThrownBy(() -> driver.launch(snapshotSpec(run, memory))).isInstanceOf(BangerException.class)
                .hasMessageContaining("VM one: Firecracker did not restore the snapshot: PUT /snapshot/load was refused (HTTP 400): "
                        + fault);

        assertThat(fc.events("start")).hasSize(starts + 1);
        for (JsonNode start : fc.events("start")) {
            assertThat(ProcessHandle.of(start.get("pid").asLong()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        }
        for (String left : List.of("fc.sock", "vsock.sock", "firecracker.pid", "jail")) {
            assertThat(run.resolve(left)).doesNotExist();
        }
        assertThat(memory).as("the snapshot stays").exists();
    }

    @Test
    void aSnapshotWithoutItsDeviceStateIsRefusedBeforeAnythingStarts() throws Exception {
        fc.version("1.12.0");
        driver = driver(unjailed(), SOCKET_TIMEOUT);
        Path snap = Files.createDirectories(dir.resolve("snapshots/s1"));
        Path memory = Files.write(snap.resolve("memory.state"), new byte[4096]);

        assertThatThrownBy(() -> driver.launch(snapshotSpec(dir.resolve("vms/vm-1"), memory)))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                .hasMessageContaining("is incomplete: its devices.state is missing");
        assertThat(fc.events()).as("no process was started").isEmpty();
    }

    private static SwaggerContract contract() throws IOException {
        return SwaggerContract.load(SwaggerContract.locate());
    }

    private static List<String> fieldNames(JsonNode body) {
        List<String> names = new java.util.ArrayList<>();
        body.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** Bytes the file's blocks take on disk (holes are free). */
    private long allocated(Path f) {
        String[] blocks = runner.run(Command.of("stat", "-c", "%b %B", f.toString())).stdout().strip().split(" ");
        return Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]);
    }

    private static String mode(Path f) throws IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS));
    }

    private static MachineSpec withKernel(MachineSpec s, Path kernel) {
        return new MachineSpec(s.vmId(), s.name(), s.vcpu(), s.memoryMib(), kernel, s.initrd(), s.kernelArgs(), s.rootDisk(),
                s.rootFormat(), s.workDisk(), s.tap(), s.mac(), s.runDir());
    }

    /** No file in the run dir, no process of the double alive. */
    private void assertNothingLeft(Path run) throws IOException {
        if (Files.exists(run)) {
            try (Stream<Path> files = Files.list(run)) {
                assertThat(files.toList()).as("files left in " + run).isEmpty();
            }
        }
        for (JsonNode start : fc.events()) {
            long pid = start.get("pid").asLong();
            Optional<ProcessHandle> p = ProcessHandle.of(pid);
            assertThat(p.map(ProcessHandle::isAlive).orElse(false)).as("double pid " + pid + " still runs").isFalse();
        }
    }

    private static JsonNode json(Map<String, Object> fields) {
        return new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(fields);
    }

    private static Object inode(Path p) throws IOException {
        return Files.getAttribute(p, "unix:ino");
    }

    private static String owner(Path p) throws IOException {
        return Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) + ":" + Files.getAttribute(p, "unix:gid");
    }

    /** Field 6 of /proc/PID/stat: the session id. */
    private static long sessionOf(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3]);
    }
}
