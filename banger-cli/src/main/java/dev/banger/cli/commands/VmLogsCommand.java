package dev.banger.cli.commands;

import dev.banger.cli.console.TerminalEscapes;
import dev.banger.core.api.NameParams;
import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "logs", description = {"Print a VM's serial console (kernel and init messages).",
        "The guest's terminal escapes are removed unless --raw. With -f it keeps printing what the console",
        "prints until Ctrl-C, or until the VM is deleted."})
public final class VmLogsCommand implements Callable<Integer> {

    private static final Duration POLL = Duration.ofMillis(500);
    /** The kernel's own timestamp, seconds since the VM started: "[   12.345678] ...". */
    private static final Pattern PRINTK_TIME = Pattern.compile("^\\[\\s*(\\d+)\\.(\\d{1,9})\\]");
    private static final Pattern DURATION = Pattern.compile("(\\d+)([smhd])");

    private final Invocation inv;

    @Parameters(paramLabel = "VM", description = "VM name or id.")
    String vm;

    @Option(names = {"-n", "--lines"}, description = "Only the last N lines.")
    Integer lines;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new console lines until Ctrl-C or the VM is deleted.")
    boolean follow;

    @Option(names = "--since", paramLabel = "WHEN",
            description = "Only lines since WHEN: a duration before now (30s, 10m, 2h, 1d) or an ISO-8601 time. A line's time is "
                    + "its kernel timestamp counted from the VM's start; a line without one has the time of the line before. "
                    + "Needs a running VM.")
    String since;

    @Option(names = "--raw", description = "Print the console as the guest wrote it, terminal escapes included.")
    boolean raw;

    VmLogsCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() throws InterruptedException {
        if (follow && inv.root().json()) {
            throw new UsageException("-f prints a stream of lines, not JSON: drop --json or -f");
        }
        Instant from = since == null ? null : parseSince(since, Instant.now());
        // Following compares whole windows of the console, so the first one is read without -n.
        VmApi.Logs r = inv.call(VmApi.LOGS, new VmApi.LogsParams(vm, follow ? null : lines));
        List<String> window = r.lines();
        List<String> shown = from == null ? window : since(window, startedAt(), from);
        if (lines != null && lines > 0 && shown.size() > lines) {
            shown = shown.subList(shown.size() - lines, shown.size());
        }
        VmApi.Logs printable = new VmApi.Logs(r.name(), r.path(), shown.stream().map(this::printable).toList());
        inv.render(VmApi.LOGS, printable, () -> {
            printable.lines().forEach(l -> inv.terminal().out().println(l));
            inv.terminal().out().flush();
        });
        return follow ? follow(r.name(), window) : 0;
    }

    /** Polls the console and prints what is new, until the VM is gone. */
    private int follow(String name, List<String> window) throws InterruptedException {
        while (true) {
            Thread.sleep(POLL);
            List<String> next;
            try {
                next = inv.call(VmApi.LOGS, new VmApi.LogsParams(name, null)).lines();
            } catch (BangerException e) {
                if (e.code() == ErrorCode.NOT_FOUND) {
                    inv.terminal().hint("VM '" + name + "' was deleted");
                    return 0;
                }
                throw e;
            }
            for (String line : fresh(window, next)) {
                inv.terminal().out().println(printable(line));
            }
            inv.terminal().out().flush();
            window = next;
        }
    }

    /**
     * The lines of {@code next} that {@code previous} did not have. Both are windows ending at the
     * console's end at two times, so {@code next} starts with the longest end of {@code previous}
     * it shares.
     */
    static List<String> fresh(List<String> previous, List<String> next) {
        for (int m = Math.min(previous.size(), next.size()); m > 0; m--) {
            if (previous.subList(previous.size() - m, previous.size()).equals(next.subList(0, m))) {
                return next.subList(m, next.size());
            }
        }
        return next;
    }

    private String printable(String line) {
        return raw ? line : TerminalEscapes.strip(line);
    }

    private Instant startedAt() {
        VmInfo.Runtime runtime = inv.call(VmApi.SHOW, new NameParams(vm)).runtime();
        if (runtime == null || runtime.startedAt() == null) {
            throw new UsageException("--since needs a running VM: the console's times count from the VM's start");
        }
        return runtime.startedAt();
    }

    /** The lines from {@code from} on: kernel timestamps are seconds since {@code started}. */
    static List<String> since(List<String> lines, Instant started, Instant from) {
        List<String> out = new ArrayList<>();
        Instant at = started;
        for (String line : lines) {
            Matcher m = PRINTK_TIME.matcher(line);
            if (m.find()) {
                long nanos = Long.parseLong((m.group(2) + "00000000").substring(0, 9));
                at = started.plusSeconds(Long.parseLong(m.group(1))).plusNanos(nanos);
            }
            if (!at.isBefore(from)) {
                out.add(line);
            }
        }
        return out;
    }

    static Instant parseSince(String text, Instant now) {
        Matcher d = DURATION.matcher(text);
        if (d.matches()) {
            long n = Long.parseLong(d.group(1));
            return now.minus(switch (d.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            });
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new UsageException("--since '" + text + "' is neither a duration (30s, 10m, 2h, 1d) nor an ISO-8601 time "
                    + "(2026-01-31T12:00:00Z)");
        }
    }
}
