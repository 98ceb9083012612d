package dev.banger.daemon.rpc;

import java.io.IOException;
import jnr.unixsocket.UnixSocketChannel;

/**
 * Shuts down and closes one connection's socket, each at most once and never after the close.
 * jnr's {@code shutdownInput}/{@code shutdownOutput} act on the descriptor number without checking
 * that the channel is still open, so a second hang-up after a close (a stream's pump closing its
 * connection, then the connection's own clean-up) shut down whatever socket the kernel had given
 * that number to meanwhile: another client's connection, cut at random.
 */
final class ChannelCloser {

    private final UnixSocketChannel channel;
    private boolean closed;

    ChannelCloser(UnixSocketChannel channel) {
        this.channel = channel;
    }

    /** Ends reads (a blocked native read is woken by shutdown, not by close); on failure, closes. */
    synchronized void shutdownInput() {
        if (closed) {
            return;
        }
        try {
            channel.shutdownInput();
        } catch (IOException e) {
            close();
        }
    }

    /** Ends writes: wakes a writer blocked on a client that does not read. */
    synchronized void shutdownOutput() {
        if (closed) {
            return;
        }
        try {
            channel.shutdownOutput();
        } catch (IOException ignored) {
            // Not connected any more: nothing is blocked on it.
        }
    }

    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // Already gone.
        }
    }
}
