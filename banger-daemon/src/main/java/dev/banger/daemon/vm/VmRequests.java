package dev.banger.daemon.vm;

import dev.banger.core.api.VmApi.CreateParams;
import dev.banger.core.units.Sizes;
import dev.banger.core.config.VmSettings;
import dev.banger.core.rpc.BangerException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Checks what a client asks of a VM before anything is reserved or touched. */
final class VmRequests {

    /** DNS label rules, lower case: the name becomes {@code <name>.vm} and a directory-safe word. */
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    private VmRequests() {
    }

    static String name(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw BangerException.invalidArgument("VM name '" + name + "' is not allowed: use 1 to 63 lower-case letters, digits and"
                    + " '-', starting with a letter or digit (it becomes <name>.vm)");
        }
        return name;
    }

    /** The same rules as a VM's name: a snapshot name is a directory-safe word too. */
    static String snapshotName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw BangerException.invalidArgument("snapshot name '" + name + "' is not allowed: use 1 to 63 lower-case letters, digits"
                    + " and '-', starting with a letter or digit");
        }
        return name;
    }

    /**
     * A clone is the snapshot's machine on the snapshot's image: options that would change either
     * are refused rather than ignored, and it starts at once (its first start makes its disks).
     */
    static void cloneOptions(CreateParams p) {
        List<String> given = new ArrayList<>();
        if (p.image() != null) {
            given.add("--image");
        }
        if (p.kernel() != null) {
            given.add("--kernel-ref");
        }
        if (p.vcpu() != null) {
            given.add("--vcpu");
        }
        if (p.memory() != null) {
            given.add("--memory");
        }
        if (p.diskSize() != null) {
            given.add("--disk-size");
        }
        if (Boolean.TRUE.equals(p.noStart())) {
            given.add("--no-start");
        }
        if (Boolean.TRUE.equals(p.cold())) {
            given.add("--cold");
        }
        if (!given.isEmpty()) {
            throw BangerException.invalidArgument(String.join(", ", given) + (given.size() > 1 ? " do" : " does")
                    + " not go with --from-snapshot: a clone is the snapshot's machine (its vCPUs, memory, disk size and image,"
                    + " which its saved memory needs) and starts at once");
        }
    }

    static int vcpu(Integer vcpu, int fallback) {
        int v = vcpu == null ? fallback : vcpu;
        if (v < 1 || v > VmSettings.MAX_VCPU) {
            throw BangerException.invalidArgument("--vcpu " + v + " is out of range: use 1 to " + VmSettings.MAX_VCPU);
        }
        return v;
    }

    /** Memory as MiB: a bare number is MiB ("512"), or a size with a suffix ("1G"). */
    static int memoryMib(String memory, int fallback) {
        long mib;
        if (memory == null || memory.isBlank()) {
            mib = fallback;
        } else if (memory.strip().matches("-?\\d+")) {
            // More digits than a long holds is as out of range as any other too-large number.
            mib = memory.strip().length() > 18 ? Long.MAX_VALUE : Long.parseLong(memory.strip());
        } else {
            mib = Sizes.parse("--memory", memory) >> 20;
        }
        if (mib < VmSettings.MIN_MEMORY_MIB || mib > VmSettings.MAX_MEMORY_MIB) {
            throw BangerException.invalidArgument("--memory " + memory + " is out of range: use " + VmSettings.MIN_MEMORY_MIB + " MiB to "
                    + VmSettings.MAX_MEMORY_MIB / 1024 + " GiB (a bare number is MiB; 1G works too)");
        }
        return (int) mib;
    }

    static long diskBytes(String size, long fallback) {
        long bytes = size == null || size.isBlank() ? fallback : Sizes.parse("--disk-size", size);
        if (bytes < VmSettings.MIN_DISK_BYTES || bytes > VmSettings.MAX_DISK_BYTES) {
            throw BangerException.invalidArgument("--disk-size " + size + " is out of range: use 64M to 2T");
        }
        return bytes;
    }
}
