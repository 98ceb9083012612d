package dev.banger.core;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code /etc/banger/install.toml}: what {@code banger system install} put on this host, for whom
 * and from which build. Doctor compares it with the CLI and the daemon; uninstall removes exactly
 * {@link #files}. Written and read with Jackson's TOML module (databind: never on the CLI's ping path).
 *
 * @param config  the config file the unit passes to bangerd, or null for the built-in defaults
 * @param files   every file and link the install wrote, absolute paths on the target system
 * @param createdVmmUser the VMM account an install created (uninstall --purge deletes it), or null when it was there before
 */
public record InstallRecord(String owner, int uid, int gid, String version, String commit, String built,
                           String installedAt, Path prefix, Path config, List<Path> files, String createdVmmUser) {

    /** Where the record lives on the target system. */
    public static final Path PATH = Path.of("/etc/banger/install.toml");

    public InstallRecord {
        files = List.copyOf(files);
    }

    /** The record under {@code root} ("/" for the host), or empty when banger is not installed there. */
    public static Optional<InstallRecord> read(Path root) {
        Path file = under(root, PATH);
        try {
            return Optional.of(fromTree(new TomlMapper().readTree(Files.readString(file))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (JacksonException | IllegalArgumentException e) {
            throw new IllegalStateException(file + " is damaged (" + e.getMessage().lines().findFirst().orElse("")
                    + "); run `sudo banger system install` again to rewrite it", e);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public String toToml() {
        TomlMapper mapper = new TomlMapper();
        ObjectNode n = mapper.createObjectNode();
        n.put("owner", owner).put("uid", uid).put("gid", gid).put("version", version).put("commit", commit)
                .put("built", built).put("installed_at", installedAt).put("prefix", prefix.toString());
        if (config != null) {
            n.put("config", config.toString());
        }
        if (createdVmmUser != null) {
            n.put("created_vmm_user", createdVmmUser);
        }
        ArrayNode list = n.putArray("files");
        files.forEach(f -> list.add(f.toString()));
        try {
            return "# Written by `banger system install`; `banger system uninstall` removes the files listed here.\n"
                    + mapper.writeValueAsString(n);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot write install.toml: " + e.getMessage(), e);
        }
    }

    /** {@code path} (absolute on the target system) under {@code root}. */
    public static Path under(Path root, Path path) {
        return root.resolve(root.getRoot().relativize(path));
    }

    private static InstallRecord fromTree(JsonNode n) {
        List<Path> files = new ArrayList<>();
        n.path("files").forEach(f -> files.add(Path.of(f.asText())));
        String config = n.path("config").asText(null);
        return new InstallRecord(text(n, "owner"), n.path("uid").asInt(-1), n.path("gid").asInt(-1), text(n, "version"),
                text(n, "commit"), text(n, "built"), text(n, "installed_at"), Path.of(text(n, "prefix")),
                config == null ? null : Path.of(config), files, n.path("created_vmm_user").asText(null));
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.isValueNode()) {
            throw new IllegalArgumentException("key '" + key + "' is missing");
        }
        return v.asText();
    }
}
