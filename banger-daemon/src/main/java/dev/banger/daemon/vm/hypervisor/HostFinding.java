package dev.banger.daemon.vm.hypervisor;

/**
 * One thing a host check found, for {@code banger doctor} to print.
 *
 * @param check  what was checked ("firecracker version")
 * @param ok     true when it is as banger needs it
 * @param detail what was found, one sentence
 * @param fix    what to do about it when not ok, else null
 */
public record HostFinding(String check, boolean ok, String detail, String fix) {

    static HostFinding ok(String check, String detail) {
        return new HostFinding(check, true, detail, null);
    }

    static HostFinding problem(String check, String detail, String fix) {
        return new HostFinding(check, false, detail, fix);
    }
}
