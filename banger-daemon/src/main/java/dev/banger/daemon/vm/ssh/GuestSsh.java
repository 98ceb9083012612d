package dev.banger.daemon.vm.ssh;

import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import com.jcraft.jsch.SocketFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * SSH into guests as root with banger's key: wait for a booting guest's sshd, run a command.
 * Host keys follow OpenSSH's {@code accept-new}: the first key a guest shows is pinned in banger's
 * known_hosts, a different one later is refused.
 */
public final class GuestSsh {

    private static final String USER = "root";
    private static final Duration POLL_INTERVAL = Duration.ofMillis(100);
    /** Short, so a guest whose sshd just started listening is noticed on the next poll. */
    private static final Duration DIAL_TIMEOUT = Duration.ofSeconds(1);
    /** The key exchange runs in the guest, which under TCG is many times slower than native. */
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(15);
    private static final String NO_ATTEMPT = "none was made";
    private static final Duration EXEC_POLL = Duration.ofMillis(20);

    private final JSch jsch = new JSch();
    private final KnownHostsFile knownHosts;

    public GuestSsh(SshKeys keys) {
        try {
            jsch.addIdentity(keys.privateKey().toString());
        } catch (JSchException e) {
            throw new GuestSshException("cannot load banger's SSH key " + keys.privateKey() + ": " + e.getMessage(), e);
        }
        this.knownHosts = new KnownHostsFile(keys.knownHosts());
    }

    /**
     * Polls until an SSH session to host:port completes handshake and public-key auth as root.
     * Between attempts it asks {@code abort}; a reason ends the wait at once with that reason.
     * Throws {@link SshNotReadyException} on timeout or abort, {@link GuestSshException} when the
     * host key changed (waiting longer would not help).
     */
    public void awaitReady(String host, int port, List<String> aliases, Duration timeout, Supplier<Optional<String>> abort) {
        poll("SSH on " + USER + "@" + host + ":" + port + " was not ready", host, port, timeout, abort, left -> {
            Attempt attempt = new Attempt(host, port, aliases, min(DIAL_TIMEOUT, left), min(HANDSHAKE_TIMEOUT, left));
            try {
                attempt.connect().disconnect();
                return Outcome.READY;
            } catch (JSchException e) {
                return new Outcome(false, attempt.describe(e), attempt.cutShort(e));
            }
        });
    }

