package dev.banger.daemon.image.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** sha256 digests, the only algorithm banger accepts ({@code sha256:} and 64 lower-case hex digits). */
final class Digests {

    private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");

    private Digests() {
    }

    static boolean isSha256(String digest) {
        return digest != null && SHA256.matcher(digest).matches();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    static String of(MessageDigest finished) {
        return "sha256:" + HexFormat.of().formatHex(finished.digest());
    }

    static String of(byte[] data) {
        MessageDigest md = sha256();
        md.update(data);
        return of(md);
    }

    /** The hex part of a sha256 digest; the caller has checked it with {@link #isSha256}. */
    static String hex(String digest) {
        return digest.substring("sha256:".length());
    }
}
