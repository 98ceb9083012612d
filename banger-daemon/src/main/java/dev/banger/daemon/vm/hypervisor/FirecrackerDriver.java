package dev.banger.daemon.vm.hypervisor;

import dev.banger.core.config.FirecrackerSettings;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.BackgroundProcess;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.HostPrograms;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.vm.hypervisor.FirecrackerRequests.BootSource;
import dev.banger.daemon.vm.hypervisor.FirecrackerRequests.Drive;
import dev.banger.daemon.vm.hypervisor.FirecrackerRequests.InstanceActionInfo;
import dev.banger.daemon.vm.hypervisor.FirecrackerRequests.Logger;
import dev.banger.daemon.vm.hypervisor.FirecrackerRequests.MachineConfiguration;
import dev.banger.daemon.vm.hypervisor.FirecrackerRequests.Metrics;
import dev.banger.daemon.vm.hypervisor.FirecrackerRequests.NetworkInterface;
import dev.banger.daemon.vm.hypervisor.FirecrackerRequests.Vsock;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Runs VMs with Firecracker, optionally through its jailer ({@link JailerLayout}). Firecracker
 * does not daemonize: it is started in a session of its own with its output (the guest's serial
 * console and its own complaints) appended to {@code console.log}, so it outlives the daemon. The
 * VM is then configured over the API socket in the order Firecracker's docs give (logger,
 * metrics, machine, boot source, drives, NIC, vsock) and started with {@code InstanceStart}; a
 * version outside {@link FirecrackerVersion#SUPPORTED_RANGE} is refused first. Every file a
 * failed launch made is removed and its process killed. Firecracker needs KVM; it reads raw
 * disks only and boots an uncompressed ELF {@code vmlinux}.
 */
final class FirecrackerDriver implements HypervisorDriver {

    static final String NAME = "firecracker";
    static final String API_SOCKET = "fc.sock";
    static final String VSOCK_SOCKET = "vsock.sock";
    static final String PID_FILE = "firecracker.pid";
    static final String LOG_FILE = "firecracker.log";
    static final String METRICS_FILE = "firecracker.metrics";
    static final String CONSOLE_LOG = "console.log";
    /** Firecracker's fixed boot arguments: serial console, reboot through the keyboard controller (Firecracker then exits), no PCI scan. */
    static final String BOOT_ARGS = "console=ttyS0 reboot=k panic=1 pci=off";
    /** The guest's vsock address; every VM has a device of its own, backed by its own Unix socket, so one CID fits all. */
    static final int GUEST_CID = 3;

    private static final org.slf4j.Logger log = LoggerFactory.getLogger(FirecrackerDriver.class);
    private static final int MAX_SOCKET_PATH = 107;
    private static final Duration API_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration TERM_GRACE = Duration.ofSeconds(2);
    /** How long a process whose API connection dropped gets to finish exiting. */
    private static final Duration EXIT_WAIT = Duration.ofSeconds(1);
    private static final int OUTPUT_TAIL_BYTES = 2000;
    private static final byte[] ELF_MAGIC = {0x7f, 'E', 'L', 'F'};

    private final FirecrackerSettings settings;
    private final CommandRunner runner;
    private final AccelerationProbe probe;
    private final Duration socketTimeout;
    private final String vmmUser;
    private final ConsoleLogCap consoleCap;
    private volatile Acceleration acceleration;

    /**
     * {@code socketTimeout}: how long a started Firecracker may take to answer on its API socket;
     * {@code vmmUser}: whose uid and gid the jailer drops to unless jailer_uid/jailer_gid say.
     */
    FirecrackerDriver(FirecrackerSettings settings, CommandRunner runner, AccelerationProbe probe, Duration socketTimeout,
                      String vmmUser, ConsoleLogCap consoleCap) {
        this.settings = settings;
        this.runner = runner;
        this.probe = probe;
        this.socketTimeout = socketTimeout;
        this.vmmUser = vmmUser;
        this.consoleCap = consoleCap;
    }

    /** The jailer runs Firecracker when the config says so, or, unless it says jailer_enabled = false, whenever it is installed. */
    private boolean jailerOn() {
        return settings.jailerEnabled() != null ? settings.jailerEnabled() : HostPrograms.locate(settings.jailerBin()).isPresent();
    }

    /** The jail's uid and gid: jailer_uid/jailer_gid where set, else the VMM user's. */
    private int[] jailIds() {
        if (settings.jailerUid() != null && settings.jailerGid() != null) {
            return new int[] {settings.jailerUid(), settings.jailerGid()};
        }
        VmmUser user = VmmUser.lookUp(vmmUser, runner);
        if (user.isRoot()) {
            throw BangerException.badRequest("the jailer drops root's privileges, but vmm_user = \"root\": set vmm_user (or"
                    + " jailer_uid and jailer_gid) to an unprivileged account, or set jailer_enabled = false to run Firecracker"
                    + " unjailed as root");
        }
        return new int[] {settings.jailerUid() != null ? settings.jailerUid() : user.uid(),
                settings.jailerGid() != null ? settings.jailerGid() : user.gid()};
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean readsQcow2() {
        return false;
    }

    @Override
    public boolean exitsOnGuestReboot() {
        return true;
    }

    @Override
    public Optional<int[]> unprivilegedIds() {
        return jailerOn() ? Optional.of(jailIds()) : Optional.empty();
    }

    @Override
    public boolean bootsElfKernel() {
        return true;
    }

    @Override
    public Acceleration acceleration() {
        Acceleration a = acceleration;
        if (a == null) {
            a = probe.probe();
            acceleration = a;
            log.info("Firecracker: KVM {} ({})", a.isKvm() ? "usable" : "not usable", a.reason());
        }
        return a;
    }

    @Override
    public void prepare(MachineSpec spec) {
        if (spec.restoreFrom() != null) {
            throw BangerException.badRequest("VM " + spec.name() + ": restoring a snapshot needs hypervisor = \"qemu\"");
        }
        firecrackerBinary();
        if (jailerOn()) {
            jailerBinary();
            jailIds();
            if (!spec.vmId().matches("[A-Za-z0-9-]{1,64}")) {
                throw BangerException.badRequest("VM " + spec.name() + ": its id " + spec.vmId() + " is not a jailer id "
                        + "(letters, digits and hyphens, at most 64)");
            }
        }
        Acceleration accel = acceleration();
        if (!accel.isKvm()) {
            throw BangerException.badRequest("Firecracker needs KVM, which this host cannot give it: " + accel.reason()
                    + ". Set hypervisor = \"qemu\" (or \"auto\") in the config");
        }
        requireFile("kernel", spec.kernel());
        if (!isElf(spec.kernel())) {
            throw BangerException.badRequest("the kernel " + spec.kernel() + " is not an uncompressed ELF vmlinux, the only "
                    + "kernel format Firecracker boots: import the kernel again so banger extracts its vmlinux, or use QEMU");
        }
        if (spec.initrd() != null) {
            requireFile("initrd", spec.initrd());
        }
        requireFile("root disk", spec.rootDisk());
        if (spec.rootFormat() != DiskFormat.RAW) {
            throw BangerException.badRequest("the root disk " + spec.rootDisk() + " is " + spec.rootFormat()
                    + "; Firecracker reads raw disks only");
        }
        if (spec.workDisk() != null) {
            requireFile("work disk", spec.workDisk());
        }
        for (String name : List.of(API_SOCKET, VSOCK_SOCKET)) {
            Path socket = spec.runDir().toAbsolutePath().resolve(name);
            if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
                throw BangerException.badRequest("VM " + spec.name() + ": its socket path " + socket + " is longer than "
                        + MAX_SOCKET_PATH + " bytes, the limit for Unix sockets: use a shorter state directory");
            }
        }
    }

    @Override
    public MachineProcess launch(MachineSpec spec) {
        prepare(spec);
        Launch launch = new Launch(spec);
        try {
            return launch.run();
        } catch (BangerException e) {
            launch.undo(e);
            throw e;
        } catch (IOException | RuntimeException e) {
            BangerException failure = launch.failure(e);
            launch.undo(failure);
            throw failure;
        }
    }

    /** One launch: what it made, so a failure removes exactly that. */
    private final class Launch {
        private final MachineSpec spec;
        private final Path run;
        private final Path socket;
        private final Path console;
        private final List<Path> made = new ArrayList<>();
        private JailerLayout jail;
        private BackgroundProcess process;
        private long consoleOffset;

        Launch(MachineSpec spec) {
            this.spec = spec;
            this.run = spec.runDir().toAbsolutePath();
            this.socket = run.resolve(API_SOCKET);
            this.console = run.resolve(CONSOLE_LOG);
        }

        MachineProcess run() throws IOException {
            Files.createDirectories(run);
            removeRunFiles(run); // a killed earlier run's socket would stop Firecracker from binding
            Path firecracker = firecrackerBinary();
            Path logFile = fresh(run.resolve(LOG_FILE));
            Path metricsFile = fresh(run.resolve(METRICS_FILE));
            Paths seen = jailerOn() ? jailed(firecracker, logFile, metricsFile) : direct(logFile, metricsFile);
            if (!Files.exists(console)) {
                made.add(Files.createFile(console));
            }
            consoleOffset = Files.size(console);
            List<String> fcArgs = List.of("--api-sock", socket.toString());
            List<String> argv = jail != null
                    ? jail.jailerArgv(jailerBinary(), firecracker, spec.vmId(), fcArgs)
                    : concat(List.of(firecracker.toString(), "--id", spec.vmId()), fcArgs);
            Command command = Command.of(argv.toArray(String[]::new));
            log.info("starting VM {} (Firecracker{}): {}", spec.name(), jail != null ? ", jailed" : "", command.display());
            try {
                process = runner.startDetached(command, console);
            } catch (CommandFailedException e) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "VM " + spec.name() + ": " + e.getMessage(), e);
            }
            long startTicks = ProcEntry.read(process.pid()).map(ProcEntry::startTicks)
                    .orElseThrow(() -> exited("before it could be watched"));
            made.add(Files.writeString(run.resolve(PID_FILE), process.pid() + "\n"));
            FirecrackerApi api = awaitApi();
            checkVersion(api);
            configure(api, seen);
            MachineProcess p = new MachineProcess(NAME, process.pid(), startTicks, socket, console, Acceleration.KVM);
            log.info("VM {} runs as pid {}", spec.name(), p.pid());
            consoleCap.watch(p);
            return p;
        }

        private Paths direct(Path logFile, Path metricsFile) {
            return new Paths(spec.kernel().toAbsolutePath().toString(),
                    spec.initrd() == null ? null : spec.initrd().toAbsolutePath().toString(),
                    spec.rootDisk().toAbsolutePath().toString(),
                    spec.workDisk() == null ? null : spec.workDisk().toAbsolutePath().toString(),
                    logFile.toString(), metricsFile.toString(), run.resolve(VSOCK_SOCKET).toString());
        }

        private Paths jailed(Path firecracker, Path logFile, Path metricsFile) throws IOException {
            int[] ids = jailIds();
            jail = new JailerLayout(run, firecracker.getFileName().toString(), spec.vmId(), ids[0], ids[1]);
            made.add(jail.chrootBase());
            jail.create();
            // The API socket's short name: a symlink into the chroot, where the jailed Firecracker binds it.
            Files.createSymbolicLink(socket, jail.hostPathOf(socket));
            made.add(socket);
            return new Paths(jail.linkReadOnly(spec.kernel(), "vmlinux"),
                    spec.initrd() == null ? null : jail.linkReadOnly(spec.initrd(), "initrd.img"),
                    jail.linkWritable(spec.rootDisk(), "root.ext4"),
                    spec.workDisk() == null ? null : jail.linkWritable(spec.workDisk(), "work.ext4"),
                    jail.linkWritable(logFile, LOG_FILE), jail.linkWritable(metricsFile, METRICS_FILE),
                    run.resolve(VSOCK_SOCKET).toString());
        }

        /** An empty file made by this launch (Firecracker opens its log and metrics files, it does not create them). */
        private Path fresh(Path file) throws IOException {
            Files.deleteIfExists(file);
            made.add(Files.createFile(file));
            return file;
        }

        /** Polls the API socket until Firecracker answers; the process ending first is an error with its output. */
        private FirecrackerApi awaitApi() throws IOException {
            FirecrackerApi api = new FirecrackerApi(socket, API_TIMEOUT);
            long deadline = System.nanoTime() + socketTimeout.toNanos();
            while (true) {
                if (!process.isAlive()) {
                    throw exited("before its API socket " + socket + " answered");
                }
                try {
                    api.get("/");
                    return api;
                } catch (FirecrackerApi.Fault e) {
                    throw e;
                } catch (IOException notYet) {
                    if (System.nanoTime() >= deadline) {
                        throw new BangerException(ErrorCode.OPERATION_FAILED, "VM " + spec.name() + ": Firecracker's API socket "
                                + socket + " did not answer within " + socketTimeout.toMillis() + " ms (" + notYet.getMessage()
                                + "); the process was killed" + output());
                    }
                    sleep();
                }
            }
        }

        private void checkVersion(FirecrackerApi api) throws IOException {
            String text = api.get("/version").path("firecracker_version").asText("");
            FirecrackerVersion version = FirecrackerVersion.find(text).orElseThrow(() -> new BangerException(
                    ErrorCode.OPERATION_FAILED, "VM " + spec.name() + ": Firecracker reports the version '" + text
                    + "', which is not a version number; banger drives Firecracker " + FirecrackerVersion.SUPPORTED_RANGE));
            if (!version.supported()) {
                throw BangerException.badRequest("Firecracker " + version + " (" + firecrackerBinary() + ", config key "
                        + "firecracker_bin) is not supported: banger drives Firecracker " + FirecrackerVersion.SUPPORTED_RANGE
                        + "; install a release in that range, or set hypervisor = \"qemu\"");
            }
        }

        private void configure(FirecrackerApi api, Paths seen) throws IOException {
            api.put("/logger", new Logger(seen.log(), "Info", true, false));
            api.put("/metrics", new Metrics(seen.metrics()));
            api.put("/machine-config", new MachineConfiguration(spec.vcpu(), spec.memoryMib()));
            api.put("/boot-source", new BootSource(seen.kernel(), seen.initrd(), BOOT_ARGS + " " + spec.kernelArgs().strip()));
            api.put("/drives/root", new Drive("root", seen.rootDisk(), true, false));
            if (seen.workDisk() != null) {
                api.put("/drives/work", new Drive("work", seen.workDisk(), false, false));
            }
            if (spec.tap() != null) {
                api.put("/network-interfaces/eth0", new NetworkInterface("eth0", spec.tap(), spec.mac()));
            }
            api.put("/vsock", new Vsock(GUEST_CID, seen.vsock()));
            api.put("/actions", new InstanceActionInfo("InstanceStart"));
        }

        private BangerException exited(String when) {
            String status = process.exitCode().isPresent() ? " with status " + process.exitCode().getAsInt() : "";
            return new BangerException(ErrorCode.OPERATION_FAILED, "VM " + spec.name() + ": Firecracker exited" + status + " "
                    + when + output());
        }

        /** An API exchange or a file that failed: its message, and how the process ended if it did, with its output. */
        BangerException failure(Exception e) {
            if (process != null && e instanceof IOException && !(e instanceof FirecrackerApi.Fault)) {
                awaitEnd(); // a dropped connection is usually a dying process: its status tells why
            }
            String exit = process == null || process.isAlive() ? ""
                    : " (Firecracker exited with status " + process.exitCode().getAsInt() + ")";
            return new BangerException(ErrorCode.OPERATION_FAILED, "VM " + spec.name() + ": Firecracker did not start: "
                    + e.getMessage() + exit + (process == null ? "" : output()), e);
        }

        private void awaitEnd() {
            long deadline = System.nanoTime() + EXIT_WAIT.toNanos();
            while (process.isAlive() && System.nanoTime() < deadline) {
                sleep();
            }
        }

        /** What the process printed since this launch started it, for an error message. */
        private String output() {
            try (InputStream in = Files.newInputStream(console)) {
                long size = Files.size(console);
                long from = Math.max(consoleOffset, size - OUTPUT_TAIL_BYTES);
                in.skipNBytes(from);
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
                return text.isEmpty() ? "" : "; its output: " + text;
            } catch (IOException e) {
                return "";
            }
        }

        /** Kills the process and removes what this launch made; problems are added to {@code failure}. */
        void undo(BangerException failure) {
            if (process != null) {
                // The message already quotes the output; console.log goes below if this launch made it.
                process.stop(TERM_GRACE);
            }
            try {
                removeRunFiles(run); // what the process made: its sockets
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
            for (Path p : made.reversed()) {
                try {
                    delete(p);
                } catch (RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
        }
    }

    /** What Firecracker is told to open, as paths it sees (inside the chroot when jailed). */
    private record Paths(String kernel, String initrd, String rootDisk, String workDisk, String log, String metrics, String vsock) {
    }

    /** Ctrl+Alt+Del, Firecracker's only way to ask an x86 guest to stop; the guest then reboots, which ends Firecracker. */
    @Override
    public void requestShutdown(MachineProcess p) {
        if (!isAlive(p)) {
            return;
        }
        try {
            new FirecrackerApi(p.controlSocket(), API_TIMEOUT).put("/actions", new InstanceActionInfo("SendCtrlAltDel"));
        } catch (IOException e) {
            log.info("Ctrl+Alt+Del for pid {} not sent: {}", p.pid(), e.getMessage());
        }
    }

    @Override
    public void pause(MachineProcess p) {
        vmState(p, "Paused");
    }

    @Override
    public void resume(MachineProcess p) {
        vmState(p, "Resumed");
    }

    @Override
    public boolean isPaused(MachineProcess p) {
        requireAlive(p);
        try {
            return "Paused".equals(new FirecrackerApi(p.controlSocket(), API_TIMEOUT).get("/").path("state").asText());
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "Firecracker pid " + p.pid() + ": GET / failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String stateFormat() {
        return NAME;
    }

    @Override
    public boolean savesState() {
        return false;
    }

    /** Refused: banger's snapshots are QEMU migration streams; Firecracker's snapshot API is not wired yet. */
    @Override
    public StateSave saveState(MachineProcess p, Path stateFile) {
        throw BangerException.badRequest("snapshots need hypervisor = \"qemu\": the Firecracker driver cannot take them yet");
    }

    private void vmState(MachineProcess p, String state) {
        requireAlive(p);
        try {
            new FirecrackerApi(p.controlSocket(), API_TIMEOUT).patch("/vm", new FirecrackerRequests.Vm(state));
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "Firecracker pid " + p.pid() + ": PATCH /vm " + state + " failed: "
                    + e.getMessage(), e);
        }
    }

    private void requireAlive(MachineProcess p) {
        if (!isAlive(p)) {
            throw new BangerException(ErrorCode.NOT_RUNNING, "Firecracker pid " + p.pid() + " is not running");
        }
    }

    /** SIGTERM, SIGKILL after 2 s, then the sockets, pid file and chroot of that run go (its logs stay). */
    @Override
    public void kill(MachineProcess p) {
        if (isAlive(p)) {
            VmmProcesses.terminate(p);
            if (!awaitExit(p, TERM_GRACE)) {
                log.warn("Firecracker pid {} still runs {} ms after SIGTERM, killing it", p.pid(), TERM_GRACE.toMillis());
                VmmProcesses.forceKill(p, "Firecracker");
            }
        }
        removeRunFiles(p.controlSocket().getParent());
    }

    @Override
    public Optional<MachineProcess> adopt(MachineProcess recorded) {
        if (!NAME.equals(recorded.driver())) {
            return Optional.empty();
        }
        Optional<MachineProcess> adopted = VmmProcesses.adopt(recorded, "--api-sock " + recorded.controlSocket());
        adopted.ifPresent(consoleCap::watch);
        return adopted;
    }

    /** What a run leaves that the next one must not find: its sockets, pid file and chroot. */
    private void removeRunFiles(Path run) {
        for (String name : List.of(API_SOCKET, VSOCK_SOCKET, PID_FILE, JailerLayout.CHROOT_BASE)) {
            delete(run.resolve(name));
        }
    }

    private void delete(Path p) {
        try {
            // The chroot holds hard links to the VM's disks: they are unlinked, the disks stay.
            FileTrees.delete(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + p + ": " + e.getMessage(), e);
        }
    }

    private Path firecrackerBinary() {
        return HostPrograms.locate(settings.firecrackerBin()).orElseThrow(() -> BangerException.badRequest("the Firecracker binary `"
                + settings.firecrackerBin() + "` (config key firecracker_bin) is not installed or not executable: install a "
                + "release " + FirecrackerVersion.SUPPORTED_RANGE + " from github.com/firecracker-microvm/firecracker/releases "
                + "or set firecracker_bin to its path"));
    }

    private Path jailerBinary() {
        Path jailer = HostPrograms.locate(settings.jailerBin()).orElseThrow(() -> BangerException.badRequest("the jailer binary `"
                + settings.jailerBin() + "` (config key jailer_bin) is not installed or not executable: install the jailer of "
                + "the same Firecracker release, or set jailer_enabled = false"));
        String execName = firecrackerBinary().getFileName().toString();
        if (!execName.contains("firecracker")) {
            throw BangerException.badRequest("the jailer runs only a binary whose name contains \"firecracker\"; firecracker_bin "
                    + "names " + execName);
        }
        return jailer;
    }

    private static boolean isElf(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(ELF_MAGIC.length), ELF_MAGIC);
        } catch (IOException e) {
            return false;
        }
    }

    private static void requireFile(String what, Path file) {
        if (file == null || !Files.isRegularFile(file)) {
            throw BangerException.badRequest("the " + what + " " + file + " does not exist or is not a file");
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cancelled while waiting for Firecracker");
        }
    }
}
