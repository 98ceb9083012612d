package dev.banger.daemon.vm.boot;

/**
 * One stage of a VM start. Its name is streamed to the CLI as progress; {@link #undo} gives back
 * what {@link #run} acquired, and is also called when {@code run} itself failed half-way, so it must
 * cope with a partial result.
 */
public interface BootStep {

    String name();

    void run(BootContext boot) throws Exception;

    default void undo(BootContext boot) throws Exception {
    }
}
