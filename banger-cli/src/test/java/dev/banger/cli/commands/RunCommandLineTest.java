package dev.banger.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.cli.console.Terminal;
import dev.banger.core.api.VmApi;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The command lines of {@code vm run}, {@code vm create} and {@code vm workspace prepare}, whose
 * models are declared in code: what each option sets, how PATH and -- CMD split, and what is refused.
 */
class RunCommandLineTest {

    private static final Terminal QUIET = new Terminal(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), false, false);

    /** The command {@code args} name, parsed as banger parses them. */
    private static <T> T parsed(Class<T> command, String... args) {
        CommandLine cl = new RootCommand(Map.of(), QUIET).commandLine(args);
        return command.cast(cl.parseArgs(args).asCommandLineList().getLast().getCommand());
    }

    private static VmRunCommand run(String... args) {
        VmRunCommand run = parsed(VmRunCommand.class, args);
        run.validate();
        return run;
    }

    @Test
    void theWordsAfterDashesAreTheCommandAndAWordBeforeThemThePath() {
        VmRunCommand noPath = run("vm", "run", "--", "make", "test");
        assertThat(noPath.path).isNull();
        assertThat(noPath.command).containsExactly("make", "test");
        assertThat(noPath.rm).isFalse();
        assertThat(noPath.detach).isFalse();

        VmRunCommand withPath = run("vm", "run", ".", "--", "make", "test");
        assertThat(withPath.path).isEqualTo(Path.of("."));
        assertThat(withPath.command).containsExactly("make", "test");

        VmRunCommand shell = run("--socket", "/tmp/s", "vm", "run", "--rm", ".");
        assertThat(shell.path).isEqualTo(Path.of("."));
        assertThat(shell.command).isEmpty();
        assertThat(shell.rm).isTrue();
        assertThat(run("vm", "run", "--", "--rm").command).as("an option after -- is the guest's").containsExactly("--rm");
    }

    @Test
    void everyOptionReachesTheCreateRequestAndTheShipment() {
        VmRunCommand r = run("vm", "run", "--rm", "--name", "x", "--image", "y", "--kernel-ref", "k", "--vcpu", "2", "--memory", "1G",
                "--disk-size", "8G", "--nat", "--no-isolate", "-p", "8080:80", "--publish", "127.0.0.1:53:53/udp", "--cold",
                "--workdir", "/w", "--include-untracked", "--from", "HEAD~1", "--sync", "a:b", "--sync", "c:d", ".", "--", "a", "b");
        assertThat(r.spec.params(false)).isEqualTo(new VmApi.CreateParams("x", "y", "k", 2, "1G", "8G", null, true, false,
                List.of("8080:80", "127.0.0.1:53:53/udp"), null, true));
        assertThat(r.ws.guestPath()).isEqualTo("/w");
        assertThat(r.ws.options().includeUntracked()).isTrue();
        assertThat(r.ws.options().from()).isEqualTo("HEAD~1");
        assertThat(r.ws.sync).containsExactly("a:b", "c:d");
        assertThat(r.command).containsExactly("a", "b");

        VmRunCommand defaults = run("vm", "run", "-d");
        assertThat(defaults.detach).isTrue();
        assertThat(defaults.spec.params(false)).isEqualTo(new VmApi.CreateParams(null, null, null, null, null, null, null, null, null,
                null, null, null));
        assertThat(defaults.ws.guestPath()).isEqualTo("/root/repo");
        assertThat(defaults.ws.sync).isEmpty();
        assertThat(run("vm", "run", "--isolate", "-d").spec.params(false).isolate()).isTrue();
    }

    @Test
    void contradictionsAndAForgottenDashDashAreRefusedWithTheFix() {
        assertThatThrownBy(() -> run("vm", "run", "-d", "--rm")).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("-d and --rm contradict each other: a detached VM outlives this command");
        assertThatThrownBy(() -> run("vm", "run", "-d", "--", "true")).hasMessageStartingWith("-d takes no command");
        assertThatThrownBy(() -> run("--json", "vm", "run", "--", "true")).hasMessageStartingWith("--json: `banger vm run` prints the guest's session");
        assertThatThrownBy(() -> run("vm", "run", "make", "test")).hasMessage("put the command after --, e.g. banger vm run -- make test");
        assertThatThrownBy(() -> run("vm", "run", ".", "make", "test")).hasMessage("put the command after --, e.g. banger vm run . -- make test");
        assertThatThrownBy(() -> run("vm", "run", "--vcpu", "two")).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("Invalid value for option '--vcpu': 'two' is not an int");
        assertThatThrownBy(() -> run("vm", "run", "--nme", "x")).hasMessageContaining("Unknown option: '--nme'");
    }

    @Test
    void vmCreateAndWorkspacePrepareShareTheOptionsOfVmRun() {
        VmCreateCommand create = parsed(VmCreateCommand.class, "vm", "create", "--name", "c", "--vcpu", "4", "--no-start",
                "--from-snapshot", "s1", "-p", "1:2");
        assertThat(create.spec.params(create.noStart, create.fromSnapshot)).isEqualTo(new VmApi.CreateParams("c", null, null, 4, null, null,
                true, null, null, List.of("1:2"), "s1", null));

        VmWorkspacePrepareCommand prepare = parsed(VmWorkspacePrepareCommand.class, "vm", "workspace", "prepare", "box", "src",
                "--force", "--workdir", "/w", "--sync", "a:b");
        assertThat(prepare.vm).isEqualTo("box");
        assertThat(prepare.path).isEqualTo(Path.of("src"));
        assertThat(prepare.force).isTrue();
        assertThat(prepare.ws.guestPath()).isEqualTo("/w");
        assertThat(prepare.ws.sync).containsExactly("a:b");
        assertThatThrownBy(() -> parsed(VmWorkspacePrepareCommand.class, "vm", "workspace", "prepare", "box"))
                .hasMessage("Missing required parameter: 'PATH'");
    }
}
