package dev.banger.daemon;

import dev.banger.core.BuildInfo;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.PingResult;
import dev.banger.core.model.VersionInfo;
import dev.banger.core.rpc.Methods;
import dev.banger.core.rpc.Protocol;
import dev.banger.daemon.doctor.Doctor;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.fs.StateDirs;
import dev.banger.daemon.image.ImageRpc;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.rpc.MethodTable;
import dev.banger.daemon.rpc.Params;
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
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
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

    static final Duration IDLE_TIMEOUT = Duration.ofMinutes(5);
    static final int MAX_CONNECTIONS = 1024;
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
    Duration idleTimeout = IDLE_TIMEOUT;
    PeerPolicy peerPolicy;
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
            d.vm = new VMService(d.store, d.runner, d.layout, d.config, d.net, d.img, d.ws, d.clock);
        }
        if (d.ops == null) {
            d.ops = new Operations(d.store, d.clock);
        }
    }

    /** The RPC surface. Each handler is one line into a service. */
    MethodTable methods() {
        return new MethodTable()
                .add(Methods.PING, false, (p, ctx) -> ping(p))
                .add(Methods.VERSION, false, (p, ctx) -> version(p))
                .add(Methods.SHUTDOWN, true, (p, ctx) -> requestStop(p, ctx))
                .add(Methods.OPERATIONS_LIST, false,
                        (p, ctx) -> Map.of("operations", ops.list(p.as(OperationsListParams.class).limitOr(DEFAULT_OPERATIONS_LIMIT))))
                .add(Methods.IMAGE_PULL, true, (p, ctx) -> img.pull(p.as(ImageRpc.PullParams.class), ctx))
                .add(Methods.IMAGE_LIST, false, (p, ctx) -> Map.of("images", img.list()))
                .add(Methods.IMAGE_SHOW, false, (p, ctx) -> img.show(p.as(NameParams.class).required()))
                .add(Methods.IMAGE_DELETE, true, (p, ctx) -> img.delete(p.as(NameParams.class).required()))
                .add(Methods.IMAGE_BUNDLE_PULL, true, (p, ctx) -> img.pullBundle(p.as(ImageRpc.BundlePullParams.class), ctx))
                .add(Methods.IMAGE_BUNDLE_MAKE, true, (p, ctx) -> img.makeBundle(p.as(ImageRpc.BundleMakeParams.class), ctx))
                .add(Methods.IMAGE_REGISTER, true, (p, ctx) -> img.register(p.as(ImageRpc.RegisterParams.class), ctx))
                .add(Methods.IMAGE_PROMOTE, true, (p, ctx) -> img.promote(p.as(NameParams.class).required(), ctx))
                .add(Methods.IMAGE_CACHE_PRUNE, true, (p, ctx) -> img.pruneCache(p.as(ImageRpc.CachePruneParams.class)))
                .add(Methods.KERNEL_IMPORT, true, (p, ctx) -> img.importKernel(p.as(ImageRpc.KernelImportParams.class), ctx))
                .add(Methods.KERNEL_LIST, false, (p, ctx) -> Map.of("kernels", img.listKernels()))
                .add(Methods.KERNEL_SHOW, false, (p, ctx) -> img.showKernel(p.as(NameParams.class).required()))
                .add(Methods.KERNEL_DELETE, true, (p, ctx) -> img.deleteKernel(p.as(NameParams.class).required()))
                .add(Methods.KERNEL_CATALOG, false, (p, ctx) -> img.kernelCatalog())
                .add(Methods.KERNEL_PULL, true, (p, ctx) -> img.pullKernel(p.as(NameParams.class).required(), ctx))
                .add(Methods.VM_CREATE, true, (p, ctx) -> vm.create(p.as(VMService.CreateParams.class), ctx))
                .add(Methods.VM_START, true, (p, ctx) -> vm.start(p.as(NameParams.class).required(), ctx))
                .add(Methods.VM_STOP, true, (p, ctx) -> vm.stop(p.as(NameParams.class).required(), ctx))
                .add(Methods.VM_RESTART, true, (p, ctx) -> vm.restart(p.as(NameParams.class).required(), ctx))
                .add(Methods.VM_KILL, true, (p, ctx) -> vm.kill(p.as(NameParams.class).required(), ctx))
                .add(Methods.VM_PAUSE, true, (p, ctx) -> vm.pause(p.as(NameParams.class).required(), ctx))
                .add(Methods.VM_RESUME, true, (p, ctx) -> vm.resume(p.as(NameParams.class).required(), ctx))
                .add(Methods.VM_SNAPSHOT_CREATE, true, (p, ctx) -> vm.snapshot(p.as(VMService.SnapshotParams.class), ctx))
                .add(Methods.VM_SNAPSHOT_LIST, false, (p, ctx) -> Map.of("snapshots", vm.snapshots(p.as(NameParams.class).name())))
                .add(Methods.VM_SNAPSHOT_DELETE, true, (p, ctx) -> vm.deleteSnapshot(p.as(NameParams.class).required()))
                .add(Methods.VM_RESTORE, true, (p, ctx) -> vm.restore(p.as(VMService.SnapshotParams.class), ctx))
                .add(Methods.VM_DELETE, true, (p, ctx) -> vm.delete(p.as(NameParams.class).required(), ctx))
                .add(Methods.VM_LIST, false, (p, ctx) -> Map.of("vms", vm.list()))
                .add(Methods.VM_SHOW, false, (p, ctx) -> vm.show(p.as(NameParams.class).required()))
                .add(Methods.VM_LOGS, false, (p, ctx) -> vm.logs(p.as(VMService.LogsParams.class)))
                .add(Methods.VM_SET, true, (p, ctx) -> vm.set(p.as(VMService.SetParams.class)))
                .add(Methods.VM_PRUNE, true, (p, ctx) -> Map.of("deleted", vm.prune(ctx)))
                .add(Methods.VM_SSH, false, (p, ctx) -> vm.sshInfo(p.as(NameParams.class).required()))
                .add(Methods.VM_WORKSPACE_PREPARE, true, (p, ctx) -> vm.prepareWorkspace(p.as(WorkspaceService.PrepareParams.class), ctx))
                .add(Methods.VM_WORKSPACE_MANIFEST, true, (p, ctx) -> vm.workspaceManifest(p.as(NameParams.class).required(), ctx))
                .add(Methods.VM_WORKSPACE_EXPORT, true, (p, ctx) -> vm.exportWorkspace(p.as(WorkspaceService.ExportParams.class), ctx))
                .add(Methods.DOCTOR, false, (p, ctx) -> doctor(p))
                .add(Methods.VM_PORTS, true, (p, ctx) -> vm.ports(p.as(NameParams.class).required(), ctx))
                .add(Methods.SSH_CONFIG, false, (p, ctx) -> sshConfig(p));
    }

    /** Params of the methods that act on one named thing. */
    record NameParams(String name) {
        String required() {
            if (name == null || name.isBlank()) {
                throw new dev.banger.daemon.rpc.InvalidParamsException("param 'name' is required");
            }
            return name;
        }
    }

    record OperationsListParams(Integer limit) {
        int limitOr(int fallback) {
            return limit == null || limit <= 0 ? fallback : Math.min(limit, dev.banger.daemon.store.Store.OPERATIONS_KEPT);
        }
    }

    private PingResult ping(Params p) {
        p.expectNone();
        return new PingResult(BuildInfo.current().version(), ProcessHandle.current().pid(),
                Duration.ofNanos(System.nanoTime() - startedNanos).toMillis());
    }

    private VMService.SshConfigInfo sshConfig(Params p) {
        p.expectNone();
        return vm.sshConfig();
    }

    private static VersionInfo version(Params p) {
        p.expectNone();
        BuildInfo b = BuildInfo.current();
        return new VersionInfo(b.version(), b.commit(), b.built(), Protocol.VERSION);
    }

    /** The host checks as this daemon's user (root on a system install); read-only, so untracked. */
    private Doctor.Report doctor(Params p) {
        p.expectNone();
        return Doctor.forHost(config, runner, Path.of("/"), net == null ? Optional.empty() : net.dns()).report();
    }

    private Map<String, Object> requestStop(Params p, OperationContext ctx) {
        p.expectNone();
        ctx.afterResponse(() -> Thread.ofPlatform().name("shutdown").start(this::close));
        return Map.of("stopping", true);
    }

    /** Starts answering on the socket and records the pid. */
    public void serve() throws IOException {
        rpc = new RpcServer(layout.socketPath(), methods(), ops,
                peerPolicy != null ? peerPolicy : PeerPolicy.forThisProcess(), Wire.mapper(), idleTimeout, MAX_CONNECTIONS, RpcServer.STREAM_WAIT);
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
