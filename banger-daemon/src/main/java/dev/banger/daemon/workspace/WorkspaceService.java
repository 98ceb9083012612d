package dev.banger.daemon.workspace;

import dev.banger.core.GuestSshKex;
import dev.banger.core.api.WorkspaceApi.ExportInfo;
import dev.banger.core.api.WorkspaceApi.ExportParams;
import dev.banger.core.api.WorkspaceApi.ManifestInfo;
import dev.banger.core.api.WorkspaceApi.PrepareParams;
import dev.banger.core.api.WorkspaceApi.ShipRecord;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.ops.OperationContext;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships a host repository into a guest's work tree and exports the guest's changes back.
 *
 * <p>bangerd never reads the user's repository: the CLI, running as the user, builds the tar
 * (files, and a shallow {@code .git} whose HEAD is the host's) and uploads it on a byte stream;
 * this service pipes that stream into one guest-side script ({@link GuestScripts}) over the system
 * ssh and
 * keeps a {@link ShipRecord} per VM. Workspace calls on one VM run one at a time.
 */
public final class WorkspaceService {

    private static final Logger LOG = LoggerFactory.getLogger(WorkspaceService.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    /** ssh's own exit status for "could not connect or authenticate". */
    private static final int SSH_FAILED = 255;

    /** A ship of a large tree takes as long as the guest needs; a cancel (client hang-up) ends it sooner. */
    private static final Duration STREAM_TIMEOUT = Duration.ofHours(6);

    private final CommandRunner runner;
    private final Clock clock;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    public WorkspaceService(CommandRunner runner, Clock clock) {
        this.runner = runner;
        this.clock = clock;
    }

    public ShipRecord prepare(Guest guest, PrepareParams p, OperationContext ctx) {
        if (p.token() == null || p.token().isBlank()) {
            throw BangerException.badRequest("param 'token' is required: the tar stream of the work tree");
        }
        boolean full = !"update".equals(p.mode());
        if (!full && ShipRecordFile.read(guest.vmDir()).isEmpty()) {
            throw BangerException.badRequest("VM " + guest.name() + " has no workspace to update: prepare it in full first");
        }
        String path = guestPath(p.guestPath());
        return locked(guest, () -> {
            ctx.progress(full ? "ship" : "ship changes");
            CountingInput in = new CountingInput(ctx.client().streams().upload(p.token()));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CommandResult r = run(guest, GuestScripts.ship(path, full), in, out, ctx);
            if (in.failure != null) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "the tar stream from the CLI was cut short ("
                        + in.failure.getMessage() + "); " + path + " in VM " + guest.name() + " was left as it was");
            }
            String said = out.toString(StandardCharsets.UTF_8).strip();
            if (r.exitCode() != 0 && NoSpaceException.saysNoSpace(r.stderr())) {
                throw NoSpaceException.inGuest(guest.name(), path, "shipping the workspace (" + in.count + " bytes)", guestError(r));
            }
            if (r.exitCode() != 0) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "shipping into " + path + " in VM " + guest.name()
                        + " failed: " + guestError(r));
            }
            ShipRecord rec = new ShipRecord(path, p.head(), p.branch(), p.manifestSha256(), p.files() == null ? 0 : p.files(),
                    in.count, said.startsWith("git "), clock.instant());
            LOG.info("shipped {} bytes into {}:{} ({}); {}", in.count, guest.name(), path, full ? "full" : "update",
                    said.lines().filter(l -> l.startsWith("seconds: ")).findFirst().orElse(""));
            ShipRecordFile.write(rec, guest.vmDir());
            return rec;
        });
    }

    /** The manifest of the last ship, and the guest's own changes since, so the CLI can send only what changed. */
    public ManifestInfo manifest(Guest guest, OperationContext ctx) {
        ShipRecord rec = requireRecord(guest);
        return locked(guest, () -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CommandResult r = run(guest, GuestScripts.manifest(rec.guestPath()), InputStream.nullInputStream(), out, ctx);
            checkPrepared(guest, rec, r);
            String text = out.toString(StandardCharsets.UTF_8);
            int sep = text.indexOf("\n--\n");
            if (r.exitCode() != 0 || sep < 0) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot read the workspace manifest in VM " + guest.name()
                        + ": " + guestError(r));
            }
            List<String> changed = new ArrayList<>(text.substring(sep + 4).lines().toList());
            boolean headMoved = changed.remove("HEAD");
            return new ManifestInfo(rec.guestPath(), text.substring(0, sep + 1), changed, headMoved);
        });
    }

    /** Streams the guest's changes since the last ship, as a binary git patch, into the download {@code p.token()}. */
    public ExportInfo export(Guest guest, ExportParams p, OperationContext ctx) {
        if (p.token() == null || p.token().isBlank()) {
            throw BangerException.badRequest("param 'token' is required: where the patch goes");
        }
        ShipRecord rec = requireRecord(guest);
        if (!rec.git()) {
            throw noGit(guest);
        }
        return locked(guest, () -> {
            ctx.progress("diff in the guest");
            OutputStream sink = ctx.client().streams().download(p.token());
            CountingOutput out = new CountingOutput(sink);
            CommandResult r = run(guest, GuestScripts.export(rec.guestPath()), InputStream.nullInputStream(), out, ctx);
            checkPrepared(guest, rec, r);
            if (r.exitCode() == GuestScripts.NO_GIT) {
                throw noGit(guest);
            }
            if (r.exitCode() != 0) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "export from VM " + guest.name() + " failed: " + guestError(r));
            }
            try {
                sink.close(); // the clean end: the CLI knows the patch is whole
            } catch (IOException e) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot end the patch stream: " + e.getMessage(), e);
            }
            return new ExportInfo(guest.name(), rec.guestPath(), out.count);
        });
    }

    /** The last ship into this VM, if any (read from its dir; no guest contact). */
    public Optional<ShipRecord> record(Path vmDir) {
        return ShipRecordFile.read(vmDir);
    }

    private ShipRecord requireRecord(Guest guest) {
        return ShipRecordFile.read(guest.vmDir()).orElseThrow(() -> BangerException.notFound("VM " + guest.name()
                + " has no workspace: nothing was ever shipped into it (banger vm workspace prepare " + guest.name() + " PATH)"));
    }

    private static void checkPrepared(Guest guest, ShipRecord rec, CommandResult r) {
        if (r.exitCode() == GuestScripts.NOT_PREPARED) {
            throw BangerException.notFound("VM " + guest.name() + " has no workspace at " + rec.guestPath()
                    + " any more (removed in the guest?): prepare it again");
        }
    }

    private static BangerException noGit(Guest guest) {
        return BangerException.badRequest("export needs git in the guest, and VM " + guest.name() + "'s image has none (its"
                + " files were shipped without history); use an image with git, such as the built-in debian-bookworm");
    }

    private static String guestPath(String requested) {
        try {
            return GuestScripts.checkedPath(requested == null || requested.isBlank() ? "/root/repo" : requested);
        } catch (IllegalArgumentException e) {
            throw BangerException.badRequest(e.getMessage());
        }
    }

    /**
     * One script in the guest through the system OpenSSH client (as root, banger's key, the pinned
     * known_hosts, no user config). Not JSch: dropbear and JSch share only AES-CTR with HMAC-SHA2,
     * which a TCG guest decrypts at a quarter of the speed of the chacha20-poly1305 OpenSSH picks
     * (measured: bench/workspace.sh, docs/workspaces.md).
     */
    private CommandResult run(Guest guest, String script, InputStream in, OutputStream out, OperationContext ctx) {
        List<String> argv = List.of("ssh", "-F", "/dev/null", "-i", guest.identity().toString(), "-o", "IdentitiesOnly=yes",
                "-o", "UserKnownHostsFile=" + guest.knownHosts(), "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=yes", "-o", "KexAlgorithms=" + GuestSshKex.ALGORITHMS, "-o", "BatchMode=yes",
                "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=" + CONNECT_TIMEOUT.toSeconds(), "-o", "ServerAliveInterval=30",
                "-p", Integer.toString(guest.port()), "-l", "root", guest.ip(), "--", script);
        try {
            CommandResult r = runner.stream(new Command(argv, STREAM_TIMEOUT, null, Map.of(), null), in, out);
            if (r.exitCode() == SSH_FAILED) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot reach VM " + guest.name() + " over SSH: "
                        + r.stderr().strip());
            }
            return r;
        } catch (CommandFailedException e) {
            ctx.checkCancelled();
            throw new BangerException(ErrorCode.OPERATION_FAILED, "SSH to VM " + guest.name() + " failed: " + e.getMessage(), e);
        }
    }

    private static String guestError(CommandResult r) {
        String err = r.stderr().strip();
        return err.isEmpty() ? "exit status " + r.exitCode() : err;
    }

    private <T> T locked(Guest guest, Supplier<T> body) {
        ReentrantLock lock = locks.computeIfAbsent(guest.vmDir().toString(), k -> new ReentrantLock());
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    /** Counts the bytes of the upload and keeps what cut it short (the feeder only closes ssh's stdin then). */
    private static final class CountingInput extends FilterInputStream {
        volatile long count;
        volatile IOException failure;

        CountingInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                int n = super.read(b, off, len);
                if (n > 0) {
                    count += n;
                }
                return n;
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }
    }

    private static final class CountingOutput extends OutputStream {
        private final OutputStream out;
        volatile long count;

        CountingOutput(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }
    }
}
