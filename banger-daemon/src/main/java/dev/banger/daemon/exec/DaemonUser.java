package dev.banger.daemon.exec;

import com.sun.security.auth.module.UnixSystem;

/** Who this process runs as (bangerd runs as root; tests and development builds may not). */
public final class DaemonUser {

    private DaemonUser() {
    }

    public static long uid() {
        return new UnixSystem().getUid();
    }

    public static boolean isRoot() {
        return uid() == 0;
    }
}
