package dev.banger.daemon.network.nat;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

/**
 * NAT with iptables, for hosts without nft or whose iptables FORWARD chain drops by default
 * (docker): banger's chains {@code BANGER-POSTROUTING} (nat) and {@code BANGER-FORWARD} (filter),
 * jumped to from the top of the built-in ones, so banger's accepts come before a drop. A VM's
 * forward accepts are inserted at the top of {@code BANGER-FORWARD}, above the two confining drops
 * at its end (anything else forwarded between the bridge and elsewhere). Each rule carries
 * {@code -m comment --comment TAG}; a rule is checked ({@code -C}) before it is added.
 */
final class IptablesNat implements NatBackend {

    static final String POSTROUTING = "BANGER-POSTROUTING";
    static final String FORWARD = "BANGER-FORWARD";

    /** A rule in one of banger's chains; {@code first}: inserted at the chain's top rather than appended. */
    private record Rule(String table, String chain, List<String> spec, boolean first) {
    }

    /** One of banger's chains, in its table. */
    private record Place(String table, String chain) {
    }

    private static final Place FORWARD_CHAIN = new Place("filter", FORWARD);
    private static final List<Place> BANGERS_CHAINS = List.of(new Place("nat", POSTROUTING), FORWARD_CHAIN);

    private final CommandRunner runner;
    private final Path iptables;

    IptablesNat(CommandRunner runner, Path iptables) {
        this.runner = runner;
        this.iptables = iptables;
    }

    @Override
    public String name() {
        return "iptables";
    }

    @Override
    public Path program() {
        return iptables;
    }

    @Override
    public void add(String tag, String guest, String bridge) {
        ensureChain("nat", POSTROUTING, "POSTROUTING");
        ensureChain("filter", FORWARD, "FORWARD");
        String host = guest + "/32";
        List<String> comment = List.of("-m", "comment", "--comment", tag);
        List<Rule> rules = List.of(
                new Rule("nat", POSTROUTING, join(List.of("-s", host, "!", "-o", bridge), comment, List.of("-j", "MASQUERADE")), false),
                new Rule("filter", FORWARD, join(List.of("-s", host, "-i", bridge, "!", "-o", bridge), comment, List.of("-j", "ACCEPT")),
                        true),
                new Rule("filter", FORWARD, join(List.of("-d", host, "-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"),
                        comment, List.of("-j", "ACCEPT")), true));
        addMissing(rules);
    }

    @Override
    public void confine(String tag, String bridge) {
        ensureChain("filter", FORWARD, "FORWARD");
        List<String> comment = List.of("-m", "comment", "--comment", tag);
        addMissing(List.of(
                new Rule("filter", FORWARD, join(List.of("-i", bridge, "!", "-o", bridge), comment, List.of("-j", "DROP")), false),
                new Rule("filter", FORWARD, join(List.of("!", "-i", bridge, "-o", bridge), comment, List.of("-j", "DROP")), false)));
    }

    private void addMissing(List<Rule> rules) {
        for (Rule r : rules) {
            if (!ok(r.table(), "-C", r.chain(), r.spec())) {
                if (r.first()) {
                    run(r.table(), "-I", r.chain(), join(List.of("1"), r.spec()));
                } else {
                    run(r.table(), "-A", r.chain(), r.spec());
                }
            }
        }
    }

    @Override
    public void remove(String tag) {
        delete(tag, BANGERS_CHAINS);
    }

    /** Only {@code BANGER-FORWARD} is listed: the drops are there alone. */
    @Override
    public void unconfine(String tag) {
        delete(tag, List.of(FORWARD_CHAIN));
    }

    /** Deletes the rules carrying {@code tag} in {@code places}. */
    private void delete(String tag, List<Place> places) {
        for (Rule r : tagged(tag, places)) {
            run(r.table(), "-D", r.chain(), r.spec());
        }
    }

    /** Whether the filter table's FORWARD chain drops what no rule accepts (docker sets this). */
    boolean forwardDropsByDefault() {
        var listed = runner.runAllowingFailure(Command.of(iptables.toString(), "-w", "-t", "filter", "-S", "FORWARD"));
        return listed.ok() && listed.stdout().lines().anyMatch(l -> l.strip().equals("-P FORWARD DROP"));
    }

    @Override
    public Set<String> tags() {
        Set<String> tags = new TreeSet<>();
        listed(BANGERS_CHAINS, (tag, rule) -> tags.add(tag));
        return tags;
    }

    /** Banger's rules carrying {@code tag}, read back from {@code -S} (a chain that does not exist has none). */
    private List<Rule> tagged(String tag, List<Place> places) {
        List<Rule> found = new ArrayList<>();
        listed(places, (t, rule) -> {
            if (t.equals(tag)) {
                found.add(rule);
            }
        });
        return found;
    }

    /** Every tagged rule in {@code places} (banger's chains), with its tag. */
    private void listed(List<Place> places, BiConsumer<String, Rule> each) {
        for (Place place : places) {
            var listed = runner.runAllowingFailure(Command.of(iptables.toString(), "-w", "-t", place.table(), "-S", place.chain()));
            if (!listed.ok()) {
                continue;
            }
            for (String line : listed.stdout().lines().toList()) {
                // -A CHAIN spec...; the comment is printed quoted, and banger's tags have no spaces.
                List<String> words = Stream.of(line.strip().split("\\s+")).map(w -> w.replace("\"", "")).toList();
                int at = words.indexOf("--comment");
                if (words.size() > 2 && words.getFirst().equals("-A") && at > 0 && at + 1 < words.size()) {
                    each.accept(words.get(at + 1), new Rule(place.table(), place.chain(), words.subList(2, words.size()), false));
                }
            }
        }
    }

    /** Creates {@code chain} when missing and puts the jump to it first in {@code builtin}. */
    private void ensureChain(String table, String chain, String builtin) {
        if (!ok(table, "-S", chain, List.of())) {
            run(table, "-N", chain, List.of());
        }
        List<String> jump = List.of("-j", chain);
        if (!ok(table, "-C", builtin, jump)) {
            run(table, "-I", builtin, join(List.of("1"), jump));
        }
    }

    private boolean ok(String table, String op, String chain, List<String> spec) {
        return runner.runAllowingFailure(command(table, op, chain, spec)).ok();
    }

    private void run(String table, String op, String chain, List<String> spec) {
        runner.run(command(table, op, chain, spec));
    }

    /** {@code -w}: wait for the xtables lock instead of failing while another tool holds it. */
    private Command command(String table, String op, String chain, List<String> spec) {
        List<String> argv = new ArrayList<>(List.of(iptables.toString(), "-w", "-t", table, op, chain));
        argv.addAll(spec);
        return Command.of(argv.toArray(String[]::new));
    }

    @SafeVarargs
    private static List<String> join(List<String>... parts) {
        return Stream.of(parts).flatMap(List::stream).toList();
    }
}
