package dev.banger.daemon.vm.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.HostPrograms;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs VMs with QEMU's microvm machine. QEMU daemonizes: the VM outlives the daemon, and the
 * parent exits only once the child is set up, so a bad disk or option comes back as its exit
 * status and stderr. The pid file, the QMP socket and the console log live in the VM's run dir.
 * When bangerd is root, QEMU opens those, the disks and the tap as root, then chroots into the
 * empty {@code RUN/chroot} and becomes the VMM user ({@code vmm_user}); with seccomp where the
 * host's QEMU has it ({@link QemuSandbox}). The console log is capped by {@link ConsoleLogCap}.
 */
final class QemuDriver implements HypervisorDriver {

    static final String NAME = "qemu";
    private static final Logger log = LoggerFactory.getLogger(QemuDriver.class);
    /** Linux's sun_path is 108 bytes with the terminating NUL. */
    private static final int MAX_SOCKET_PATH = 107;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration QUIT_GRACE = Duration.ofSeconds(2);
    private static final Duration SAVE_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration LOAD_TIMEOUT = Duration.ofMinutes(5);
    private static final Pattern KVM_COMPLAINT = Pattern.compile("(?i)kvm");

    private final String qemuBin;
    private final CommandRunner runner;
    private final AccelerationProbe probe;
    private final String vmmUser;
    private final ConsoleLogCap consoleCap;
    private volatile Acceleration acceleration;
    private volatile Boolean seccomp;
    private volatile String stateFormat;

    /** {@code vmmUser}: the account QEMU drops to when bangerd is root ({@code root}: it keeps root). */
    QemuDriver(String qemuBin, CommandRunner runner, AccelerationProbe probe, String vmmUser, ConsoleLogCap consoleCap) {
        this.qemuBin = qemuBin;
        this.runner = runner;
        this.probe = probe;
        this.vmmUser = vmmUser;
        this.consoleCap = consoleCap;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean readsQcow2() {
        return true;
    }

    @Override
    public boolean bootsElfKernel() {
        return false;
    }

    @Override
    public Acceleration acceleration() {
        Acceleration a = acceleration;
        if (a == null) {
            a = probe.probe();
            acceleration = a;
            log.info("QEMU acceleration: {} ({})", a.mode(), a.reason());
        }
        return a;
    }

    @Override
    public void prepare(MachineSpec spec) {
        binary();
        requireFile("kernel", spec.kernel());
        if (spec.initrd() != null) {
            requireFile("initrd", spec.initrd());
        }
        requireFile("root disk", spec.rootDisk());
        if (spec.workDisk() != null) {
            requireFile("work disk", spec.workDisk());
        }
        Path socket = spec.runDir().toAbsolutePath().resolve(QemuCommandLine.IDENTITY_SOCKET); // the longest of its sockets' paths
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw BangerException.badRequest("VM " + spec.name() + ": its identity socket path " + socket + " is longer than "
                    + MAX_SOCKET_PATH + " bytes, the limit for Unix sockets: use a shorter state directory");
        }
        dropsTo();
    }

    /** The user QEMU becomes, or empty when it keeps bangerd's uid (bangerd is not root, or vmm_user = "root"). */
    private Optional<VmmUser> dropsTo() {
        if (!VmmUser.daemonIsRoot()) {
            return Optional.empty();
        }
        return Optional.of(VmmUser.lookUp(vmmUser, runner)).filter(u -> !u.isRoot());
    }

