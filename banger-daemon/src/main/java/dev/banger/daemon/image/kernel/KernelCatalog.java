package dev.banger.daemon.image.kernel;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The kernel catalog: kernels banger knows where to download, each pinned by sha256. The one in
 * bangerd's jar ({@value #RESOURCE}) applies unless the config key {@code kernel_catalog} names
 * another file of the same format:
 *
 * <pre>{@code
 * {"format": 1,
 *  "kernels": [{"name": "debian-12-cloud", "kind": "deb", "version": "6.1.0-56-cloud-amd64",
 *               "distro": "debian", "arch": "x86_64", "url": "https://...", "sha256": "<64 hex>",
 *               "size": 26713492, "description": "..."}]}
 * }</pre>
 *
 * {@code name}, {@code kind}, {@code url} and {@code sha256} are required; {@code version}, if given,
 * must be the package's; {@code size}, if given, is checked while downloading. {@code kind} says
 * what the artifact is and so how it becomes a kernel entry: {@link Kind#DEB} (a Debian
 * linux-image package, imported like {@code kernel import --deb}) or {@link Kind#APT} (a package
 * {@code apt-get download} fetches through the host's apt, named by {@code package} instead of
 * {@code url} and {@code sha256}: apt checks it against the signed archive); another kind (say a
 * tarball of a prepared kernel directory) is one more constant with its file extension and one
 * more branch where the artifact is imported. Unknown keys, kinds and formats are refused, so a typo cannot turn
 * into a silently different download. Kernel names are checked by the caller (the image package
 * knows the naming rules).
 */
public record KernelCatalog(String origin, List<Entry> kernels) {

    /** Where the embedded catalog is, on the class path. */
    public static final String RESOURCE = "/dev/banger/daemon/image/kernel/catalog.json";
    /** The {@code origin} of the embedded catalog. */
    public static final String EMBEDDED = "embedded";
    public static final int FORMAT = 1;
    private static final int MAX_BYTES = 1 << 20;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** Debian policy 5.6.1: lower case, digits, + - .; at least two characters, starting alphanumeric. */
    private static final Pattern APT_PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+");
    private static final Set<String> AMD64 = Set.of("x86_64", "amd64");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    /** What a catalog artifact is; {@code extension} is its file name suffix in the download cache. */
    public enum Kind {
        /** A Debian linux-image package: imported as by {@code kernel import --deb}. */
        DEB("deb", ".deb"),
        /** A Debian package apt fetches by name (a metapackage resolves to its linux-image): imported as {@link #DEB}. */
        APT("apt", ".deb");

        private final String wire;
        private final String extension;

        Kind(String wire, String extension) {
            this.wire = wire;
            this.extension = extension;
        }

        public String wire() {
            return wire;
        }

        public String extension() {
            return extension;
        }

        static Kind of(String s) {
            for (Kind k : values()) {
                if (k.wire.equals(s)) {
                    return k;
                }
            }
            return null;
        }

        static String known() {
            return String.join(", ", java.util.Arrays.stream(values()).map(Kind::wire).toList());
        }
    }

    /**
     * One downloadable kernel. {@code size}, {@code version}, {@code distro}, {@code arch}, {@code description} may be
     * null; {@code url} and {@code sha256} are null for {@link Kind#APT}, {@code aptPackage} for every other kind.
     */
    public record Entry(String name, Kind kind, String version, String distro, String arch, String url, String sha256,
                        Long size, String description, String aptPackage) {
    }

    /** The file's shape, before checks. */
    private record FileJson(Integer format, List<EntryJson> kernels) {
    }

    private record EntryJson(String name, String kind, String version, String distro, String arch, String url,
                             String sha256, Long size, String description,
                             @com.fasterxml.jackson.annotation.JsonProperty("package") String aptPackage) {
    }

    public KernelCatalog {
        kernels = List.copyOf(kernels);
    }

