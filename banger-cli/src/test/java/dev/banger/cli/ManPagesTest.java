package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.cli.commands.RootCommand;
import dev.banger.cli.console.Terminal;
import dev.banger.cli.manual.ManPages;
import dev.banger.daemon.exec.CommandResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The man pages the build writes: one per visible command, each one `man` renders. */
class ManPagesTest {

    @TempDir
    Path dir;

    @Test
    void onePagePerCommandThatManRenders() throws Exception {
        RootCommand root = new RootCommand(Map.of(), new Terminal(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), false, false));
        List<Path> pages = ManPages.write(RootCommand.fullCommandLine(root), "9.9.9", dir);
        long visible = HelpTextTest.commands().stream().filter(c -> !hidden(c.getCommandSpec())).count();
        assertThat(pages).hasSize((int) visible).contains(dir.resolve("banger.1"), dir.resolve("banger-vm-create.1"),
                dir.resolve("banger-image-cache-prune.1"));
        assertThat(pages).noneMatch(p -> p.getFileName().toString().contains("internal"));

        CommandResult man = Launchers.run(null, Map.of("MANWIDTH", "120"), "man", "-l", dir.resolve("banger-vm-delete.1").toString());
        assertThat(man.exitCode()).as(man.stderr()).isZero();
        assertThat(man.stdout()).contains("banger-vm-delete - Delete VMs", "-f, --force", "Delete running VMs too", "banger-vm(1)",
                "2  usage error");
        assertThat(man.stderr()).as("no roff warnings").isEmpty();
        CommandResult top = Launchers.run(null, Map.of("MANWIDTH", "120"), "man", "-l", dir.resolve("banger.1").toString());
        assertThat(top.stdout()).contains("banger-vm(1)", "banger-ps(1)", "9.9.9");
    }

    private static boolean hidden(picocli.CommandLine.Model.CommandSpec spec) {
        return spec != null && (spec.usageMessage().hidden() || hidden(spec.parent()));
    }
}
