package dev.banger.cli.workspace;

/** A work tree banger will not ship as it is (not a repository, a name it cannot carry, ...): the user's to fix. */
public final class WorkspaceException extends RuntimeException {
    public WorkspaceException(String message) {
        super(message);
    }
}
