package dev.banger.daemon.vm.ports;

import java.net.InetAddress;
import java.net.Inet6Address;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guest's listening sockets and their processes, from the kernel's own tables rather than
 * {@code ss} or {@code netstat}, which minimal images lack: {@code /proc/net/{tcp,tcp6,udp,udp6}}
 * give each socket's address, state and inode, {@code ls -l /proc/PID/fd} maps inodes to
 * processes, {@code /proc/PID/comm} names them. {@link #SCRIPT} prints all three in one run
 * (busybox sh compatible, one {@code ls} for every process); {@link #parse} reads its output.
 */
final class ListeningSockets {

    /** A listening socket: TCP in LISTEN, or UDP bound and not connected. */
    record Listener(String proto, InetAddress address, int port, List<Owner> processes) {
    }

    record Owner(long pid, String name) {
    }

    static final String SCRIPT = """
            for t in tcp tcp6 udp udp6; do
              [ -r /proc/net/$t ] && { echo "@net $t"; cat /proc/net/$t; }
            done
            echo @fd
            ls -l /proc/[0-9]*/fd 2>/dev/null
            echo @comm
            for p in /proc/[0-9]*; do
              read -r c < "$p/comm" && echo "${p#/proc/} $c"
            done 2>/dev/null
            true
            """;

    private static final String TCP_LISTEN = "0A";
    private static final String UDP_UNCONNECTED = "07";
    private static final Pattern FD_DIR = Pattern.compile("^/proc/(\\d+)/fd:$");
    private static final Pattern SOCKET_FD = Pattern.compile("-> '?socket:\\[(\\d+)]'?$");

    private ListeningSockets() {
    }

    /** The listening sockets in {@link #SCRIPT}'s output, in the kernel's order. */
    static List<Listener> parse(String output) {
        record Entry(String proto, InetAddress address, int port, long inode) {
        }
        List<Entry> entries = new ArrayList<>();
        Map<Long, List<Long>> pidsByInode = new HashMap<>();
        Map<Long, String> names = new HashMap<>();
        String section = "";
        String table = "";
        long pid = -1;
        for (String line : output.split("\n")) {
            if (line.startsWith("@")) {
                String[] words = line.split(" ");
                section = words[0];
                table = words.length > 1 ? words[1] : "";
                continue;
            }
            switch (section) {
                case "@net" -> {
                    String[] f = line.strip().split("\\s+");
                    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...; the header line has no ':' in sl
                    if (f.length < 10 || !f[0].endsWith(":") || !listening(table, f[2], f[3])) {
                        continue;
                    }
                    String[] local = f[1].split(":");
                    entries.add(new Entry(table.replace("6", ""), address(local[0]), Integer.parseInt(local[1], 16),
                            Long.parseLong(f[9])));
                }
                case "@fd" -> {
                    Matcher dir = FD_DIR.matcher(line);
                    Matcher fd = SOCKET_FD.matcher(line);
                    if (dir.matches()) {
                        pid = Long.parseLong(dir.group(1));
                    } else if (fd.find() && pid >= 0) {
                        long p = pid;
                        pidsByInode.computeIfAbsent(Long.parseLong(fd.group(1)), i -> new ArrayList<>()).add(p);
                    }
                }
                case "@comm" -> {
                    int space = line.indexOf(' ');
                    if (space > 0 && line.substring(0, space).chars().allMatch(Character::isDigit)) {
                        names.put(Long.parseLong(line.substring(0, space)), line.substring(space + 1));
                    }
                }
                default -> {
                }
            }
        }
        List<Listener> sockets = new ArrayList<>();
        for (Entry e : entries) {
            Map<Long, Owner> processes = new LinkedHashMap<>();
            for (long p : pidsByInode.getOrDefault(e.inode(), List.of()).stream().sorted().toList()) {
                processes.putIfAbsent(p, new Owner(p, names.getOrDefault(p, "?")));
            }
            sockets.add(new Listener(e.proto(), e.address(), e.port(), List.copyOf(processes.values())));
        }
        return sockets;
    }

    private static boolean listening(String table, String remote, String state) {
        return table.startsWith("tcp") ? state.equals(TCP_LISTEN)
                : state.equals(UDP_UNCONNECTED) && remote.endsWith(":0000");
    }

    /**
     * The kernel prints an address as its 32-bit words in host order (little-endian here):
     * {@code 0100007F} is 127.0.0.1.
     */
    static InetAddress address(String hex) {
        byte[] raw = HexFormat.of().parseHex(hex);
        for (int word = 0; word < raw.length; word += 4) {
            for (int i = 0; i < 2; i++) {
                byte b = raw[word + i];
                raw[word + i] = raw[word + 3 - i];
                raw[word + 3 - i] = b;
            }
        }
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address: " + hex, e);
        }
    }

    /** An address as people write it: {@code ::} and {@code ::1} rather than Java's long forms. */
    static String text(InetAddress a) {
        if (a instanceof Inet6Address && a.isAnyLocalAddress()) {
            return "::";
        }
        if (a instanceof Inet6Address && a.isLoopbackAddress()) {
            return "::1";
        }
        return a.getHostAddress();
    }
}
