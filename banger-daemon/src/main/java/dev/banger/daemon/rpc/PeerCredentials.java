package dev.banger.daemon.rpc;

/** Who is on the other end of a connection, from the kernel (SO_PEERCRED). */
public record PeerCredentials(int pid, int uid, int gid) {
    public String describe() {
        return "uid " + uid + " pid " + pid;
    }
}
