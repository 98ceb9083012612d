package dev.banger.daemon.vm.identity;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The host end of a guest's identity port: a virtio-serial port whose host side is a Unix socket
 * QEMU listens on in the VM's dir ({@code identity.sock}). One exchange: bangerd sends a
 * {@link GuestIdentity} with a nonce, the guest's agent applies it and answers {@code ok NONCE
 * TYPE KEY} with the SSH host key it made, which bangerd then pins. Learnt over this channel, not
 * the network, the key is trusted as the VM's own: no one on the bridge can answer in its place.
 */
public final class IdentityChannel {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_ANSWER = 4096;

    /** The host key the guest now serves: its type ("ssh-ed25519") and base64 blob. */
    public record HostKey(String type, String base64) {
    }

    private IdentityChannel() {
    }

    /** A fresh machine id and {@code bytes} random bytes, hex. */
    public static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * Sends {@code identity} over {@code link} and waits up to {@code timeout} for the agent's answer
     * (see {@link IdentityLink} for when the agent reads at once and when at its next poll).
     */
    public static HostKey apply(IdentityLink link, GuestIdentity identity, String vmName, Duration timeout) {
        String nonce = randomHex(8);
        CompletableFuture<String> answer = new CompletableFuture<>();
        try {
            SocketChannel channel = link.channel(timeout);
            channel.write(ByteBuffer.wrap(identity.line(nonce).getBytes(StandardCharsets.UTF_8)));
            Thread.ofVirtual().name("identity-" + vmName).start(() -> {
                try {
                    answer.complete(readAnswer(channel, nonce));
                } catch (IOException | RuntimeException e) {
                    answer.completeExceptionally(e);
                }
            });
            return parse(answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS), nonce, vmName);
        } catch (TimeoutException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "VM " + vmName + "'s guest did not apply its identity within "
                    + timeout.toSeconds() + " s (is the snapshot's image's guest init older than the identity agent?)");
        } catch (ExecutionException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "VM " + vmName + ": the identity port failed: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "VM " + vmName + ": cannot reach its identity port: "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "VM " + vmName + ": cancelled while its identity was applied");
        }
    }

    /** The first line that answers this nonce (a line an earlier, abandoned exchange left is skipped). */
    private static String readAnswer(SocketChannel channel, String nonce) throws IOException {
        StringBuilder line = new StringBuilder();
        ByteBuffer buf = ByteBuffer.allocate(512);
        while (true) {
            buf.clear();
            if (channel.read(buf) < 0) {
                throw new IOException("the guest closed the port without answering");
            }
            buf.flip();
            while (buf.hasRemaining()) {
                char c = (char) buf.get();
                if (c == '\n') {
                    String l = line.toString().strip();
                    line.setLength(0);
                    String[] words = l.split(" ");
                    if (words.length >= 2 && words[1].equals(nonce)) {
                        return l;
                    }
                } else if (line.length() < MAX_ANSWER) {
                    line.append(c);
                }
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedIOException();
            }
        }
    }

    private static HostKey parse(String answer, String nonce, String vmName) {
        String[] w = answer.split(" ");
        if (w[0].equals("ok") && w.length == 4 && w[2].startsWith("ssh-")) {
            return new HostKey(w[2], w[3]);
        }
        throw new BangerException(ErrorCode.OPERATION_FAILED, "VM " + vmName + "'s guest could not apply its identity: "
                + answer.replace(nonce, "").replaceAll("\\s+", " ").strip());
    }
}
