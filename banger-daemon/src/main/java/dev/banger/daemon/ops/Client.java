package dev.banger.daemon.ops;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Who asked for an operation (the kernel's word for the socket peer: pid, uid, gid) and the byte
 * streams that came with the request. Files a caller names are never opened by bangerd with its
 * own rights: the CLI opens them as the user and sends their bytes as a stream.
 */
public record Client(long pid, int uid, int gid, Streams streams) {

    /** The streams a client opened beside its request, by the token it put in the params. */
    public interface Streams {
        /** The bytes the client uploads under {@code token}; read to -1 (the clean end) or it is a failure. */
        InputStream upload(String token);

        /** Where the bytes the client downloads under {@code token} go; close() ends the stream cleanly. */
        OutputStream download(String token);

        Streams NONE = new Streams() {
            @Override
            public InputStream upload(String token) {
                throw none();
            }

            @Override
            public OutputStream download(String token) {
                throw none();
            }

            private BangerException none() {
                return new BangerException(ErrorCode.BAD_REQUEST, "this request came without a byte stream connection");
            }
        };
    }

    /** Work the daemon starts itself, or a test calling a service directly: no socket peer. */
    public static Client inProcess() {
        return new Client(ProcessHandle.current().pid(), -1, -1, Streams.NONE);
    }

    /** bangerd's own uid: a caller with it (a development daemon run by its user) has bangerd's rights already. */
    private static final int DAEMON_UID = (int) new com.sun.security.auth.module.UnixSystem().getUid();

    /**
     * Whether bangerd may open a host path this client names: only when the client's own rights
     * are already bangerd's (root, bangerd's own user, or bangerd itself). Anyone else sends the
     * bytes as a stream, read with their own rights (docs/privileges.md).
     */
    public boolean mayNameHostPaths() {
        return uid < 0 || uid == 0 || uid == DAEMON_UID;
    }

    /**
     * Refuses {@code param}, a host path, unless {@link #mayNameHostPaths}; {@code streamParam} is
     * the param that carries the same bytes as a stream instead.
     */
    public void requireHostPathRights(String param, String streamParam) {
        if (!mayNameHostPaths()) {
            throw new BangerException(ErrorCode.UNAUTHORIZED, "'" + param + "' names a host path, and bangerd opens "
                    + "host paths only for root: send the bytes as a stream in '" + streamParam
                    + "' (the banger CLI does, reading the file with your rights)");
        }
    }

    public String describe() {
        return uid < 0 ? "bangerd" : "uid " + uid + " pid " + pid;
    }
}
