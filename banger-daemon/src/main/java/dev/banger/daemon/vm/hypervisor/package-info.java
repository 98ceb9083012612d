/**
 * Hypervisor drivers: start, watch, stop and re-adopt the process that runs one VM. A driver turns
 * a {@link dev.banger.daemon.vm.hypervisor.MachineSpec} (kernel, disks, tap, sizes) into a running
 * VMM and a {@link dev.banger.daemon.vm.hypervisor.MachineProcess} record that identifies it across
 * daemon restarts. {@link dev.banger.daemon.vm.hypervisor.Hypervisors#select} picks the driver from
 * the config; today that is QEMU ({@code -M microvm}, daemonized, controlled over QMP), with KVM when
 * the host really has it and TCG otherwise. Knows nothing of VM records, images or networks: the VM
 * service above it does.
 */
package dev.banger.daemon.vm.hypervisor;