    /**
     * Polls until host:port accepts TCP and sends an {@code SSH-2.0-} banner: enough for a clone, whose
     * host key bangerd pinned from its identity answer and whose authorized keys are the template's.
     * Aborts and times out as {@link #awaitReady} does.
     */
    public void awaitBanner(String host, int port, Duration timeout, Supplier<Optional<String>> abort) {
        poll("SSH on " + host + ":" + port + " sent no SSH-2.0 banner", host, port, timeout, abort, left -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), millis(min(DIAL_TIMEOUT, left)));
                socket.setSoTimeout(millis(min(HANDSHAKE_TIMEOUT, left)));
                String banner = firstLine(socket.getInputStream());
                return banner.startsWith("SSH-2.0-") ? Outcome.READY
                        : new Outcome(false, "no SSH-2.0 banner: the server sent \"" + banner + "\"", false);
            } catch (ConnectException e) {
                return new Outcome(false, "connection refused", false);
            } catch (SocketTimeoutException e) {
                return new Outcome(false, "timed out", left.compareTo(HANDSHAKE_TIMEOUT) < 0);
            } catch (IOException e) {
                return new Outcome(false, "cannot connect: " + e.getMessage(), false);
            }
        });
    }

    /** One try of a readiness probe: ready, or what it saw and whether the deadline cut it short. */
    private record Outcome(boolean ready, String seen, boolean cutShort) {
        static final Outcome READY = new Outcome(true, null, false);
    }

    /**
     * Tries {@code attempt} (given the time left) every {@link #POLL_INTERVAL} until it is ready;
     * throws {@link SshNotReadyException} when {@code abort} gives a reason or the time is up, the
     * message {@code failure} and what the last try saw.
     */
    private void poll(String failure, String host, int port, Duration timeout, Supplier<Optional<String>> abort,
                      Function<Duration, Outcome> attempt) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastAttempt = NO_ATTEMPT;
        while (true) {
            Optional<String> reason = abort.get();
            if (reason.isPresent()) {
                throw new SshNotReadyException(reason.get());
            }
            Duration left = Duration.ofNanos(deadline - System.nanoTime());
            if (left.isNegative() || left.isZero()) {
                throw new SshNotReadyException(failure + " within " + timeout.toMillis() + " ms; the last attempt: " + lastAttempt);
            }
            Outcome o = attempt.apply(left);
            if (o.ready()) {
                return;
            }
            // An attempt the deadline cut short says less than the full one before it did.
            if (!o.cutShort() || lastAttempt.equals(NO_ATTEMPT)) {
                lastAttempt = o.seen();
            }
            sleep(min(POLL_INTERVAL, Duration.ofNanos(deadline - System.nanoTime())), "waiting for SSH on " + host + ":" + port);
        }
    }

    /** The first line a server sends (at most 255 bytes, as RFC 4253 bounds the banner), without its line end. */
    private static String firstLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != -1 && b != '\n' && line.size() < 255; b = in.read()) {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    /**
     * Runs one command as root and returns its exit status and output. {@code connectTimeout}
     * bounds the dial and the handshake, {@code timeout} the whole call.
     */
    public ExecResult exec(String host, int port, String command, Duration connectTimeout, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String where = "`" + command + "` on " + USER + "@" + host + ":" + port;
        Attempt attempt = new Attempt(host, port, List.of(), min(connectTimeout, timeout), min(connectTimeout, timeout));
        Session session;
        try {
            session = attempt.connect();
        } catch (JSchException e) {
            throw new GuestSshException("cannot run " + where + ": " + attempt.describe(e), e);
        }
        try {
            ChannelExec channel = (ChannelExec) session.openChannel("exec");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            channel.setCommand(command);
            channel.setOutputStream(out);
            channel.setErrStream(err);
            channel.connect(millis(Duration.ofNanos(deadline - System.nanoTime())));
            while (!channel.isClosed()) {
                if (System.nanoTime() - deadline > 0) {
                    throw new GuestSshException(where + " did not finish within " + timeout.toMillis() + " ms");
                }
                sleep(EXEC_POLL, "running " + where);
            }
            return new ExecResult(channel.getExitStatus(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } catch (JSchException e) {
            throw new GuestSshException("cannot run " + where + ": " + e.getMessage(), e);
        } finally {
            session.disconnect();
        }
    }

    /**
     * Makes {@code type base64Key} the only known host key of host:port and its aliases: a key
     * learnt outside SSH (a clone's, over its identity port), so the first connection is checked too.
     */
    public void pin(String host, int port, List<String> aliases, String type, String base64Key) {
        List<String> names = new ArrayList<>();
        names.add(KnownHostsFile.name(host, port));
        aliases.forEach(a -> names.add(KnownHostsFile.name(a, port)));
        knownHosts.pin(names, type, base64Key);
    }

    /** Removes every known_hosts entry for these names or addresses, bare or as {@code [host]:port}. */
    public void forget(Collection<String> hosts) {
        knownHosts.forget(hosts);
    }

    /** One connection attempt, which remembers how far it got to say what went wrong. */
    private final class Attempt {
        private final String host;
        private final int port;
        private final Duration dialTimeout;
        private final Duration handshakeTimeout;
        private final PinningHostKeys hostKeys;
        private volatile boolean dialled;

        Attempt(String host, int port, List<String> aliases, Duration dialTimeout, Duration handshakeTimeout) {
            this.host = host;
            this.port = port;
            this.dialTimeout = dialTimeout;
            this.handshakeTimeout = handshakeTimeout;
            List<String> names = new ArrayList<>();
            names.add(KnownHostsFile.name(host, port));
            aliases.forEach(a -> names.add(KnownHostsFile.name(a, port)));
            this.hostKeys = new PinningHostKeys(knownHosts, names);
        }

        /**
         * Connects and authenticates. Throws JSchException for what a later attempt may get past,
         * GuestSshException for a changed host key, which no retry fixes.
         */
        Session connect() throws JSchException {
            Session session = jsch.getSession(USER, host, port);
            session.setHostKeyRepository(hostKeys);
            session.setConfig("StrictHostKeyChecking", "yes");
            session.setConfig("PreferredAuthentications", "publickey");
            session.setSocketFactory(new DialFactory(dialTimeout));
            try {
                session.connect(millis(handshakeTimeout));
            } catch (JSchException e) {
                if (hostKeys.changed() != null) {
                    throw new GuestSshException("host key for " + KnownHostsFile.name(host, port) + " changed: it now offers the "
                            + hostKeys.changed() + ", which " + knownHosts.path() + " does not pin; if the guest was"
                            + " re-created, remove its old entry (deleting a VM does that)", e);
                }
                throw e;
            }
            return session;
        }

        /** Whether it timed out only because it was given less than the usual time. */
        boolean cutShort(JSchException e) {
            Duration given = dialled ? handshakeTimeout : dialTimeout;
            Duration usual = dialled ? HANDSHAKE_TIMEOUT : DIAL_TIMEOUT;
            return e.getCause() instanceof SocketTimeoutException && given.compareTo(usual) < 0;
        }

        /** What went wrong, in the words awaitReady's message promises. */
        String describe(JSchException e) {
            Throwable cause = e.getCause();
            String message = String.valueOf(e.getMessage());
            if (cause instanceof ConnectException) {
                return "connection refused";
            }
            if (!dialled) {
                return cause instanceof SocketTimeoutException ? "connection timed out"
                        : "cannot connect: " + (cause != null ? cause.getMessage() : message);
            }
            if (message.startsWith("Auth fail") || message.startsWith("Auth cancel")) {
                return "auth failed: the guest refused banger's key for " + USER + " (" + message + ")";
            }
            return "handshake failed: " + (cause instanceof SocketTimeoutException ? "timed out" : message);
        }

        /** Opens the TCP connection with a short timeout of its own; JSch's timeout then bounds only the handshake. */
        private final class DialFactory implements SocketFactory {
            private final Duration timeout;

            DialFactory(Duration timeout) {
                this.timeout = timeout;
            }

            @Override
            public Socket createSocket(String host, int port) throws IOException {
                Socket socket = new Socket();
                try {
                    socket.connect(new InetSocketAddress(host, port), millis(timeout));
                } catch (IOException e) {
                    socket.close();
                    throw e;
                }
                dialled = true;
                return socket;
            }

            @Override
            public InputStream getInputStream(Socket socket) throws IOException {
                return socket.getInputStream();
            }

            @Override
            public OutputStream getOutputStream(Socket socket) throws IOException {
                return socket.getOutputStream();
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** At least 1 ms: to JSch and sockets, 0 means no timeout at all. */
    private static int millis(Duration d) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
    }

    /** An interrupt is how a cancelled operation stops its thread: end the call, keep the flag set. */
    private static void sleep(Duration d, String doing) {
        try {
            Thread.sleep(Math.max(0, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestSshException("cancelled while " + doing);
        }
    }
}
