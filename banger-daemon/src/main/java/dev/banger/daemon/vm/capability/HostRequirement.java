package dev.banger.daemon.vm.capability;

import java.util.List;

/**
 * One host check a capability needs, as {@code banger doctor} prints it.
 *
 * @param name   the check's name, e.g. {@code nat: nftables}
 * @param status PASS, WARN or FAIL
 * @param detail what was found, then the fix (the package to install, the key to set), one line each
 */
public record HostRequirement(String name, Status status, List<String> detail) {

    public enum Status { PASS, WARN, FAIL }

    public HostRequirement {
        detail = List.copyOf(detail);
    }

    public static HostRequirement pass(String name, String... detail) {
        return new HostRequirement(name, Status.PASS, List.of(detail));
    }

    public static HostRequirement warn(String name, String... detail) {
        return new HostRequirement(name, Status.WARN, List.of(detail));
    }

    public static HostRequirement fail(String name, String... detail) {
        return new HostRequirement(name, Status.FAIL, List.of(detail));
    }
}
