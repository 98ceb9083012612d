package dev.banger.daemon.vm.hypervisor;

import java.util.List;

/**
 * The bodies banger PUTs to Firecracker, one record per definition of firecracker-api.yaml that
 * it uses, with only the fields it sets (Jackson writes them in snake_case and leaves nulls out).
 * The contract test validates each against the definition.
 */
final class FirecrackerRequests {

    private FirecrackerRequests() {
    }

    record Logger(String logPath, String level, boolean showLevel, boolean showLogOrigin) {
    }

    record Metrics(String metricsPath) {
    }

    record MachineConfiguration(int vcpuCount, int memSizeMib) {
    }

    record BootSource(String kernelImagePath, String initrdPath, String bootArgs) {
    }

    record Drive(String driveId, String pathOnHost, boolean isRootDevice, boolean isReadOnly) {
    }

    record NetworkInterface(String ifaceId, String hostDevName, String guestMac) {
    }

    record Vsock(int guestCid, String udsPath) {
    }

    record InstanceActionInfo(String actionType) {
    }

    /** {@code Paused} or {@code Resumed}: PATCH /vm. */
    record Vm(String state) {
    }

    /** PUT /snapshot/create: {@code Full}, written while the VM is paused. */
    record SnapshotCreateParams(String snapshotType, String snapshotPath, String memFilePath) {
    }

    /** {@code File}: Firecracker maps the memory file private (copy-on-write) instead of reading it in. */
    record MemoryBackend(String backendType, String backendPath) {
    }

    /** Points a restored NIC at this host tap instead of the one its saved state names. */
    record NetworkOverride(String ifaceId, String hostDevName) {
    }

    /** PUT /snapshot/load, on a fresh process: only the logger and metrics may be configured before it. */
    record SnapshotLoadParams(String snapshotPath, MemoryBackend memBackend, boolean resumeVm, List<NetworkOverride> networkOverrides) {
    }
}
