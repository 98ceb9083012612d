/**
 * SSH from bangerd into its guests: banger's own key pair and known_hosts ({@link
 * dev.banger.daemon.vm.ssh.SshKeys}), waiting for a booting guest's sshd and running commands in it
 * ({@link dev.banger.daemon.vm.ssh.GuestSsh}). Built on JSch, so no {@code ssh} process per probe.
 * It knows nothing of VMs: callers pass addresses, names and timeouts, which keeps it free of a
 * dependency on {@code dev.banger.daemon.vm}.
 */
package dev.banger.daemon.vm.ssh;
