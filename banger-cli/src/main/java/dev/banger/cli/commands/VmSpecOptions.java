package dev.banger.cli.commands;

import static dev.banger.cli.commands.Binding.bind;

import dev.banger.core.api.VmApi;
import dev.banger.core.units.Sizes;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The options {@code vm create} and {@code vm run} share: which image, and how big a VM. Declared
 * in code like the commands that mix them in ({@link DeclaredCommand}).
 */
public final class VmSpecOptions {

    /** The name of this mixin in its commands' models. */
    static final String MIXIN = "spec";

    String name;
    String image;
    String kernel;
    Integer vcpu;
    String memory;
    String diskSize;
    boolean nat;
    Boolean isolate;
    List<String> publish;
    boolean cold;

    /** These options, to mix into a command's model ({@code CommandSpec.addMixin}). */
    CommandSpec mixin() {
        CommandSpec mixin = CommandSpec.wrapWithoutInspection(this);
        mixin.addOption(bind(OptionSpec.builder("--name").type(String.class).paramLabel("<name>"), () -> name, v -> name = v)
                .description("VM name: lower-case letters, digits and '-' (default: generated). Reachable as NAME.vm.").build());
        mixin.addOption(bind(OptionSpec.builder("--image").type(String.class).paramLabel("IMAGE"), () -> image, v -> image = v)
                .description("Image name, or an OCI reference to pull now (default: the daemon's default_image_name).").build());
        mixin.addOption(bind(OptionSpec.builder("--kernel-ref").type(String.class).paramLabel("KERNEL"), () -> kernel, v -> kernel = v)
                .description("Kernel for an image pulled by --image REF.").build());
        mixin.addOption(bind(OptionSpec.builder("--vcpu").type(Integer.class).paramLabel("<vcpu>"), () -> vcpu, v -> vcpu = v)
                .description("Virtual CPUs (default: vm_defaults.vcpu).").build());
        mixin.addOption(bind(OptionSpec.builder("--memory").type(String.class).paramLabel("<memory>"), () -> memory, v -> memory = v)
                .description("Memory: MiB, or a size like 1G (default: vm_defaults.memory_mib).").build());
        mixin.addOption(bind(OptionSpec.builder("--disk-size").type(String.class).paramLabel("SIZE"), () -> diskSize, v -> diskSize = v)
                .description("Size of the /root work disk, e.g. 8G (default: vm_defaults.disk_size).").build());
        mixin.addOption(bind(OptionSpec.builder("--nat").type(boolean.class).paramLabel("<nat>"), () -> nat, v -> nat = v)
                .description("Let the VM reach the host's networks and the internet (masquerade through the host).").build());
        mixin.addOption(bind(OptionSpec.builder("--isolate").type(Boolean.class).paramLabel("<isolate>").negatable(true),
                () -> isolate, v -> isolate = v)
                .description("Keep other guests from reaching the VM and it from reaching them (default); --no-isolate lets it talk "
                        + "to the other --no-isolate VMs.").build());
        mixin.addOption(bind(OptionSpec.builder("-p", "--publish").type(List.class).auxiliaryTypes(String.class)
                .paramLabel("[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|udp]"), () -> publish, v -> publish = v)
                .description("Publish a host port to a guest port (repeatable); on 127.0.0.1 unless HOST_IP is written (0.0.0.0: every address).")
                .build());
        mixin.addOption(bind(OptionSpec.builder("--cold").type(boolean.class).paramLabel("<cold>"), () -> cold, v -> cold = v)
                .description("Boot the VM even where it could start warm from the image's template snapshot.").build());
        return mixin;
    }

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
