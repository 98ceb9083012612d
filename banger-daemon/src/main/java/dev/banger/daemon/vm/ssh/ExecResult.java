package dev.banger.daemon.vm.ssh;

/**
 * What a command run in a guest left.
 *
 * @param exitCode its exit status, or -1 when it ended without one (killed by a signal)
 * @param stdout   its standard output
 * @param stderr   its standard error
 */
public record ExecResult(int exitCode, String stdout, String stderr) {
}
