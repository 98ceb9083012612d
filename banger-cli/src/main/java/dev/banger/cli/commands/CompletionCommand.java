package dev.banger.cli.commands;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "completion", description = {
        "Print a shell completion script for bash, zsh or fish.",
        "bash: source <(banger completion bash)",
        "zsh:  source <(banger completion zsh)",
        "fish: banger completion fish | source",
        "It completes commands and options, and VM, image and kernel names from the running bangerd."})
public final class CompletionCommand implements Callable<Integer>, PrintsNoData {

    enum Shell { bash, zsh, fish }

    /** Every script asks `banger __complete -- WORD... CURRENT` (see CompleteCommand) and shows what it prints. */
    private static final String BASH = """
            # banger completion for bash: source <(banger completion bash)
            _banger() {
                local cur=${COMP_WORDS[COMP_CWORD]} IFS=$'\\n' line directive
                local -a out
                out=($("${COMP_WORDS[0]}" __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
                directive=${out[${#out[@]}-1]}
                COMPREPLY=()
                for line in "${out[@]:0:${#out[@]}-1}"; do
                    COMPREPLY+=("${line%%$'\\t'*}")
                done
                if [ "$directive" = ":files" ]; then
                    compopt -o filenames 2>/dev/null
                    COMPREPLY+=($(compgen -f -- "$cur"))
                fi
            }
            complete -F _banger banger
            """;

    private static final String ZSH = """
            #compdef banger
            # banger completion for zsh: source <(banger completion zsh)
            _banger() {
                local -a out words_ shown
                local line directive
                out=("${(@f)$(${words[1]} __complete -- "${(@)words[2,CURRENT]}" 2>/dev/null)}")
                directive=${out[-1]}
                for line in "${(@)out[1,-2]}"; do
                    words_+=("${line%%$'\\t'*}")
                    if [[ $line == *$'\\t'* ]]; then shown+=("${line%%$'\\t'*}  -- ${line#*$'\\t'}"); else shown+=("${line}"); fi
                done
                (( ${#words_} )) && compadd -l -d shown -a words_
                [[ $directive == :files ]] && _files
                return 0
            }
            if (( ! $+functions[compdef] )); then
                autoload -Uz compinit && compinit
            fi
            compdef _banger banger
            """;

    private static final String FISH = """
            # banger completion for fish: banger completion fish | source
            function __banger_complete
                set -l tokens (commandline -opc)
                set -l current (commandline -ct)
                set -l out ($tokens[1] __complete -- $tokens[2..-1] "$current" 2>/dev/null)
                set -l directive $out[-1]
                set -e out[-1]
                test (count $out) -gt 0; and printf '%s\\n' $out
                if test "$directive" = ":files"
                    __fish_complete_path "$current"
                end
            end
            complete -c banger -f -a '(__banger_complete)'
            """;

    private final RootCommand root;

    @Parameters(paramLabel = "SHELL", description = "The shell: bash, zsh or fish.")
    Shell shell;

    CompletionCommand(RootCommand root) {
        this.root = root;
    }

    @Override
    public Integer call() {
        root.terminal().out().print(switch (shell) {
            case bash -> BASH;
            case zsh -> ZSH;
            case fish -> FISH;
        });
        root.terminal().out().flush();
        return 0;
    }
}
