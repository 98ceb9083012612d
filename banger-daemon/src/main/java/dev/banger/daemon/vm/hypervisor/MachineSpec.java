package dev.banger.daemon.vm.hypervisor;

import java.nio.file.Path;

/**
 * Everything a driver needs to start one VM.
 *
 * @param vmId       the VM's id (logs only)
 * @param name       the VM's name; QEMU shows it as {@code banger-NAME}
 * @param kernel     the kernel image to boot
 * @param initrd     its initramfs, or null
 * @param kernelArgs banger's own kernel arguments (init=, banger.ip=, ...); the driver adds console, panic and clock arguments
 * @param rootDisk   the root disk, the guest's /dev/vda
 * @param workDisk   the work disk, the guest's /dev/vdb, or null
 * @param tap        the host tap device for the guest's NIC, or null for no NIC
 * @param mac        the NIC's MAC address, or null for QEMU's default
 * @param runDir     the VM's own directory: the driver puts its control socket, pid file and console log here
 * @param restoreFrom a saved state ({@link HypervisorDriver#saveState}) the guest goes on from instead of booting, or null
 */
public record MachineSpec(String vmId, String name, int vcpu, int memoryMib, Path kernel, Path initrd, String kernelArgs,
                          Path rootDisk, DiskFormat rootFormat, Path workDisk, String tap, String mac, Path runDir, Path restoreFrom) {

    /** A spec that boots. */
    public MachineSpec(String vmId, String name, int vcpu, int memoryMib, Path kernel, Path initrd, String kernelArgs,
                       Path rootDisk, DiskFormat rootFormat, Path workDisk, String tap, String mac, Path runDir) {
        this(vmId, name, vcpu, memoryMib, kernel, initrd, kernelArgs, rootDisk, rootFormat, workDisk, tap, mac, runDir, null);
    }
}