    /** The catalog in bangerd's jar. */
    public static KernelCatalog embedded() {
        try (InputStream in = KernelCatalog.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from bangerd's jar");
            }
            return parse(in.readAllBytes(), EMBEDDED);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /** The catalog in {@code file} (the {@code kernel_catalog} config key); read at each use, so edits need no restart. */
    public static KernelCatalog load(Path file) {
        byte[] json;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw invalid(file.toString(), "it is larger than " + MAX_BYTES + " bytes");
            }
            json = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "kernel catalog " + file
                    + " (config key kernel_catalog) does not exist");
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot read kernel catalog " + file + ": " + e.getMessage(), e);
        }
        return parse(json, file.toString());
    }

    /** Parses and checks {@code json}; {@code origin} names it in errors. Errors are {@code operation_failed}. */
    public static KernelCatalog parse(byte[] json, String origin) {
        FileJson f;
        try {
            f = JSON.readValue(json, FileJson.class);
        } catch (JacksonException e) {
            throw invalid(origin, e.getOriginalMessage());
        } catch (IOException e) {
            throw invalid(origin, e.getMessage());
        }
        if (f == null) {
            throw invalid(origin, "it is empty");
        }
        if (f.format() == null || f.format() != FORMAT) {
            throw invalid(origin, "\"format\" must be " + FORMAT + ", got " + f.format());
        }
        if (f.kernels() == null) {
            throw invalid(origin, "\"kernels\" (an array) is missing");
        }
        List<Entry> entries = new java.util.ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < f.kernels().size(); i++) {
            EntryJson e = f.kernels().get(i);
            String where = "kernels[" + i + "]" + (e != null && e.name() != null ? " (" + e.name() + ")" : "");
            if (e == null) {
                throw invalid(origin, where + " is null");
            }
            Entry entry = check(e, origin, where);
            if (!names.add(entry.name())) {
                throw invalid(origin, "kernel " + entry.name() + " is listed twice");
            }
            entries.add(entry);
        }
        return new KernelCatalog(origin, entries);
    }

    private static Entry check(EntryJson e, String origin, String where) {
        required(origin, where, "name", e.name());
        required(origin, where, "kind", e.kind());
        Kind kind = Kind.of(e.kind());
        if (kind == null) {
            throw invalid(origin, where + ": kind '" + e.kind() + "' is not one this bangerd knows (" + Kind.known() + ")");
        }
        if (kind == Kind.APT) {
            return checkApt(e, origin, where);
        }
        required(origin, where, "url", e.url());
        required(origin, where, "sha256", e.sha256());
        if (e.aptPackage() != null) {
            throw invalid(origin, where + ": \"package\" is for kind apt; a " + kind.wire() + " entry names its url and sha256");
        }
        if (!SHA256.matcher(e.sha256()).matches()) {
            throw invalid(origin, where + ": sha256 must be 64 lower-case hex digits, got '" + e.sha256() + "'");
        }
        try {
            URI uri = new URI(e.url());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                throw invalid(origin, where + ": url must be an http:// or https:// URL with a host, got '" + e.url() + "'");
            }
        } catch (URISyntaxException x) {
            throw invalid(origin, where + ": url '" + e.url() + "' is not valid: " + x.getReason());
        }
        if (e.size() != null && e.size() <= 0) {
            throw invalid(origin, where + ": size must be a positive number of bytes, got " + e.size());
        }
        checkArch(e, origin, where);
        return new Entry(e.name(), kind, blankToNull(e.version()), blankToNull(e.distro()), e.arch() == null ? null : "x86_64",
                e.url(), e.sha256(), e.size(), blankToNull(e.description()), null);
    }

    /** An apt entry: a package name and nothing that pins bytes (apt checks them against the archive's signed lists). */
    private static Entry checkApt(EntryJson e, String origin, String where) {
        required(origin, where, "package", e.aptPackage());
        if (!APT_PACKAGE.matcher(e.aptPackage()).matches()) {
            throw invalid(origin, where + ": package '" + e.aptPackage() + "' is not a Debian package name");
        }
        for (String[] pinned : new String[][] {{"url", e.url()}, {"sha256", e.sha256()}, {"version", e.version()}}) {
            if (pinned[1] != null) {
                throw invalid(origin, where + ": \"" + pinned[0] + "\" does not go with kind apt (apt picks the archive's "
                        + "current package and checks it); use kind deb to pin a file");
            }
        }
        if (e.size() != null) {
            throw invalid(origin, where + ": \"size\" does not go with kind apt");
        }
        checkArch(e, origin, where);
        return new Entry(e.name(), Kind.APT, null, blankToNull(e.distro()), e.arch() == null ? null : "x86_64", null, null, null,
                blankToNull(e.description()), e.aptPackage());
    }

    private static void required(String origin, String where, String key, String value) {
        if (value == null || value.isBlank()) {
            throw invalid(origin, where + ": \"" + key + "\" is required");
        }
    }

    private static void checkArch(EntryJson e, String origin, String where) {
        if (e.arch() != null && !AMD64.contains(e.arch())) {
            throw invalid(origin, where + ": arch '" + e.arch() + "' is not x86_64: banger runs amd64 guests");
        }
    }

    public Optional<Entry> find(String name) {
        return kernels.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /** A catalog that cannot be used: {@code operation_failed} naming it (a user's file is the operator's to fix). */
    public static BangerException invalid(String origin, String why) {
        String what = origin.equals(EMBEDDED) ? "the embedded kernel catalog" : "kernel catalog " + origin;
        return new BangerException(ErrorCode.OPERATION_FAILED, what + " is not valid: " + why);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
