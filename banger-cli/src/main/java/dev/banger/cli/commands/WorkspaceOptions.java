package dev.banger.cli.commands;

import dev.banger.cli.workspace.Shipment;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** What {@code vm run PATH} and {@code vm workspace prepare} share: what to ship, and where to. */
public final class WorkspaceOptions {

    static final String DEFAULT_GUEST_PATH = "/root/repo";

    @Option(names = "--workdir", paramLabel = "DIR", description = "Where the work tree goes in the guest (default: /root/repo).")
    String workdir;

    @Option(names = "--include-untracked", description = "Also ship untracked files that .gitignore does not exclude.")
    boolean includeUntracked;

    @Option(names = "--from", paramLabel = "REF", description = "Ship this commit's tree instead of the work tree as it is on disk.")
    String from;

    @Option(names = "--sync", paramLabel = "HOST_PATH:GUEST_PATH",
            description = "Also copy this file or directory (read by you, as you) to GUEST_PATH, e.g. ~/.gitconfig:/root/.gitconfig. Repeatable.")
    List<String> sync = new ArrayList<>();

    Shipment.Options options() {
        return new Shipment.Options(includeUntracked, from);
    }

    String guestPath() {
        return workdir == null ? DEFAULT_GUEST_PATH : workdir;
    }
}
