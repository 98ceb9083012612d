package dev.banger.daemon.vm.ssh;

import dev.banger.daemon.exec.BackgroundProcess;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A real SSH server for tests: dropbear in the foreground on loopback, with its own host key.
 * Dropbear 2022.83 reads authorized_keys only from the user's home in /etc/passwd, so it runs in a
 * private mount namespace where a temporary directory is bind-mounted over /root: the real
 * /root stays untouched and nobody else sees the mount.
 */
final class Dropbear implements AutoCloseable {

    private final CommandRunner runner;
    private final Path dir;
    private final int port;
    private BackgroundProcess process;

    private Dropbear(CommandRunner runner, Path dir, int port) {
        this.runner = runner;
        this.dir = dir;
        this.port = port;
    }

    /** A server (not yet started) that lets in the given public key as root. */
    static Dropbear forKey(CommandRunner runner, Path dir, String authorizedKey) throws IOException {
        Path ssh = Files.createDirectories(dir.resolve("home/.ssh"));
        Files.setPosixFilePermissions(dir.resolve("home"), PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(ssh.resolve("authorized_keys"), authorizedKey + "\n");
        Dropbear d = new Dropbear(runner, dir, freePort());
        d.newHostKey();
        return d;
    }

    int port() {
        return port;
    }

    /** Replaces the host key; takes effect on the next {@link #start}. */
    void newHostKey() throws IOException {
        Files.deleteIfExists(hostKey());
        runner.run("dropbearkey", "-t", "ed25519", "-f", hostKey().toString());
    }

    /** The host key's public half as it appears in known_hosts: {@code ssh-ed25519 AAAA...}. */
    String hostPublicKey() {
        String line = runner.run("dropbearkey", "-y", "-f", hostKey().toString()).stdout().lines()
                .filter(l -> l.startsWith("ssh-ed25519 ")).findFirst().orElseThrow();
        String[] fields = line.split(" ");
        return fields[0] + " " + fields[1];
    }

    /** Starts the server and returns once it accepts connections. */
    Dropbear start() throws Exception {
        process = runner.start(Command.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount --bind \"$0\" /root && exec dropbear -F -E -s -r \"$1\" -p \"127.0.0.1:$2\" -P \"$3\"",
                dir.resolve("home").toString(), hostKey().toString(), Integer.toString(port), dir.resolve("dropbear.pid").toString()),
                dir.resolve("dropbear.log"));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return this;
            } catch (IOException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("dropbear did not start: " + Files.readString(dir.resolve("dropbear.log")));
                }
                Thread.sleep(50);
            }
        }
    }

    void stop() {
        if (process != null) {
            process.stop();
            process = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    private Path hostKey() {
        return dir.resolve("host_ed25519");
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
