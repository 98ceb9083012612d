package dev.banger.daemon.workspace;

import dev.banger.daemon.vm.ssh.GuestSsh;
import java.nio.file.Path;

/** A running VM as the workspace sees it: where its sshd answers, and its dir for the ship record. */
public record Guest(String name, String ip, int port, Path vmDir, GuestSsh ssh) {
}
