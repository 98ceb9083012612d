package dev.banger.daemon.vm.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.daemon.fs.SparseFiles;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * QEMU's migration stream to and from a file, through Unix sockets, because a confined QEMU has no
 * shell for {@code exec:} and cannot open host paths from its chroot. Saving: bangerd listens on a
 * socket inside QEMU's root (its chroot, or the run dir when it has none) and QMP {@code migrate}s
 * to it, the guest running on while its RAM is copied; QEMU stops the vCPUs for the last pass and
 * stays stopped ({@code postmigrate}). Zero pages travel as one flag byte, and the file is written
 * with holes where whole blocks are zero. Loading: QEMU was started with {@code -incoming
 * unix:<run>/incoming.sock}, bound before it chroots; bangerd streams the file into it.
 */
final class StateStreams {

    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration POLL = Duration.ofMillis(20);
    /** A local copy: no throttle (QEMU's default is 128 MiB/s, made for networks). */
    private static final long BANDWIDTH = 8L << 30;
    /** A guest dirtying memory faster than it is copied never converges: past this, its vCPUs are stopped to finish. */
    private static final Duration CONVERGE = Duration.ofSeconds(10);

    private StateStreams() {
    }

    static StateSave save(MachineProcess p, Path stateFile, Duration timeout) throws IOException {
        Path root = Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "root"));
        boolean chrooted = !root.equals(Path.of("/"));
        String name = "save.sock";
        Path listen = (chrooted ? root : p.controlSocket().getParent()).resolve(name);
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        Files.deleteIfExists(listen); // a killed daemon's
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             QmpClient qmp = QmpClient.connect(p.controlSocket(), QMP_TIMEOUT)) {
            server.bind(UnixDomainSocketAddress.of(listen));
            // QEMU runs as the VMM user by now; nobody else reaches this directory (the VM dir is private).
            Files.setPosixFilePermissions(listen, PosixFilePermissions.fromString("rw-rw-rw-"));
            qmp.execute("migrate-set-parameters", QmpClient.arguments().put("max-bandwidth", BANDWIDTH), QMP_TIMEOUT);
            qmp.execute("migrate", QmpClient.arguments().put("uri", "unix:" + (chrooted ? "/" + name : listen.toString())),
                    QMP_TIMEOUT);
            server.configureBlocking(false);
            SocketChannel accepted;
            while ((accepted = server.accept()) == null) {
                JsonNode m = qmp.execute("query-migrate", QMP_TIMEOUT);
                if (failed(m)) {
                    throw new IOException("QEMU's migration failed: " + m.path("error-desc").asText("no reason given"));
                }
                pause(deadline);
            }
            try (SocketChannel connection = accepted) {
                connection.configureBlocking(true);
                CompletableFuture<Long> copy = new CompletableFuture<>();
                Thread.ofVirtual().name("state-save").start(() -> {
                    try {
                        copy.complete(SparseFiles.write(Channels.newInputStream(connection), stateFile));
                    } catch (IOException | RuntimeException e) {
                        copy.completeExceptionally(e);
                    }
                });
                return follow(qmp, connection, copy, start, deadline);
            }
        } finally {
            Files.deleteIfExists(listen);
        }
    }

    /** Polls QEMU until the stream is complete and written; a write that fails cancels the migration. */
    private static StateSave follow(QmpClient qmp, SocketChannel connection, CompletableFuture<Long> copy, long start, long deadline)
            throws IOException {
        long stoppedAt = 0;
        while (true) {
            JsonNode m = qmp.execute("query-migrate", QMP_TIMEOUT);
            String status = m.path("status").asText();
            if (copy.isCompletedExceptionally()) {
                cancel(qmp, connection);
                written(copy, deadline); // throws the write's own error (a full disk, say)
            }
            if ("completed".equals(status)) {
                long bytes = written(copy, deadline);
                Duration downtime = stoppedAt != 0 ? Duration.ofNanos(System.nanoTime() - stoppedAt)
                        : Duration.ofMillis(m.path("downtime").asLong());
                return new StateSave(bytes, downtime);
            }
            if (failed(m)) {
                throw new IOException("QEMU's migration failed: " + m.path("error-desc").asText("no reason given"));
            }
            if (stoppedAt == 0 && System.nanoTime() - start > CONVERGE.toNanos()) {
                qmp.execute("stop", QMP_TIMEOUT);
                stoppedAt = System.nanoTime();
            }
            if (System.nanoTime() > deadline) {
                cancel(qmp, connection);
                throw new IOException("the state save did not finish in time");
            }
            pause(deadline);
        }
    }

    private static boolean failed(JsonNode m) {
        String status = m.path("status").asText();
        return "failed".equals(status) || "cancelled".equals(status);
    }

    private static void cancel(QmpClient qmp, SocketChannel connection) throws IOException {
        qmp.execute("migrate_cancel", QMP_TIMEOUT);
        connection.close();
    }

    private static long written(CompletableFuture<Long> copy, long deadline) throws IOException {
        try {
            return copy.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException("writing the state file: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the state file was not written in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing the state file");
        }
    }

    /**
     * Streams {@code stateFile} into a QEMU started with {@code -incoming unix:incoming}, then waits
     * until it has loaded it and runs the guest. QEMU exits when the state does not fit its devices.
     */
    static void load(Path stateFile, Path incoming, Path qmpSocket, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel out = SocketChannel.open(StandardProtocolFamily.UNIX);
             FileChannel in = FileChannel.open(stateFile, StandardOpenOption.READ)) {
            out.connect(UnixDomainSocketAddress.of(incoming));
            long size = in.size();
            for (long pos = 0; pos < size; ) {
                pos += in.transferTo(pos, size - pos, out);
            }
            out.shutdownOutput();
        }
        try (QmpClient qmp = QmpClient.connect(qmpSocket, QMP_TIMEOUT)) {
            while (true) {
                String status = qmp.execute("query-status", QMP_TIMEOUT).path("status").asText();
                if ("running".equals(status)) {
                    return;
                }
                if (!"inmigrate".equals(status)) { // saved from a stopped guest: it comes up paused
                    qmp.execute("cont", QMP_TIMEOUT);
                    return;
                }
                pause(deadline);
            }
        } catch (IOException e) {
            throw new IOException("QEMU exited or stopped answering while loading it (" + e.getMessage()
                    + "): a state from another QEMU version or another VM size does not load", e);
        }
    }

    private static void pause(long deadline) throws IOException {
        if (System.nanoTime() > deadline) {
            throw new IOException("timed out");
        }
        try {
            Thread.sleep(POLL);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }
}
