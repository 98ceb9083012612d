package dev.banger.daemon.vm.hypervisor;

import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;

/**
 * The account a VMM drops to (config key {@code vmm_user}), looked up on the host at each launch,
 * so a user created after bangerd started counts. {@code root} is the explicit opt-out.
 */
public record VmmUser(String name, int uid, int gid) {

    static final String ROOT = "root";

    public boolean isRoot() {
        return uid == 0;
    }

    /**
     * The passwd entry of {@code name} (through NSS: getent); a bad request naming the user, the key
     * and how to create it when there is none.
     */
    public static VmmUser lookUp(String name, CommandRunner runner) {
        if (name.equals(ROOT)) {
            return new VmmUser(ROOT, 0, 0);
        }
        CommandResult r = runner.runAllowingFailure(Command.of("getent", "passwd", name));
        String[] f = r.ok() ? r.stdout().strip().split(":") : new String[0];
        if (f.length < 4 || !f[2].matches("\\d+") || !f[3].matches("\\d+")) {
            throw BangerException.badRequest("the VMM user `" + name + "` (config key vmm_user) does not exist on this host: create it"
                    + " with `useradd --system --no-create-home --shell /usr/sbin/nologin --user-group " + name + "` (`banger system"
                    + " install` and scripts/host-setup.sh do this for banger-vmm), or set vmm_user = \"root\" to run VMMs as root"
                    + " (not recommended: a VMM escape is then root)");
        }
        return new VmmUser(name, Integer.parseInt(f[2]), Integer.parseInt(f[3]));
    }

    /** True when this process can change to another uid (QEMU's -runas and the jailer need root). */
    static boolean daemonIsRoot() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }
}