    private QemuCommandLine.Confinement confinement(Path run) throws IOException {
        Optional<VmmUser> user = dropsTo();
        String sandbox = hasSeccomp() ? QemuSandbox.OPTIONS : null;
        if (user.isEmpty()) {
            return new QemuCommandLine.Confinement(null, null, sandbox);
        }
        Path chroot = run.resolve(QemuCommandLine.CHROOT);
        Files.createDirectories(chroot);
        // Root's, readable and searchable, writable by nobody: the escaped process can put nothing there either.
        Files.setPosixFilePermissions(chroot, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        try (var entries = Files.list(chroot)) {
            if (entries.findAny().isPresent()) {
                throw new IOException(chroot + " is not empty; QEMU's chroot must be");
            }
        }
        return new QemuCommandLine.Confinement(user.get().name(), chroot, sandbox);
    }

    /** Whether this host's QEMU has seccomp; probed once. */
    private boolean hasSeccomp() {
        Boolean s = seccomp;
        if (s == null) {
            s = QemuSandbox.supported(binary(), runner);
            seccomp = s;
            if (!s) {
                log.warn("{} has no seccomp support (-sandbox): VMs start without QEMU's system call filter", binary());
            }
        }
        return s;
    }

    @Override
    public MachineProcess launch(MachineSpec spec) {
        prepare(spec);
        Acceleration accel = acceleration();
        try {
            return start(spec, accel);
        } catch (KvmUnusable e) {
            log.warn("VM {} did not start under KVM, retrying with TCG: {}", spec.name(), e.getMessage());
            probe.recordKvmFailure(e.getMessage());
            acceleration = probe.probe();
            return start(spec, acceleration);
        }
    }

    private MachineProcess start(MachineSpec spec, Acceleration accel) {
        Path run = spec.runDir().toAbsolutePath();
        Path pidFile = run.resolve(QemuCommandLine.PID_FILE);
        Path socket = run.resolve(QemuCommandLine.QMP_SOCKET);
        QemuCommandLine.Confinement confinement;
        try {
            Files.createDirectories(run);
            // Left by an earlier run (a chrooted QEMU cannot remove them when it exits); QEMU would refuse to bind the socket.
            Files.deleteIfExists(socket);
            Files.deleteIfExists(pidFile);
            Files.deleteIfExists(run.resolve(QemuCommandLine.INCOMING_SOCKET));
            Files.deleteIfExists(run.resolve(QemuCommandLine.IDENTITY_SOCKET));
            confinement = confinement(run);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "VM " + spec.name() + ": cannot prepare " + run + ": " + e, e);
        }
        Command command = Command.of(QemuCommandLine.build(binary(), spec, accel, probe.tscKhz(), confinement).toArray(String[]::new))
                .withTimeout(START_TIMEOUT);
        log.info("starting VM {} ({}): {}", spec.name(), accel.mode(), command.display());
        CommandResult result;
        try {
            result = runner.runAllowingFailure(command);
        } catch (CommandFailedException e) {
            killLeftover(pidFile, socket);
            throw new BangerException(ErrorCode.OPERATION_FAILED, "VM " + spec.name() + ": QEMU did not start: " + e.getMessage(), e);
        }
        if (!result.ok()) {
            killLeftover(pidFile, socket);
            String message = "VM " + spec.name() + ": QEMU refused to start (exit status " + result.exitCode() + "): "
                    + result.stderr().strip();
            throw accel.isKvm() && KVM_COMPLAINT.matcher(result.stderr()).find()
                    ? new KvmUnusable(message) : new BangerException(ErrorCode.OPERATION_FAILED, message);
        }
        MachineProcess p = recorded(pidFile, socket, run.resolve(QemuCommandLine.CONSOLE_LOG), accel)
                .orElseThrow(() -> {
                    killLeftover(pidFile, socket);
                    return new BangerException(ErrorCode.OPERATION_FAILED, "VM " + spec.name()
                            + ": QEMU reported success but its process is gone; see " + run.resolve(QemuCommandLine.CONSOLE_LOG));
                });
        String status;
        try (QmpClient qmp = QmpClient.connect(socket, QMP_TIMEOUT)) {
            status = qmp.execute("query-status", QMP_TIMEOUT).path("status").asText();
        } catch (IOException e) {
            kill(p);
            throw new BangerException(ErrorCode.OPERATION_FAILED, "VM " + spec.name() + ": QEMU started but its control socket "
                    + socket + " does not answer (" + e.getMessage() + "); the VM was stopped", e);
        }
        if ("internal-error".equals(status)) { // QEMU pauses a guest KVM cannot run (a software KVM, see AccelerationProbe)
            kill(p);
            throw new KvmUnusable("VM " + spec.name() + ": KVM internal error while starting the guest");
        }
        if (spec.restoreFrom() != null) {
            try {
                StateStreams.load(spec.restoreFrom(), run.resolve(QemuCommandLine.INCOMING_SOCKET), p.controlSocket(),
                        LOAD_TIMEOUT);
            } catch (IOException e) {
                kill(p);
                throw new BangerException(ErrorCode.OPERATION_FAILED, "VM " + spec.name() + ": QEMU could not load the saved state "
                        + spec.restoreFrom() + " (" + e.getMessage() + "); the VM was stopped", e);
            } finally {
                deleteQuietly(run.resolve(QemuCommandLine.INCOMING_SOCKET));
            }
        }
        log.info("VM {} runs as pid {}{}", spec.name(), p.pid(), confinement.runAs() == null ? "" : ", user " + confinement.runAs());
        consoleCap.watch(p);
        return p;
    }

