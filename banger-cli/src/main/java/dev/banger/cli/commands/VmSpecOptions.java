package dev.banger.cli.commands;

import dev.banger.core.api.VmApi;
import dev.banger.core.units.Sizes;
import picocli.CommandLine.Option;

/** The options {@code vm create} and {@code vm run} share: which image, and how big a VM. */
public final class VmSpecOptions {

    @Option(names = "--name", description = "VM name: lower-case letters, digits and '-' (default: generated). Reachable as NAME.vm.")
    String name;

    @Option(names = "--image", paramLabel = "IMAGE", description = "Image name, or an OCI reference to pull now (default: the daemon's default_image_name).")
    String image;

    @Option(names = "--kernel-ref", paramLabel = "KERNEL", description = "Kernel for an image pulled by --image REF.")
    String kernel;

    @Option(names = "--vcpu", description = "Virtual CPUs (default: vm_defaults.vcpu).")
    Integer vcpu;

    @Option(names = "--memory", description = "Memory: MiB, or a size like 1G (default: vm_defaults.memory_mib).")
    String memory;

    @Option(names = "--disk-size", paramLabel = "SIZE", description = "Size of the /root work disk, e.g. 8G (default: vm_defaults.disk_size).")
    String diskSize;

    @Option(names = "--nat", description = "Let the VM reach the host's networks and the internet (masquerade through the host).")
    boolean nat;

    @Option(names = "--isolate", negatable = true,
            description = "Keep other guests from reaching the VM and it from reaching them (default); --no-isolate lets it talk "
                    + "to the other --no-isolate VMs.")
    Boolean isolate;

    @Option(names = {"-p", "--publish"}, paramLabel = "[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|udp]",
            description = "Publish a host port to a guest port (repeatable); on 127.0.0.1 unless HOST_IP is written (0.0.0.0: every address).")
    java.util.List<String> publish;

    @Option(names = "--cold", description = "Boot the VM even where it could start warm from the image's template snapshot.")
    boolean cold;

    /** The vm.create params; sizes are checked here first, so a typo costs no round trip. */
    VmApi.CreateParams params(boolean noStart) {
        return params(noStart, null);
    }

    /** {@code fromSnapshot}: the snapshot a clone goes on from, or null to boot the image. */
    VmApi.CreateParams params(boolean noStart, String fromSnapshot) {
        if (diskSize != null) {
            Sizes.parse("--disk-size", diskSize);
        }
        return new VmApi.CreateParams(name, image, kernel, vcpu, memory, diskSize, noStart ? Boolean.TRUE : null,
                nat ? Boolean.TRUE : null, isolate, publish, fromSnapshot, cold ? Boolean.TRUE : null);
    }
}
