package dev.banger.cli.commands;

import dev.banger.cli.manual.ManPages;
import dev.banger.core.BuildInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "man-pages", description = "Write banger's man pages (banger.1 and one per command) into DIR, as the build does.")
public final class InternalManPagesCommand implements Callable<Integer>, PrintsNoData {

    private final RootCommand root;

    @Parameters(paramLabel = "DIR", description = "The directory the pages go to, e.g. build/share/man/man1.")
    Path dir;

    InternalManPagesCommand(RootCommand root) {
        this.root = root;
    }

    @Override
    public Integer call() throws IOException {
        int pages = ManPages.write(RootCommand.fullCommandLine(new RootCommand(root.env(), root.terminal())),
                BuildInfo.current().version(), dir.toAbsolutePath()).size();
        root.terminal().println("wrote " + pages + " man pages to " + dir);
        return 0;
    }
}
