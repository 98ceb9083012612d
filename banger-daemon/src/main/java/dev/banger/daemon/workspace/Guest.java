package dev.banger.daemon.workspace;

import java.nio.file.Path;

/**
 * A running VM as the workspace sees it: where its sshd answers, banger's key and the known_hosts
 * that pins its host key, and its dir for the ship record.
 */
public record Guest(String name, String ip, int port, Path vmDir, Path identity, Path knownHosts) {
}
