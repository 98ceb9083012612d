package dev.banger.cli.commands;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "completion", description = {
        "Print a shell completion script.",
        "bash: source <(banger completion bash)",
        "zsh:  source <(banger completion zsh)   (the script enables bashcompinit itself)"})
public final class CompletionCommand implements Callable<Integer>, PrintsNoData {

    enum Shell { bash, zsh }

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SHELL", description = "The shell: bash or zsh.")
    Shell shell;

    @Override
    public Integer call() {
        RootCommand current = (RootCommand) spec.root().userObject();
        CommandLine root = RootCommand.fullCommandLine(new RootCommand(current.env(), current.terminal()));
        Invocation.of(spec).terminal().out().print(AutoComplete.bash(root.getCommandName(), root));
        Invocation.of(spec).terminal().out().flush();
        return 0;
    }
}
