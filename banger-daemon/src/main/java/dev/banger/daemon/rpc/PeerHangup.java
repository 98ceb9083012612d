package dev.banger.daemon.rpc;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Tells a client that has hung up from one that only finished sending. After reading EOF both
 * look alike; poll(2) does not: a peer that closed its socket gives POLLHUP, one that only shut
 * down its writing side (socat, {@code nc -N}) gives just POLLRDHUP and still waits for answers.
 */
final class PeerHangup {

    private static final short POLLERR = 0x008;
    private static final short POLLHUP = 0x010;
    private static final short POLLRDHUP = 0x2000;

    public interface LibC {
        int poll(Pointer fds, long nfds, int timeoutMillis);
    }

    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private PeerHangup() {
    }

    /** True when the peer of {@code fd} has closed its socket entirely (it can no longer read answers). */
    static boolean peerClosed(int fd) {
        Pointer pollfd = Memory.allocateDirect(RUNTIME, 8); // struct pollfd { int fd; short events; short revents; }
        pollfd.putInt(0, fd);
        pollfd.putShort(4, POLLRDHUP);
        pollfd.putShort(6, (short) 0);
        if (LIBC.poll(pollfd, 1, 0) < 0) {
            return true;
        }
        return (pollfd.getShort(6) & (POLLHUP | POLLERR)) != 0;
    }
}
