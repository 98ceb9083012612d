package dev.banger.cli.commands;

import static dev.banger.cli.commands.Binding.bind;

import dev.banger.cli.workspace.Shipment;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * What {@code vm run PATH} and {@code vm workspace prepare} share: what to ship, and where to.
 * Declared in code like the commands that mix them in ({@link DeclaredCommand}).
 */
public final class WorkspaceOptions {

    static final String DEFAULT_GUEST_PATH = "/root/repo";

    /** The name of this mixin in its commands' models. */
    static final String MIXIN = "ws";

    String workdir;
    boolean includeUntracked;
    String from;
    List<String> sync = new ArrayList<>();

    /** These options, to mix into a command's model ({@code CommandSpec.addMixin}). */
    CommandSpec mixin() {
        CommandSpec mixin = CommandSpec.wrapWithoutInspection(this);
        mixin.addOption(bind(OptionSpec.builder("--workdir").type(String.class).paramLabel("DIR"), () -> workdir, v -> workdir = v)
                .description("Where the work tree goes in the guest (default: /root/repo).").build());
        mixin.addOption(bind(OptionSpec.builder("--include-untracked").type(boolean.class).paramLabel("<includeUntracked>"),
                () -> includeUntracked, v -> includeUntracked = v)
                .description("Also ship untracked files that .gitignore does not exclude.").build());
        mixin.addOption(bind(OptionSpec.builder("--from").type(String.class).paramLabel("REF"), () -> from, v -> from = v)
                .description("Ship this commit's tree instead of the work tree as it is on disk.").build());
        mixin.addOption(bind(OptionSpec.builder("--sync").type(List.class).auxiliaryTypes(String.class).paramLabel("HOST_PATH:GUEST_PATH"),
                () -> sync, v -> sync = v)
                .description("Also copy this file or directory (read by you, as you) to GUEST_PATH, e.g. ~/.gitconfig:/root/.gitconfig. Repeatable.")
                .build());
        return mixin;
    }

    Shipment.Options options() {
        return new Shipment.Options(includeUntracked, from);
    }

    String guestPath() {
        return workdir == null ? DEFAULT_GUEST_PATH : workdir;
    }
}
