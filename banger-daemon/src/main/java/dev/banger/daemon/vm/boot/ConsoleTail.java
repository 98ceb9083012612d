package dev.banger.daemon.vm.boot;

import dev.banger.daemon.vm.hypervisor.ConsoleLogCap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The last lines of a VM's serial console, and what the usual boot failures in them mean. Lines a
 * rotation just moved to {@code console.log.1} ({@link ConsoleLogCap}) count too.
 */
public record ConsoleTail(List<String> lines) {

    private static final int MAX_BYTES = 64 * 1024;

    public static ConsoleTail read(Path log, int maxLines) {
        if (log == null) {
            return new ConsoleTail(List.of());
        }
        List<String> current = tail(log, maxLines);
        if (current.size() >= maxLines) {
            return new ConsoleTail(current);
        }
        List<String> all = new ArrayList<>(tail(ConsoleLogCap.rotated(log), maxLines - current.size()));
        all.addAll(current);
        return new ConsoleTail(List.copyOf(all));
    }

    private static List<String> tail(Path log, int maxLines) {
        if (!Files.isRegularFile(log)) {
            return List.of();
        }
        try {
            long size = Files.size(log);
            byte[] bytes;
            try (var in = Files.newInputStream(log)) {
                in.skipNBytes(Math.max(0, size - MAX_BYTES));
                bytes = in.readAllBytes();
            }
            List<String> all = new String(bytes, StandardCharsets.UTF_8).replace("\r", "").lines()
                    .filter(l -> !l.isBlank()).toList();
            return all.subList(Math.max(0, all.size() - maxLines), all.size());
        } catch (IOException e) {
            return List.of("(cannot read " + log + ": " + e.getMessage() + ")");
        }
    }

    public String text() {
        return lines.isEmpty() ? "  (the console is empty: the kernel printed nothing)" : "  " + String.join("\n  ", lines);
    }

    /** A sentence naming the likely cause, or "" when the tail shows none of the known ones. */
    public String diagnosis() {
        String all = String.join("\n", lines);
        if (all.contains("No working init found") || all.contains("Requested init") || all.contains("banger-init") && all.contains("not found")) {
            return "; the kernel found no usable init: the image lacks banger's guest init (re-pull it)";
        }
        if (all.contains("Kernel panic")) {
            return "; the guest kernel panicked (see the console lines below)";
        }
        if (all.contains("no SSH server") || all.contains("sshd: not found") || all.contains("dropbear: not found")) {
            return "; the image has no SSH server the guest init can start";
        }
        if (all.contains("KVM internal error")) {
            return "; KVM could not run this guest (try hypervisor acceleration tcg)";
        }
        return "";
    }
}
