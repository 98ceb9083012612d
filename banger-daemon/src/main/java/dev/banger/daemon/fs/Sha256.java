package dev.banger.daemon.fs;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The daemon's SHA-256 (and file digest) helper, lower-case hex. OCI digests, which carry their
 * algorithm ({@code sha256:...}), are {@code image.oci.Digests}'s.
 */
public final class Sha256 {

    private Sha256() {
    }

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    /** The hex of a digest fed elsewhere (it is reset). */
    public static String hex(MessageDigest finished) {
        return HexFormat.of().formatHex(finished.digest());
    }

    /** The hex SHA-256 of {@code parts} one after the other. */
    public static String hex(byte[]... parts) {
        MessageDigest md = newDigest();
        for (byte[] p : parts) {
            md.update(p);
        }
        return hex(md);
    }

    public static String hex(String text) {
        return hex(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The hex SHA-256 of {@code file}. */
    public static String ofFile(Path file) throws IOException {
        return ofFile(file, newDigest());
    }

    /**
     * The hex digest of {@code file} by {@code md} (any algorithm), read in 64 KiB pieces; an
     * interrupt of the thread (a cancel) ends it between reads with an InterruptedIOException.
     */
    public static String ofFile(Path file, MessageDigest md) throws IOException {
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedIOException("digest of " + file + " interrupted");
                }
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
