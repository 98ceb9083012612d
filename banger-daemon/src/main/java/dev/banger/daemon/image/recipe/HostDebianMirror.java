package dev.banger.daemon.image.recipe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The Debian mirror this host's apt already uses for a suite: the first {@code deb} source that
 * serves it, from {@code sources.list}, {@code sources.list.d/*.list} (one-line format) and
 * {@code sources.list.d/*.sources} (deb822), in apt's reading order. So the default image comes from
 * the mirror (and proxy-friendly URL) the machine's owner chose.
 */
public final class HostDebianMirror {

    public static final Path ETC_APT = Path.of("/etc/apt");
    public static final String FALLBACK = "http://deb.debian.org/debian";

    private HostDebianMirror() {
    }

    /** The mirror serving {@code suite} according to the apt sources under {@code etcApt}. */
    public static Optional<String> find(Path etcApt, String suite) {
        List<Path> files = new ArrayList<>();
        files.add(etcApt.resolve("sources.list"));
        Path parts = etcApt.resolve("sources.list.d");
        if (Files.isDirectory(parts)) {
            try (Stream<Path> s = Files.list(parts)) {
                s.filter(p -> p.getFileName().toString().endsWith(".list") || p.getFileName().toString().endsWith(".sources"))
                        .sorted().forEach(files::add);
            } catch (IOException e) {
                // An unreadable directory serves nothing.
            }
        }
        for (Path f : files) {
            Optional<String> uri = read(f).flatMap(text -> f.toString().endsWith(".sources")
                    ? fromDeb822(text, suite) : fromOneLine(text, suite));
            if (uri.isPresent()) {
                return uri;
            }
        }
        return Optional.empty();
    }

    /** {@code deb [options] URI SUITE COMPONENT...} lines. */
    static Optional<String> fromOneLine(String text, String suite) {
        for (String raw : text.lines().toList()) {
            String line = raw.replaceFirst("#.*", "").strip();
            line = line.replaceFirst("^deb\\s+\\[[^]]*]", "deb");
            String[] w = line.split("\\s+");
            if (w.length >= 4 && w[0].equals("deb") && w[2].equals(suite)) {
                return Optional.of(w[1]);
            }
        }
        return Optional.empty();
    }

    /** Stanzas of {@code Types:}, {@code URIs:}, {@code Suites:}, {@code Enabled:} fields, separated by blank lines. */
    static Optional<String> fromDeb822(String text, String suite) {
        for (String stanza : text.split("\\n\\s*\\n")) {
            List<String> types = List.of();
            List<String> uris = List.of();
            List<String> suites = List.of();
            boolean enabled = true;
            for (String raw : stanza.lines().toList()) {
                if (raw.startsWith("#") || !raw.contains(":")) {
                    continue;
                }
                String key = raw.substring(0, raw.indexOf(':')).strip().toLowerCase(java.util.Locale.ROOT);
                List<String> values = List.of(raw.substring(raw.indexOf(':') + 1).strip().split("\\s+"));
                switch (key) {
                    case "types" -> types = values;
                    case "uris" -> uris = values;
                    case "suites" -> suites = values;
                    case "enabled" -> enabled = !values.getFirst().equalsIgnoreCase("no");
                    default -> { }
                }
            }
            if (enabled && types.contains("deb") && suites.contains(suite) && !uris.isEmpty() && !uris.getFirst().isEmpty()) {
                return Optional.of(uris.getFirst());
            }
        }
        return Optional.empty();
    }

    private static Optional<String> read(Path f) {
        try {
            return Files.isReadable(f) ? Optional.of(Files.readString(f)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
