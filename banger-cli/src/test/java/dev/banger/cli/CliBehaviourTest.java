package dev.banger.cli;

import dev.banger.cli.console.Terminal;
import dev.banger.cli.commands.RootCommand;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the CLI does without a daemon: exit codes, error format, colour rules, completion. */
class CliBehaviourTest {

    @Test
    void unreachableDaemonExitsThreeWithAHint() {
        CliRun r = CliRun.run(Map.of(RootCommand.SOCKET_ENV, "/nonexistent/bangerd.sock"), "ping");
        assertThat(r.exit()).isEqualTo(RootCommand.EXIT_UNREACHABLE);
        assertThat(r.err()).startsWith("banger: bangerd is not running (no socket at /nonexistent/bangerd.sock)")
                .contains("banger daemon start");
    }

    @Test
    void socketFlagWinsOverEnvironment() {
        CliRun r = CliRun.run(Map.of(RootCommand.SOCKET_ENV, "/env/bangerd.sock"), "--socket", "/flag/bangerd.sock", "ping");
        assertThat(r.err()).contains("/flag/bangerd.sock").doesNotContain("/env/");
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(CliRun.run(Map.of(), "no-such-command").exit()).isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(CliRun.run(Map.of()).exit()).isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(CliRun.run(Map.of(), "completion", "tcsh").exit()).isEqualTo(RootCommand.EXIT_USAGE);
    }

    @Test
    void usageErrorsAreOneLineAndWhereToReadMoreNotTheWholeHelp() {
        CliRun r = CliRun.run(Map.of(), "vm", "create", "--zzz");
        assertThat(r.exit()).isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(r.err()).isEqualTo("banger: Unknown option: '--zzz'\n  see 'banger vm create --help'\n");
        assertThat(CliRun.run(Map.of(), "vm", "lsit").err()).contains("did you mean: ls").endsWith("see 'banger vm --help'\n");
    }

    @Test
    void jsonIsRefusedWhereThereIsNoDataToParse() {
        Map<String, String> env = Map.of(RootCommand.SOCKET_ENV, "/nonexistent/bangerd.sock");
        for (String[] args : new String[][] {{"vm", "ssh", "x", "--json"}, {"--json", "vm", "cp", "a", "x:/b"}, {"completion", "bash", "--json"},
                {"daemon", "stop", "--json"}, {"vm", "exec", "x", "--json", "--", "true"}, {"update", "--rollback", "--json"}}) {
            CliRun r = CliRun.run(env, args);
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(RootCommand.EXIT_USAGE);
            assertThat(r.err()).as("refused before the daemon is asked").contains("prints nothing to parse").doesNotContain("not running");
        }
        assertThat(CliRun.run(env, "vm", "show", "x", "--json").exit()).as("a command with data takes it").isEqualTo(RootCommand.EXIT_UNREACHABLE);
    }

    @Test
    void errorsNameTheOpIdAndUseColourOnlyWhenAllowed() {
        StringWriter plain = new StringWriter();
        new Terminal(new PrintWriter(new StringWriter()), new PrintWriter(plain), false, false).error("boom", "abc123");
        assertThat(plain.toString()).isEqualTo("banger: boom (op abc123)" + System.lineSeparator());

        StringWriter coloured = new StringWriter();
        new Terminal(new PrintWriter(new StringWriter()), new PrintWriter(coloured), true, true).error("boom", "abc123");
        assertThat(coloured.toString()).contains("\u001b[").contains("boom");

        System.setProperty("banger.tty.err", "true");
        try {
            assertThat(Terminal.fromSystem(Map.of("NO_COLOR", "1")).colourErr()).isFalse();
            assertThat(Terminal.fromSystem(Map.of("NO_COLOR", "1")).ttyErr()).as("NO_COLOR is about colour: live progress stays").isTrue();
            assertThat(Terminal.fromSystem(Map.of()).colourErr()).isTrue();
        } finally {
            System.clearProperty("banger.tty.err");
        }
        assertThat(Terminal.fromSystem(Map.of()).colourErr()).isFalse();
    }

    @Test
    void completionScriptsAskBangerForTheCandidates() {
        assertThat(CliRun.run(Map.of(), "completion", "bash").out()).contains("complete -F _banger banger", "__complete --");
        assertThat(CliRun.run(Map.of(), "completion", "zsh").out()).startsWith("#compdef banger").contains("compadd", "compdef _banger banger")
                .doesNotContain("bashcompinit");
        assertThat(CliRun.run(Map.of(), "completion", "fish").out()).contains("complete -c banger", "__complete --");
    }

    @Test
    void completionCandidatesComeFromTheCommandModel() {
        Map<String, String> env = Map.of(RootCommand.SOCKET_ENV, "/nonexistent/bangerd.sock");
        assertThat(CliRun.run(env, "__complete", "--", "").out()).contains("vm\t", "ps\t", "image\t").doesNotContain("internal", "__complete")
                .endsWith(":none\n");
        assertThat(CliRun.run(env, "__complete", "--", "vm", "cr").out().lines().toList()).as("the command and its summary")
                .hasSize(2).first().asString().startsWith("create\tCreate a VM");
        assertThat(CliRun.run(env, "__complete", "--", "vm", "delete", "--fo").out()).startsWith("--force\t").endsWith(":none\n");
        assertThat(CliRun.run(env, "__complete", "--", "completion", "").out()).isEqualTo("bash\nzsh\nfish\n:none\n");
        CliRun noDaemon = CliRun.run(env, "__complete", "--", "vm", "create", "--image", "");
        assertThat(noDaemon.out()).as("no daemon: no names, no error").isEqualTo(":none\n");
        assertThat(noDaemon.err()).isEmpty();
        assertThat(CliRun.run(env, "__complete", "--", "vm", "run", "--", "l").out()).as("the guest's command line: files").isEqualTo(":files\n");
        assertThat(CliRun.run(env, "__complete", "--", "image", "register", "--rootfs", "x").out()).isEqualTo(":files\n");
    }

    @Test
    void everyCommandHasHelp() {
        for (String[] args : new String[][] {{"image", "pull", "--help"}, {"daemon", "start", "-h"}, {"kernel", "--help"},
                {"vm", "--help"}, {"vm", "run", "-h"}, {"vm", "ssh", "--help"}, {"ps", "--help"}}) {
            CliRun r = CliRun.run(Map.of(), args);
            assertThat(r.exit()).as(String.join(" ", args)).isZero();
            assertThat(r.out()).as(String.join(" ", args)).startsWith("Usage: banger " + args[0] + " ");
        }
    }
}
