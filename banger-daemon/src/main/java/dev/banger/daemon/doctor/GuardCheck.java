package dev.banger.daemon.doctor;

import dev.banger.core.model.DoctorCheck;
import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.network.guard.GuestGuard;
import java.util.List;

/**
 * Every VM start puts a guard on the guest's tap (its own MAC and address only, isolation from other
 * guests) with nftables' bridge family; without it starts are refused. Asks the guard itself, whose
 * probe has the kernel check banger's table ({@code nft -c}) without applying anything.
 */
record GuardCheck(GuestGuard guard) implements Check {

    @Override
    public String name() {
        return "guest guard";
    }

    @Override
    public DoctorCheck run() {
        try {
            return DoctorCheck.pass(name(), guard.probe());
        } catch (BangerException e) {
            if (e.getMessage().contains("Operation not permitted")) {
                return DoctorCheck.warn(name(), List.of("nft cannot ask the kernel as " + System.getProperty("user.name")),
                        "run `banger doctor` while bangerd runs (it checks as root), or `sudo banger doctor`");
            }
            return DoctorCheck.fail(name(), List.of(e.getMessage()),
                    "apt-get install nftables (a kernel with nf_tables and its bridge family): without the guard, VMs do not start");
        }
    }
}
