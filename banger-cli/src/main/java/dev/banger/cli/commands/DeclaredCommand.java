package dev.banger.cli.commands;

import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A command whose picocli model is declared in code instead of by annotations. Reading a class's
 * annotations makes the JVM spin a dynamic proxy class per annotation type (and, for
 * {@code @Command}, for its meta-annotations), ~20 ms that no AOT cache in JDK 25 keeps; the root
 * and the commands scripts call most ({@code ping}, {@code version}) avoid that, and so does the
 * path of banger's main job ({@code vm run}, with the commands that share its options). The spec is the
 * command's one description: help, completion and man pages are made from it like from an
 * annotated command's. {@link RootCommand} finds these commands by name without reading any
 * annotation ({@code RootCommand.DECLARED}). A group of declared commands is declared too: picocli
 * builds an annotated group's subcommands from their annotations.
 */
interface DeclaredCommand {

    /** The command's model, wrapping this instance (its name, description and options). */
    CommandSpec spec();

    /** A group's subcommands, in help order; {@link RootCommand} builds only the one a command line names. */
    default List<Class<?>> subcommands() {
        return List.of();
    }
}