    /** The daemonized QEMU named by the pid file, if it runs with this socket on its command line. */
    private Optional<MachineProcess> recorded(Path pidFile, Path socket, Path console, Acceleration accel) {
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).strip());
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return ProcEntry.read(pid).filter(e -> e.isLive() && namesSocket(e, socket))
                .map(e -> new MachineProcess(NAME, pid, e.startTicks(), socket, console, accel.mode()));
    }

    /** After a failed start: a QEMU child that got as far as writing its pid file must not outlive the error. */
    private void killLeftover(Path pidFile, Path socket) {
        recorded(pidFile, socket, null, acceleration()).ifPresent(this::kill);
    }

    @Override
    public void requestShutdown(MachineProcess p) {
        if (!isAlive(p)) {
            return;
        }
        try (QmpClient qmp = QmpClient.connect(p.controlSocket(), QMP_TIMEOUT)) {
            qmp.execute("system_powerdown", QMP_TIMEOUT);
        } catch (IOException e) {
            log.info("power button for pid {} not pressed: {}", p.pid(), e.getMessage());
        }
    }

    /** "qemu " and the binary's version, asked once: QEMU loads a migration stream only from a compatible version. */
    @Override
    public Optional<Path> identitySocket(Path runDir) {
        return Optional.of(runDir.toAbsolutePath().resolve(QemuCommandLine.IDENTITY_SOCKET));
    }

    @Override
    public String stateFormat() {
        String f = stateFormat;
        if (f == null) {
            String out = runner.run(Command.of(binary().toString(), "-version").withTimeout(Duration.ofSeconds(10))).stdout();
            var m = Pattern.compile("version (\\S+)").matcher(out);
            f = "qemu " + (m.find() ? m.group(1) : out.lines().findFirst().orElse("?").strip());
            stateFormat = f;
        }
        return f;
    }

    @Override
    public StateSave saveState(MachineProcess p, Path stateFile) {
        if (!isAlive(p)) {
            throw new BangerException(ErrorCode.NOT_RUNNING, "QEMU pid " + p.pid() + " is not running");
        }
        try {
            return StateStreams.save(p, stateFile, SAVE_TIMEOUT);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "QEMU pid " + p.pid() + ": saving its state failed: "
                    + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", file, e.getMessage());
        }
    }

    @Override
    public void pause(MachineProcess p) {
        qmp(p, "stop");
    }

    @Override
    public void resume(MachineProcess p) {
        qmp(p, "cont");
    }

    @Override
    public boolean isPaused(MachineProcess p) {
        return !qmp(p, "query-status").path("running").asBoolean(true);
    }

    /** One QMP command to a VM that must be running; its failure names the VM's process and QEMU's complaint. */
    private JsonNode qmp(MachineProcess p, String command) {
        if (!isAlive(p)) {
            throw new BangerException(ErrorCode.NOT_RUNNING, "QEMU pid " + p.pid() + " is not running");
        }
        try (QmpClient qmp = QmpClient.connect(p.controlSocket(), QMP_TIMEOUT)) {
            return qmp.execute(command, QMP_TIMEOUT);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "QEMU pid " + p.pid() + ": " + command + " failed: " + e.getMessage(), e);
        }
    }

    /** The process's CPU and memory, plus {@code query-blockstats} summed over its drives (rd_bytes, wr_bytes as the guest issued them). */
    @Override
    public Optional<MachineUsage> usage(MachineProcess p) {
        return VmmProcesses.usage(p).map(u -> {
            try (QmpClient qmp = QmpClient.connect(p.controlSocket(), QMP_TIMEOUT)) {
                long read = 0;
                long written = 0;
                for (JsonNode drive : qmp.execute("query-blockstats", QMP_TIMEOUT)) {
                    read += drive.path("stats").path("rd_bytes").asLong();
                    written += drive.path("stats").path("wr_bytes").asLong();
                }
                return u.withBlocks(read, written);
            } catch (IOException e) {
                log.debug("query-blockstats for pid {}: {}", p.pid(), e.getMessage());
                return u; // disks unknown this once; CPU and memory still count
            }
        });
    }

    @Override
    public void kill(MachineProcess p) {
        if (!isAlive(p)) {
            return;
        }
        try (QmpClient qmp = QmpClient.connect(p.controlSocket(), QMP_TIMEOUT)) {
            qmp.execute("quit", QMP_TIMEOUT);
        } catch (IOException e) {
            // QEMU may close the socket before answering quit; the wait below tells.
            log.debug("QMP quit for pid {}: {}", p.pid(), e.getMessage());
        }
        if (awaitExit(p, QUIT_GRACE)) {
            return;
        }
        log.warn("QEMU pid {} still runs {} ms after quit, killing it", p.pid(), QUIT_GRACE.toMillis());
        VmmProcesses.forceKill(p, "QEMU");
    }

    @Override
    public Optional<MachineProcess> adopt(MachineProcess recorded) {
        if (!NAME.equals(recorded.driver())) {
            return Optional.empty();
        }
        Optional<MachineProcess> adopted = VmmProcesses.adopt(recorded, QemuCommandLine.qmpOption(recorded.controlSocket()));
        adopted.ifPresent(consoleCap::watch);
        return adopted;
    }

    private static boolean namesSocket(ProcEntry e, Path socket) {
        return e.cmdline().contains(QemuCommandLine.qmpOption(socket));
    }

    /** The QEMU binary; a bad request naming the config key and the package when it is missing. */
    private Path binary() {
        return HostPrograms.locate(qemuBin).orElseThrow(() -> BangerException.badRequest("the QEMU binary `" + qemuBin
                + "` (config key qemu_bin) is not installed or not executable: install the Debian package qemu-system-x86"
                + " or set qemu_bin to the path of qemu-system-x86_64"));
    }

    private static void requireFile(String what, Path file) {
        if (file == null || !Files.isRegularFile(file)) {
            throw BangerException.badRequest("the " + what + " " + file + " does not exist or is not a file");
        }
    }

    /** A start that failed because of KVM itself; the driver then records it and retries with TCG. */
    private static final class KvmUnusable extends BangerException {
        KvmUnusable(String message) {
            super(ErrorCode.OPERATION_FAILED, message);
        }
    }
}
