package dev.banger.daemon.vm.hypervisor;

/**
 * How a driver runs guest CPUs on this host, and why.
 *
 * @param mode   {@code kvm} (hardware virtualisation) or {@code tcg} (QEMU's software CPU, ~20x slower)
 * @param reason one sentence a person can act on, for logs and {@code banger doctor}
 */
public record Acceleration(String mode, String reason) {

    public static final String KVM = "kvm";
    public static final String TCG = "tcg";

    public boolean isKvm() {
        return KVM.equals(mode);
    }
}
