package dev.banger.daemon.rpc;

import jnr.posix.Group;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import jnr.posix.Passwd;
import java.util.Arrays;

/**
 * Who may talk to the daemon: root, the daemon's own user, and members of the {@code banger}
 * group (primary or supplementary). Checked per connection, so joining or leaving the group takes
 * effect on the next command. The socket's 0660 mode is the first fence; this is the second, for
 * a socket whose mode was loosened by mistake.
 */
public final class PeerPolicy {

    public static final String GROUP = "banger";

    private final POSIX posix;
    private final int daemonUid;
    private final String group;

    PeerPolicy(POSIX posix, int daemonUid, String group) {
        this.posix = posix;
        this.daemonUid = daemonUid;
        this.group = group;
    }

    public static PeerPolicy forThisProcess() {
        POSIX posix = POSIXFactory.getNativePOSIX();
        return new PeerPolicy(posix, posix.getuid(), GROUP);
    }

    /** Root and the daemon's own user: connections are kept in reserve for them. */
    public boolean privileged(PeerCredentials peer) {
        return peer.uid() == 0 || peer.uid() == daemonUid;
    }

    /** Null when the peer may connect, else the reason it may not. */
    public String denyReason(PeerCredentials peer) {
        if (privileged(peer) || inGroup(peer)) {
            return null;
        }
        Passwd pw = posix.getpwuid(peer.uid());
        String who = pw == null ? "uid " + peer.uid() : "user " + pw.getLoginName() + " (uid " + peer.uid() + ")";
        return who + " may not use bangerd: only root, the daemon's user and members of group '" + group
                + "' may (sudo usermod -aG " + group + " " + (pw == null ? "USER" : pw.getLoginName())
                + ", then log in again)";
    }

    private boolean inGroup(PeerCredentials peer) {
        Group g = posix.getgrnam(group);
        if (g == null) {
            return false;
        }
        if (peer.gid() == g.getGID()) {
            return true;
        }
        Passwd pw = posix.getpwuid(peer.uid());
        if (pw == null) {
            return false;
        }
        if (pw.getGID() == g.getGID()) {
            return true;
        }
        String[] members = g.getMembers();
        return members != null && Arrays.asList(members).contains(pw.getLoginName());
    }
}
