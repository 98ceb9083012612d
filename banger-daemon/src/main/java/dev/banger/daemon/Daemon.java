package dev.banger.daemon;

import dev.banger.core.BuildInfo;
import dev.banger.core.Layout;
import dev.banger.core.api.ImageApi;
import dev.banger.core.api.KernelApi;
import dev.banger.core.api.NameParams;
import dev.banger.core.api.SnapshotApi;
import dev.banger.core.api.SystemApi;
import dev.banger.core.api.SystemApi.DoctorReport;
import dev.banger.core.api.SystemApi.OperationList;
import dev.banger.core.api.SystemApi.Stopping;
import dev.banger.core.api.VmApi;
import dev.banger.core.api.VmStatsApi;
import dev.banger.core.api.WorkspaceApi;
import dev.banger.core.config.Config;
import dev.banger.core.model.PingResult;
import dev.banger.core.model.VersionInfo;
import dev.banger.core.rpc.Protocol;
import dev.banger.daemon.doctor.Doctor;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.fs.StateDirs;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.rpc.InvalidParamsException;
import dev.banger.daemon.rpc.MethodTable;
import dev.banger.daemon.rpc.PeerPolicy;
import dev.banger.daemon.rpc.RpcServer;
import dev.banger.daemon.rpc.Wire;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.vm.VMService;
import dev.banger.daemon.workspace.WorkspaceService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * bangerd's composition root. {@link #open} fills the infrastructure (layout, logger, command
 * runner, store), then {@link #wireServices} builds the services from it. Tests build a Daemon
 * by hand, pre-install fakes on the fields they care about, and call wireServices themselves.
 */
public final class Daemon implements AutoCloseable {

    private static final Duration IDLE_TIMEOUT = Duration.ofMinutes(5);
    private static final int MAX_CONNECTIONS = 1024;
    private static final int DEFAULT_OPERATIONS_LIMIT = 50;

    // Infrastructure, set before wireServices.
    Config config;
    Layout layout;
    Logger log;
    CommandRunner runner;
    Store store;
    Clock clock;

    // Services, non-null once open() returns.
    HostNetwork net;
    ImageService img;
    WorkspaceService ws;
    VMService vm;
    Operations ops;

    // Serving.
    private RpcServer rpc;
    private FileLock stateLock;
    private final long startedNanos = System.nanoTime();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean closed = new AtomicBoolean();

    Daemon() {
    }

    /** Opens the state under {@code config}; on failure, whatever was opened is closed again. */
    public static Daemon open(Config config) {
        Daemon d = new Daemon();
        d.config = config;
        try {
            d.layout = Layout.of(config);
            d.log = LoggerFactory.getLogger(Daemon.class);
            createDirectories(d.layout);
            d.stateLock = lockStateDir(d.layout);
            d.runner = new CommandRunner();
            d.store = Store.open(d.layout.database());
            wireServices(d);
            d.net.startDns(); // before reconcile: the names it gives adopted VMs back are answered at once
            d.img.removeLeftovers();
            d.vm.reconcile();
            int interrupted = d.store.failInterruptedOperations(d.clock.instant());
            if (interrupted > 0) {
                d.log.warn("{} operation(s) were cut short by the previous daemon's exit", interrupted);
            }
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /**
     * Builds every service from the infrastructure already on {@code d}, keeping any service that
     * is already set (a test's fake) and handing that same instance to the peers built after it.
     * Idempotent: a second call changes nothing.
     */
    static void wireServices(Daemon d) {
        if (d.clock == null) {
            d.clock = Clock.systemUTC();
        }
        if (d.log == null) {
            d.log = LoggerFactory.getLogger(Daemon.class);
        }
        if (d.net == null) {
            d.net = new HostNetwork(d.config, d.runner);
        }
        if (d.img == null) {
            d.img = new ImageService(d.store, d.runner, d.layout, d.config, d.clock);
        }
        if (d.ws == null) {
            d.ws = new WorkspaceService(d.runner, d.clock);
        }
        if (d.vm == null) {
            d.vm = new VMService(d.store, d.layout, d.config, d.net, d.img, d.ws, d.clock,
                    VMService.Parts.forHost(d.config, d.layout, d.store, d.runner, d.net, d.img));
        }
        if (d.ops == null) {
            d.ops = new Operations(d.store, d.clock);
        }
    }

    /** The RPC surface: each method's contract (core.api) to its handler; ping, version, shutdown, doctor and ssh-config are answered here, the rest in one line into a service. */
    MethodTable methods() {
        return new MethodTable()
                .add(SystemApi.PING, (p, ctx) -> ping())
                .add(SystemApi.VERSION, (p, ctx) -> version())
                .add(SystemApi.SHUTDOWN, (p, ctx) -> requestStop(ctx))
                .add(SystemApi.OPERATIONS_LIST, (p, ctx) -> new OperationList(ops.list(limitOr(p.limit(), DEFAULT_OPERATIONS_LIMIT))))
                .add(ImageApi.PULL, (p, ctx) -> img.pull(p, ctx))
                .add(ImageApi.LIST, (p, ctx) -> new ImageApi.ImageList(img.list()))
                .add(ImageApi.SHOW, (p, ctx) -> img.show(required(p)))
                .add(ImageApi.DELETE, (p, ctx) -> {
                    vm.deleteTemplatesOf(required(p)); // a template holds its image
                    return img.delete(required(p));
                })
                .add(ImageApi.BUNDLE_PULL, (p, ctx) -> img.pullBundle(p, ctx))
                .add(ImageApi.BUNDLE_MAKE, (p, ctx) -> img.makeBundle(p, ctx))
                .add(ImageApi.REGISTER, (p, ctx) -> img.register(p, ctx))
                .add(ImageApi.PROMOTE, (p, ctx) -> img.promote(required(p), ctx))
                .add(ImageApi.CACHE_PRUNE, (p, ctx) -> img.pruneCache(p))
                .add(KernelApi.IMPORT, (p, ctx) -> img.importKernel(p, ctx))
                .add(KernelApi.LIST, (p, ctx) -> new KernelApi.KernelList(img.listKernels()))
                .add(KernelApi.SHOW, (p, ctx) -> img.showKernel(required(p)))
                .add(KernelApi.DELETE, (p, ctx) -> img.deleteKernel(required(p)))
                .add(KernelApi.CATALOG_LIST, (p, ctx) -> img.kernelCatalog())
                .add(KernelApi.PULL, (p, ctx) -> img.pullKernel(required(p), ctx))
                .add(VmApi.CREATE, (p, ctx) -> vm.create(p, ctx))
                .add(VmApi.START, (p, ctx) -> vm.start(required(p), ctx))
                .add(VmApi.STOP, (p, ctx) -> vm.stop(required(p), ctx))
                .add(VmApi.RESTART, (p, ctx) -> vm.restart(required(p), ctx))
                .add(VmApi.KILL, (p, ctx) -> vm.kill(required(p), ctx))
                .add(VmApi.PAUSE, (p, ctx) -> vm.pause(required(p), ctx))
                .add(VmApi.RESUME, (p, ctx) -> vm.resume(required(p), ctx))
                .add(SnapshotApi.CREATE, (p, ctx) -> vm.snapshot(p, ctx))
                .add(SnapshotApi.LIST, (p, ctx) -> new SnapshotApi.SnapshotList(vm.snapshots(p.name(), Boolean.TRUE.equals(p.templates()))))
                .add(SnapshotApi.DELETE, (p, ctx) -> vm.deleteSnapshot(required(p)))
                .add(SnapshotApi.RESTORE, (p, ctx) -> vm.restore(p, ctx))
                .add(VmApi.DELETE, (p, ctx) -> vm.delete(p, ctx))
                .add(VmApi.LIST, (p, ctx) -> new VmApi.VmList(Boolean.TRUE.equals(p.templates()) ? vm.listWithTemplates() : vm.list()))
                .add(VmApi.SHOW, (p, ctx) -> vm.show(required(p)))
                .add(VmApi.LOGS, (p, ctx) -> vm.logs(p))
                .add(VmApi.SET, (p, ctx) -> vm.set(p))
                .add(VmApi.PRUNE, (p, ctx) -> new VmApi.Pruned(vm.prune(ctx)))
                .add(VmApi.SSH, (p, ctx) -> vm.sshInfo(required(p)))
                .add(WorkspaceApi.PREPARE, (p, ctx) -> vm.prepareWorkspace(p, ctx))
                .add(WorkspaceApi.MANIFEST, (p, ctx) -> vm.workspaceManifest(required(p), ctx))
                .add(WorkspaceApi.EXPORT, (p, ctx) -> vm.exportWorkspace(p, ctx))
                .add(SystemApi.DOCTOR, (p, ctx) -> doctor())
                .add(VmApi.PORTS_LIST, (p, ctx) -> vm.ports(required(p), ctx))
                .add(VmStatsApi.STATS, (p, ctx) -> vm.stats(p))
                .add(VmApi.FORWARD_ADD, (p, ctx) -> vm.forwardAdd(p))
                .add(VmApi.FORWARD_REMOVE, (p, ctx) -> vm.forwardRemove(p))
                .add(VmApi.FORWARD_LIST, (p, ctx) -> vm.forwardList(required(p)))
                .add(SystemApi.SSH_CONFIG, (p, ctx) -> vm.sshConfig());
    }

    /** The name a method that acts on one named thing cannot do without. */
    private static String required(NameParams p) {
        if (p.name() == null || p.name().isBlank()) {
            throw new InvalidParamsException("param 'name' is required");
        }
        return p.name();
    }

    private static int limitOr(Integer limit, int fallback) {
        return limit == null || limit <= 0 ? fallback : Math.min(limit, Store.OPERATIONS_KEPT);
    }

    private PingResult ping() {
        return new PingResult(BuildInfo.current().version(), ProcessHandle.current().pid(),
                Duration.ofNanos(System.nanoTime() - startedNanos).toMillis());
    }

    private static VersionInfo version() {
        BuildInfo b = BuildInfo.current();
        return new VersionInfo(b.version(), b.commit(), b.built(), Protocol.VERSION);
    }

    /** The host checks as this daemon's user (root on a system install); read-only, so untracked. */
    private DoctorReport doctor() {
        return Doctor.forHost(config, runner, Path.of("/"), net == null ? Optional.empty() : net.dns()).report();
    }

    private Stopping requestStop(OperationContext ctx) {
        ctx.afterResponse(() -> Thread.ofPlatform().name("shutdown").start(this::close));
        return new Stopping(true);
    }

    /** Starts answering on the socket and records the pid. */
    public void serve() throws IOException {
        rpc = new RpcServer(layout.socketPath(), methods(), ops, PeerPolicy.forThisProcess(), Wire.mapper(), IDLE_TIMEOUT, MAX_CONNECTIONS,
                RpcServer.STREAM_WAIT);
        rpc.start();
        Files.writeString(layout.pidFile(), ProcessHandle.current().pid() + "\n");
        log.info("bangerd {} ready (state {}, protocol {})", BuildInfo.current().version(), layout.stateDir(), Protocol.VERSION);
    }

    public Path socketPath() {
        return layout.socketPath();
    }

    /** Blocks until the daemon was closed (shutdown RPC, signal, or close()). */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Tears down in reverse order of construction; safe on a partly opened daemon and when repeated. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (rpc != null) {
            rpc.close();
        }
        if (ops != null) {
            ops.cancelAll();
        }
        if (vm != null) {
            vm.close(); // a template build in progress undoes itself while the network and store are still up
        }
        if (net != null) {
            net.close();
        }
        if (store != null) {
            store.close();
        }
        if (stateLock != null) {
            try {
                stateLock.channel().close();
            } catch (IOException e) {
                log.warn("cannot release the state dir lock: {}", e.getMessage());
            }
        }
        if (layout != null && rpc != null) {
            deletePidFile();
        }
        if (rpc != null) {
            log.info("bangerd stopped");
        }
        stopped.countDown();
    }

    private void deletePidFile() {
        try {
            Path pid = layout.pidFile();
            if (Files.exists(pid) && Files.readString(pid).trim().equals(Long.toString(ProcessHandle.current().pid()))) {
                Files.delete(pid);
            }
        } catch (IOException e) {
            log.warn("cannot remove pid file: {}", e.getMessage());
        }
    }

    /** One daemon per state dir: a second one would wipe the first one's pulls in progress. */
    private static FileLock lockStateDir(Layout layout) {
        Path file = layout.stateDir().resolve("bangerd.lock");
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), FileModes.privateFile());
            FileLock lock = ch.tryLock();
            if (lock != null) {
                return lock;
            }
        } catch (OverlappingFileLockException e) {
            // Held by another daemon in this very JVM (tests): the same answer.
        } catch (IOException e) {
            closeQuietly(ch);
            throw new UncheckedIOException("cannot lock " + file + ": " + e.getMessage(), e);
        }
        closeQuietly(ch);
        String why = "another bangerd is using state_dir " + layout.stateDir() + " (" + file
                + " is locked); stop it first, or give this one its own state_dir";
        throw new UncheckedIOException(why, new IOException(why));
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // Nothing was locked through it.
            }
        }
    }

    private static void createDirectories(Layout layout) {
        try {
            StateDirs.prepare(layout);
            // Group members must reach the socket inside it. A directory that already exists (say
            // /run) keeps its mode: loosening or tightening someone else's directory is not ours to do.
            if (!Files.isDirectory(layout.runtimeDir())) {
                Files.createDirectories(layout.runtimeDir());
                Files.setPosixFilePermissions(layout.runtimeDir(), PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Files.createDirectories(layout.socketPath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create banger's directories: " + e.getMessage(), e);
        }
    }
}
