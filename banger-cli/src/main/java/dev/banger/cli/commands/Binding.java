package dev.banger.cli.commands;

import java.util.function.Consumer;
import java.util.function.Supplier;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * A picocli getter and setter over one field of a command declared in code
 * ({@link DeclaredCommand}): plain lambdas instead of picocli's reflective field access.
 */
record Binding<T>(Supplier<T> read, Consumer<T> write) implements IGetter, ISetter {

    /**
     * {@code option}, reading and writing its field through {@code read} and {@code write}. The
     * field's value now is the initial value picocli restores before each parse, as for an
     * annotated field.
     */
    static <T> OptionSpec.Builder bind(OptionSpec.Builder option, Supplier<T> read, Consumer<T> write) {
        Binding<T> binding = new Binding<>(read, write);
        return option.getter(binding).setter(binding).initialValue(read.get());
    }

    /** {@code parameter}, like {@link #bind(OptionSpec.Builder, Supplier, Consumer)}. */
    static <T> PositionalParamSpec.Builder bind(PositionalParamSpec.Builder parameter, Supplier<T> read, Consumer<T> write) {
        Binding<T> binding = new Binding<>(read, write);
        return parameter.getter(binding).setter(binding).initialValue(read.get());
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V> V get() {
        return (V) read.get();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V> V set(V value) {
        T old = read.get();
        write.accept((T) value);
        return (V) old;
    }
}
