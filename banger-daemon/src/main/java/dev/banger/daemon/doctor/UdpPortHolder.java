package dev.banger.daemon.doctor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Who holds a UDP address, from {@code /proc/net/udp} (the socket's inode) and {@code /proc/PID/fd}
 * (which process has that socket open). Only processes this user may inspect can be named.
 */
final class UdpPortHolder {

    /** A bound socket: its inode, and the process holding it when one could be found. */
    record Holder(long inode, Optional<Long> pid, String command) {
    }

    private final Path proc;

    UdpPortHolder(Path proc) {
        this.proc = proc;
    }

    /** The socket bound to {@code address} (or to the wildcard address on its port), if any. */
    Optional<Holder> find(InetSocketAddress address) throws IOException {
        String port = String.format("%04X", address.getPort());
        String exact = littleEndianHex(address.getAddress().getAddress()) + ":" + port;
        String wildcard = "00000000:" + port;
        List<String> lines = Files.readAllLines(proc.resolve("net/udp"));
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 9 && (f[1].equals(exact) || f[1].equals(wildcard))) {
                long inode = Long.parseLong(f[9]);
                return Optional.of(holderOf(inode));
            }
        }
        return Optional.empty();
    }

    private Holder holderOf(long inode) throws IOException {
        String target = "socket:[" + inode + "]";
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path pid : pids) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(pid.resolve("fd"))) {
                    for (Path fd : fds) {
                        if (target.equals(Files.readSymbolicLink(fd).toString())) {
                            String cmdline = Files.readString(pid.resolve("cmdline")).replace('\0', ' ').strip();
                            return new Holder(inode, Optional.of(Long.parseLong(pid.getFileName().toString())), cmdline);
                        }
                    }
                } catch (IOException notOurs) {
                    // another user's process, or one that just exited: cannot be named
                }
            }
        }
        return new Holder(inode, Optional.empty(), "");
    }

    /** /proc/net/udp prints the IPv4 address as one host-order (little-endian on x86) 32-bit word. */
    private static String littleEndianHex(byte[] a) {
        return String.format("%02X%02X%02X%02X", a[3], a[2], a[1], a[0]);
    }
}
