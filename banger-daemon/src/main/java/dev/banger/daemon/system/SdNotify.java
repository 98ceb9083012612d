package dev.banger.daemon.system;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;

/**
 * sd_notify(3): tells systemd (Type=notify) that bangerd is ready, by a datagram to
 * {@code $NOTIFY_SOCKET}. The JDK's Unix sockets are stream-only, so this uses jnr-unixsocket,
 * already the daemon's socket library. Without {@code $NOTIFY_SOCKET} (not under systemd) it does nothing.
 */
public final class SdNotify {

    public static final String ENV = "NOTIFY_SOCKET";

    private SdNotify() {
    }

    /** Sends {@code READY=1}; returns whether there was a socket to send it to. */
    public static boolean ready(Map<String, String> env) throws IOException {
        return send(env, "READY=1\nSTATUS=serving\n");
    }

    static boolean send(Map<String, String> env, String state) throws IOException {
        String target = env.get(ENV);
        if (target == null || target.isEmpty()) {
            return false;
        }
        // "@name" is a socket in the abstract namespace: a leading NUL byte on the wire.
        String path = target.startsWith("@") ? "\0" + target.substring(1) : target;
        try (UnixDatagramChannel ch = UnixDatagramChannel.open()) {
            ch.send(ByteBuffer.wrap(state.getBytes(StandardCharsets.UTF_8)), new UnixSocketAddress(path));
        }
        return true;
    }
}
