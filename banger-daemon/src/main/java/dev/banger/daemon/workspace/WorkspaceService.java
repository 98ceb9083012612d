package dev.banger.daemon.workspace;

import dev.banger.core.Layout;
import dev.banger.daemon.exec.CommandRunner;

/** Ships a host repository into a guest's {@code /root/repo} and exports changes back. */
public final class WorkspaceService {

    private final CommandRunner runner;
    private final Layout layout;

    public WorkspaceService(CommandRunner runner, Layout layout) {
        this.runner = runner;
        this.layout = layout;
    }
}
