package dev.banger.cli.sshconfig;

import dev.banger.core.rpc.BangerException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * banger's lines in {@code ~/.ssh/config}: an {@code Include} between two marker lines, as text
 * in, text out. OpenSSH applies an Include inside a {@code Host} or {@code Match} block only to
 * that block's hosts, and takes the first value it finds for each option, so a new block goes at
 * the very top; everything else is kept byte for byte, so removing the block restores the file.
 */
final class IncludeFence {

    static final String BEGIN = "# >>> banger >>>";
    static final String END = "# <<< banger <<<";

    /** Where the markers are: line indexes, -1 when absent. */
    private record Fence(int begin, int end) {
        boolean present() {
            return begin >= 0;
        }
    }

    private IncludeFence() {
    }

    /** {@code config} with the fenced {@code body} (lines ending in newlines): added at the top, or replacing an older block's lines in place. */
    static String install(String config, String body, String name) {
        List<String> lines = lines(config);
        Fence f = fence(lines, name);
        String block = BEGIN + "\n" + body + END + "\n";
        if (!f.present()) {
            return block + config;
        }
        return String.join("", lines.subList(0, f.begin())) + block + String.join("", lines.subList(f.end() + 1, lines.size()));
    }

    /** {@code config} without the fenced block, or empty when it has none. */
    static Optional<String> uninstall(String config, String name) {
        List<String> lines = lines(config);
        Fence f = fence(lines, name);
        if (!f.present()) {
            return Optional.empty();
        }
        return Optional.of(String.join("", lines.subList(0, f.begin())) + String.join("", lines.subList(f.end() + 1, lines.size())));
    }

    static boolean installed(String config, String name) {
        return fence(lines(config), name).present();
    }

    /** The lines with their terminators, so joining them gives back the exact text. */
    private static List<String> lines(String text) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl + 1;
            lines.add(text.substring(start, end));
            start = end;
        }
        return lines;
    }

    /** One BEGIN, then one END, or neither; anything else was edited by hand and is refused. */
    private static Fence fence(List<String> lines, String name) {
        List<Integer> begins = new ArrayList<>();
        List<Integer> ends = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.equals(BEGIN)) {
                begins.add(i);
            } else if (line.equals(END)) {
                ends.add(i);
            }
        }
        if (begins.isEmpty() && ends.isEmpty()) {
            return new Fence(-1, -1);
        }
        if (begins.size() == 1 && ends.size() == 1 && begins.getFirst() < ends.getFirst()) {
            return new Fence(begins.getFirst(), ends.getFirst());
        }
        throw BangerException.badRequest(name + " has " + count(begins.size(), BEGIN) + " and " + count(ends.size(), END)
                + " (edited by hand?): banger needs exactly one of each, in that order; fix or remove those lines and run"
                + " `banger ssh-config` again (nothing was changed)");
    }

    private static String count(int n, String marker) {
        return (n == 0 ? "no" : n == 1 ? "one" : String.valueOf(n)) + " '" + marker + "' line" + (n == 1 ? "" : "s");
    }
}
