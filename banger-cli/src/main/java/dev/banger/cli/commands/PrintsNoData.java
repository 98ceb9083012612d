package dev.banger.cli.commands;

/**
 * A command whose output is not data (a session, a copy, a script, a passthrough): --json on it is
 * a usage error rather than silently ignored.
 */
interface PrintsNoData {
}
