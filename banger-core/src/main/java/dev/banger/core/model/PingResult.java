package dev.banger.core.model;

/** Answer of {@code ping}: the daemon is alive, which one it is, and for how long. */
public record PingResult(String version, long pid, long uptimeMs) {
}
