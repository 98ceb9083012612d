package dev.banger.cli.commands;

/**
 * A command line that cannot be carried out as written, found after parsing (e.g. deleting a
 * running VM without --force). Exits 2 like picocli's own usage errors.
 */
public final class UsageException extends RuntimeException {

    public UsageException(String message) {
        super(message);
    }
}
