/**
 * What a running guest listens on: {@link dev.banger.daemon.vm.ports.GuestPorts} runs one small
 * POSIX sh script in the guest over banger's SSH, reads the kernel's socket tables and the
 * processes' descriptors from its output ({@link dev.banger.daemon.vm.ports.ListeningSockets}),
 * then asks each reachable TCP port from the host whether it speaks HTTP ({@link
 * dev.banger.daemon.vm.ports.HttpProbe}). Knows nothing of VM records: callers pass a name and an
 * address.
 */
package dev.banger.daemon.vm.ports;
