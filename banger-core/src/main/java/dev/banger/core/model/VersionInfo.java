package dev.banger.core.model;

/** Answer of {@code version}. */
public record VersionInfo(String version, String commit, String built, int protocol) {
}
