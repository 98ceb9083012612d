package dev.banger.daemon.network.nat;

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

/**
 * NAT in banger's own nftables table, {@code ip banger}: a {@code postrouting} chain (nat hook)
 * with one masquerade rule per VM, a {@code forward} chain (filter hook) with two accept rules per
 * VM. Every change is one {@code nft -f -} batch, which the kernel applies whole or not at all, so
 * a VM never has half its rules; adding deletes the VM's old rules in the same batch.
 */
final class NftablesNat implements NatBackend {

    static final String TABLE = "banger";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CommandRunner runner;
    private final Path nft;

    NftablesNat(CommandRunner runner, Path nft) {
        this.runner = runner;
        this.nft = nft;
    }

    @Override
    public String name() {
        return "nftables";
    }

    @Override
    public Path program() {
        return nft;
    }

    @Override
    public void add(String tag, String guest, String bridge) {
        String comment = " comment \"" + tag + "\"\n";
        String script = "add table ip " + TABLE + "\n"
                + "add chain ip " + TABLE + " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
                + "add chain ip " + TABLE + " forward { type filter hook forward priority filter; policy accept; }\n"
                + deletions(tag)
                + "add rule ip " + TABLE + " postrouting ip saddr " + guest + " oifname != \"" + bridge + "\" masquerade" + comment
                + "add rule ip " + TABLE + " forward iifname \"" + bridge + "\" oifname != \"" + bridge + "\" ip saddr " + guest
                + " accept" + comment
                + "add rule ip " + TABLE + " forward oifname \"" + bridge + "\" ip daddr " + guest
                + " ct state established,related accept" + comment;
        apply(script);
    }

    @Override
    public void remove(String tag) {
        String script = deletions(tag);
        if (!script.isEmpty()) {
            apply(script);
        }
    }

    /** {@code delete rule} lines for the rules carrying {@code tag}; empty when there are none (or no table). */
    private String deletions(String tag) {
        StringBuilder lines = new StringBuilder();
        for (JsonNode rule : rules()) {
            if (tag.equals(rule.path("comment").asText(null))) {
                lines.append("delete rule ip ").append(TABLE).append(' ').append(rule.path("chain").asText())
                        .append(" handle ").append(rule.path("handle").asLong()).append('\n');
            }
        }
        return lines.toString();
    }

    private List<JsonNode> rules() {
        String listed;
        try {
            listed = runner.run(nft.toString(), "-j", "-a", "list", "table", "ip", TABLE).stdout();
        } catch (CommandFailedException e) {
            if (e.result() != null && e.result().stderr().contains("No such file or directory")) {
                return List.of(); // no table: banger never made a NAT rule here
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
            throw new IllegalStateException("`nft -j list table ip " + TABLE + "` printed JSON that does not parse: " + e.getMessage(), e);
        }
        return rules;
    }

    private void apply(String script) {
        runner.run(Command.of(nft.toString(), "-f", "-").withStdin(script.getBytes(StandardCharsets.UTF_8)));
    }
}
