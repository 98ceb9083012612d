package dev.banger.daemon.network.nft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One of banger's own nftables tables ({@code ip banger} for NAT, {@code bridge banger} for the
 * guest guard), changed only by whole {@code nft -f -} batches, which the kernel applies all or
 * nothing, and read back as JSON ({@code nft -j -a}) to find the handles of the rules carrying a tag
 * (their comment). One {@link #list} serves every check and deletion of a change, so a change costs
 * one listing per table and one batch.
 */
public final class NftTable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CommandRunner runner;
    private final Path nft;
    private final String family;
    private final String name;

    public NftTable(CommandRunner runner, Path nft, String family, String name) {
        this.runner = runner;
        this.nft = nft;
        this.family = family;
        this.name = name;
    }

    /** {@code ip banger}, as scripts and listings name it. */
    public String qualifiedName() {
        return family + " " + name;
    }

    /** {@code delete rule} lines for the rules carrying {@code tag}; empty when there are none (or no table). */
    public String deletions(String tag) {
        return list().deletions(tag);
    }

    /** Deletes the rules carrying {@code tag}, in one batch; none there is fine. */
    public void removeTagged(String tag) {
        String script = deletions(tag);
        if (!script.isEmpty()) {
            apply(script);
        }
    }

    /** The tags (comments) the table's rules carry; none when the table does not exist. */
    public Set<String> tags() {
        return list().tags();
    }

    /** Whether any rule carries {@code tag}. */
    public boolean has(String tag) {
        return list().has(tag);
    }

    /** The table's rules as listed now: one {@code nft} run for every check and deletion of one change. */
    public Listing list() {
        return new Listing(qualifiedName(), rules());
    }

    /** A table's rules as one listing found them. */
    public record Listing(String table, List<JsonNode> rules) {

        /** {@code delete rule} lines for the rules carrying {@code tag}; empty when there are none. */
        public String deletions(String tag) {
            StringBuilder lines = new StringBuilder();
            for (JsonNode rule : rules) {
                if (tag.equals(rule.path("comment").asText(null))) {
                    lines.append("delete rule ").append(table).append(' ').append(rule.path("chain").asText())
                            .append(" handle ").append(rule.path("handle").asLong()).append('\n');
                }
            }
            return lines.toString();
        }

        /** The tags (comments) the rules carry. */
        public Set<String> tags() {
            Set<String> tags = new TreeSet<>();
            for (JsonNode rule : rules) {
                String comment = rule.path("comment").asText(null);
                if (comment != null) {
                    tags.add(comment);
                }
            }
            return tags;
        }

        /** Whether any rule carries {@code tag}. */
        public boolean has(String tag) {
            return rules.stream().anyMatch(r -> tag.equals(r.path("comment").asText(null)));
        }
    }

    /** The table's rules as {@code nft -j} prints them; none when the table does not exist. */
    private List<JsonNode> rules() {
        String listed;
        try {
            listed = runner.run(nft.toString(), "-j", "-a", "list", "table", family, name).stdout();
        } catch (CommandFailedException e) {
            if (e.result() != null && e.result().stderr().contains("No such file or directory")) {
                return List.of(); // no table: banger never made a rule here
            }
            throw e;
        }
        List<JsonNode> rules = new ArrayList<>();
        try {
            for (JsonNode item : JSON.readTree(listed).path("nftables")) {
                if (item.has("rule")) {
                    rules.add(item.get("rule"));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("`nft -j list table " + qualifiedName() + "` printed JSON that does not parse: "
                    + e.getMessage(), e);
        }
        return rules;
    }

    /**
     * Applies {@code script} as one atomic batch; it may change banger's other tables too (a VM's
     * guard and its NAT-table rules go in together), the kernel applies all of it or none.
     */
    public void apply(String script) {
        runner.run(Command.of(nft.toString(), "-f", "-").withStdin(script.getBytes(StandardCharsets.UTF_8)));
    }

    /** Checks {@code script} with the kernel ({@code nft -c}) without applying it. */
    public void check(String script) {
        runner.run(Command.of(nft.toString(), "-c", "-f", "-").withStdin(script.getBytes(StandardCharsets.UTF_8)));
    }
}
