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

    /**
     * The socket bound to the IPv4 {@code address}, or to the wildcard on its port; IPv6 sockets
     * (as the JDK opens them) count too, bound to the v4-mapped address or to {@code ::}.
     */
    Optional<Holder> find(InetSocketAddress address) throws IOException {
        String port = ":" + String.format("%04X", address.getPort());
        String v4 = littleEndianHex(address.getAddress().getAddress());
        List<String> wanted = List.of(v4 + port, "00000000" + port,
                "0000000000000000FFFF0000" + v4 + port, "00000000000000000000000000000000" + port);
        for (String table : List.of("net/udp", "net/udp6")) {
            Path file = proc.resolve(table);
            if (!Files.exists(file)) {
                continue; // no IPv6 in this kernel
            }
            List<String> lines = Files.readAllLines(file);
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && wanted.contains(f[1])) {
                    return Optional.of(holderOf(Long.parseLong(f[9])));
                }
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

    /** /proc/net/udp{,6} print addresses as host-order (little-endian on x86) 32-bit words. */
    private static String littleEndianHex(byte[] a) {
        return String.format("%02X%02X%02X%02X", a[3], a[2], a[1], a[0]);
    }
}
