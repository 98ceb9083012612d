package dev.banger.cli.commands;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code banger update}: runs {@code bangerd update} (next to this launcher), like {@code banger system ...}. */
@Command(name = "update", description = {"Install a signed release bundle as root, or go back to the previous release.",
        "Checks the bundle's Ed25519 signature, restarts bangerd on it when no operation runs, runs doctor,",
        "and goes back to the previous release by itself if the daemon does not answer or doctor FAILs (docs/update.md)."})
public final class UpdateCommand implements Callable<Integer>, PrintsNoData {

    private final RootCommand root;

    UpdateCommand(RootCommand root) {
        this.root = root;
    }

    static final class Source {
        @Option(names = "--from", paramLabel = "FILE|URL", required = true,
                description = "The bundle (scripts/build.sh --release makes one): a file or an http(s) URL.")
        String from;

        @Option(names = "--rollback", required = true, description = "Go back to the release installed before the last update.")
        boolean rollback;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--force", description = "Install the bundle even when its version is not newer than the installed one.")
    boolean force;

    @Option(names = "--root", paramLabel = "DIR", hidden = true, description = "The install root (tests); no systemctl.")
    Path scratchRoot;

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>(List.of("update"));
        if (source.rollback) {
            args.add("--rollback");
        } else {
            // a file is read by bangerd, which runs in another directory: make it absolute here
            args.addAll(List.of("--from", source.from.contains("://") ? source.from : Path.of(source.from).toAbsolutePath().toString()));
        }
        if (force) args.add("--force");
        if (scratchRoot != null) args.addAll(List.of("--root", scratchRoot.toAbsolutePath().toString()));
        return SystemCommand.runBangerd(root, args);
    }
}
