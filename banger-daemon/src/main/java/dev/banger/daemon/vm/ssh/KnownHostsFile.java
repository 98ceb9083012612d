package dev.banger.daemon.vm.ssh;

import dev.banger.daemon.fs.FileModes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * banger's known_hosts, in OpenSSH's format so {@code ssh -o UserKnownHostsFile=} reads it too.
 * Several VMs boot at once, so changes are serialised per file and each is written whole to a
 * temporary file that is renamed over the old one: a reader (the system {@code ssh}) never sees a
 * half-written file. Lines banger does not understand (comments, hashed names, markers) are kept.
 */
final class KnownHostsFile {

    /** One plain-text line: the names it is for, the key type and the base64 key. */
    record Entry(List<String> names, String type, String key) {
    }

    private static final ConcurrentMap<Path, Object> LOCKS = new ConcurrentHashMap<>();

    private final Path file;

    KnownHostsFile(Path file) {
        this.file = file;
    }

    Path path() {
        return file;
    }

    /** How OpenSSH (and JSch) name a host in known_hosts: bare on port 22, else {@code [host]:port}. */
    static String name(String host, int port) {
        return port == 22 ? host : "[" + host + "]:" + port;
    }

    /** The plain entries that list {@code name}. */
    List<Entry> entriesFor(String name) {
        return lines().stream().map(KnownHostsFile::parse).filter(e -> e != null && e.names().contains(name)).toList();
    }

    /** Makes {@code key} the only key of each name: earlier entries for these names go. */
    void pin(List<String> names, String type, String key) {
        update(lines -> {
            List<String> kept = withoutNames(lines, names::contains);
            kept.add(String.join(",", names) + " " + type + " " + key);
            return kept;
        });
    }

    /** Removes each host, whether listed bare or as {@code [host]:port}. */
    void forget(Collection<String> hosts) {
        update(lines -> withoutNames(lines, name -> hosts.contains(name) || hosts.contains(hostOf(name))));
    }

    private static String hostOf(String name) {
        int close = name.lastIndexOf("]:");
        return name.startsWith("[") && close > 0 ? name.substring(1, close) : name;
    }

    /** The lines with the matching names taken out of their name lists; a line left with no name goes. */
    private static List<String> withoutNames(List<String> lines, Predicate<String> matches) {
        List<String> kept = new ArrayList<>();
        for (String line : lines) {
            Entry e = parse(line);
            if (e == null || e.names().stream().noneMatch(matches)) {
                kept.add(line);
                continue;
            }
            List<String> rest = e.names().stream().filter(matches.negate()).toList();
            if (!rest.isEmpty()) {
                kept.add(line.strip().replaceFirst("^\\S+", String.join(",", rest)));
            }
        }
        return kept;
    }

    /** A plain {@code names type key [comment]} line, or null for anything else. */
    private static Entry parse(String line) {
        String[] fields = line.strip().split("\\s+");
        if (fields.length < 3 || fields[0].startsWith("#") || fields[0].startsWith("@") || fields[0].startsWith("|")) {
            return null;
        }
        return new Entry(Arrays.asList(fields[0].split(",")), fields[1], fields[2]);
    }

    private List<String> lines() {
        try {
            return Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private void update(UnaryOperator<List<String>> change) {
        synchronized (LOCKS.computeIfAbsent(file.toAbsolutePath().normalize(), p -> new Object())) {
            List<String> before = lines();
            List<String> after = change.apply(before);
            if (after.equals(before)) {
                return;
            }
            try {
                Path tmp = Files.createTempFile(file.getParent(), ".known_hosts-", ".tmp", FileModes.privateFile());
                try {
                    Files.write(tmp, after);
                    FileModes.groupFile(tmp); // members' ssh reads it (0640, group banger)
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot update " + file + ": " + e.getMessage(), e);
            }
        }
    }
}
