package dev.banger.cli.manual;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Section-1 man pages in roff, one per command of the picocli tree: {@code banger.1},
 * {@code banger-vm-create.1}, ... The build writes them (scripts/build.sh), so they say what
 * {@code --help} says. Written directly rather than through picocli-codegen's generator, which
 * makes AsciiDoc and would need Asciidoctor to become a man page.
 */
public final class ManPages {

    private ManPages() {
    }

    /** Writes a page for {@code root} and every visible command under it into {@code dir}; the files written. */
    public static List<Path> write(CommandLine root, String version, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (CommandLine c : visible(root)) {
            Path file = dir.resolve(pageName(c.getCommandSpec()) + ".1");
            Files.writeString(file, page(c, version));
            written.add(file);
        }
        return written;
    }

    /** {@code banger vm create} as {@code banger-vm-create}. */
    public static String pageName(CommandSpec spec) {
        return spec.qualifiedName("-");
    }

    static List<CommandLine> visible(CommandLine root) {
        List<CommandLine> out = new ArrayList<>();
        out.add(root);
        for (CommandLine sub : new LinkedHashSet<>(root.getSubcommands().values())) { // aliases repeat entries
            if (!sub.getCommandSpec().usageMessage().hidden()) {
                out.addAll(visible(sub));
            }
        }
        return out;
    }

    static String page(CommandLine command, String version) {
        CommandSpec spec = command.getCommandSpec();
        String[] description = spec.usageMessage().description();
        StringBuilder b = new StringBuilder();
        b.append(".TH ").append(pageName(spec).toUpperCase(java.util.Locale.ROOT)).append(" 1 \"\" \"banger ")
                .append(escape(version)).append("\" \"banger manual\"\n");
        b.append(".SH NAME\n").append(escape(pageName(spec))).append(" \\- ")
                .append(escape(description.length > 0 ? description[0] : "")).append('\n');
        b.append(".SH SYNOPSIS\n.nf\n")
                .append(escape(command.getHelp().synopsis(0).strip().replaceAll("\\s*\\n\\s*", "\n    "))).append("\n.fi\n");
        if (description.length > 1) {
            b.append(".SH DESCRIPTION\n");
            for (int i = 1; i < description.length; i++) {
                b.append(escape(description[i].strip())).append("\n.br\n");
            }
        }
        List<PositionalParamSpec> params = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
        if (!params.isEmpty()) {
            b.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : params) {
                b.append(".TP\n.I ").append(escape(p.paramLabel())).append('\n').append(escape(String.join(" ", p.description()))).append('\n');
            }
        }
        List<OptionSpec> options = spec.options().stream().filter(o -> !o.hidden()).toList();
        if (!options.isEmpty()) {
            b.append(".SH OPTIONS\n");
            for (OptionSpec o : options) {
                b.append(".TP\n.B ").append(escape(String.join(", ", o.names())));
                if (o.arity().max() > 0) {
                    b.append(" \\fI").append(escape(o.paramLabel())).append("\\fR");
                }
                b.append('\n').append(escape(String.join(" ", o.description()).replace("${DEFAULT-VALUE}",
                        String.valueOf(o.defaultValue())))).append('\n');
            }
        }
        List<CommandLine> subs = new ArrayList<>(new LinkedHashSet<>(command.getSubcommands().values())).stream()
                .filter(s -> !s.getCommandSpec().usageMessage().hidden()).toList();
        if (!subs.isEmpty()) {
            b.append(".SH COMMANDS\n");
            for (CommandLine s : subs) {
                String[] d = s.getCommandSpec().usageMessage().description();
                b.append(".TP\n.BR ").append(escape(pageName(s.getCommandSpec()))).append(" (1)\n")
                        .append(escape(d.length > 0 ? d[0] : "")).append('\n');
            }
        }
        String[] exitCodes = spec.root().usageMessage().exitCodeList().entrySet().stream()
                .map(e -> e.getKey() + "  " + e.getValue()).toArray(String[]::new);
        if (spec.usageMessage().exitCodeList().size() > 0) {
            exitCodes = spec.usageMessage().exitCodeList().entrySet().stream().map(e -> e.getKey() + "  " + e.getValue()).toArray(String[]::new);
        }
        if (exitCodes.length > 0) {
            b.append(".SH EXIT STATUS\n");
            for (String e : exitCodes) {
                b.append(escape(e.strip())).append("\n.br\n");
            }
        }
        b.append(".SH SEE ALSO\n");
        List<String> see = new ArrayList<>();
        if (spec.parent() != null) {
            see.add(".BR " + escape(pageName(spec.parent())) + " (1)");
        }
        if (spec.parent() != null && spec.parent().parent() != null) {
            see.add(".BR banger (1)");
        }
        see.add("banger COMMAND \\-\\-help; the docs/ directory of banger's source");
        b.append(String.join(",\n", see)).append('\n');
        return b.toString();
    }

    /** Text as roff prints it: backslashes and dashes kept, no line read as a request. */
    static String escape(String text) {
        String s = text.replace("\\", "\\e").replace("-", "\\-");
        StringBuilder b = new StringBuilder();
        for (String line : s.split("\n", -1)) {
            if (!b.isEmpty()) {
                b.append('\n');
            }
            b.append(line.startsWith(".") || line.startsWith("'") ? "\\&" + line : line);
        }
        return b.toString();
    }
}
