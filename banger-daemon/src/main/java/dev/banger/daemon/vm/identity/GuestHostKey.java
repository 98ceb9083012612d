package dev.banger.daemon.vm.identity;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.EdECPrivateKey;
import java.util.Arrays;
import java.util.Base64;

/**
 * A clone's new SSH host key, made by bangerd rather than in the guest: under an emulated CPU the
 * guest's ssh-keygen costs a noticeable part of a warm start, and bangerd knows at once the key it
 * pins. The private half goes to the guest only over its identity port, as the body of an OpenSSH
 * private key file ({@code openssh-key-v1}, unencrypted, what {@code ssh-keygen -t ed25519 -N ''}
 * writes); it is never logged ({@link #toString()} shows the public half only).
 */
public final class GuestHostKey {

    private static final String TYPE = "ssh-ed25519";
    private static final int RAW_KEY = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] publicKey;
    private final byte[] seed;
    /** The file format's "check int", written twice: a reader tells a wrong passphrase by a mismatch. */
    private final int check = RANDOM.nextInt();

    private GuestHostKey(byte[] publicKey, byte[] seed) {
        this.publicKey = publicKey;
        this.seed = seed;
    }

    /** A fresh Ed25519 key pair from the JDK. */
    public static GuestHostKey generate() {
        try {
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            // X.509 SubjectPublicKeyInfo of Ed25519 ends with the 32 raw bytes of the key.
            byte[] x509 = pair.getPublic().getEncoded();
            byte[] seed = ((EdECPrivateKey) pair.getPrivate()).getBytes().orElseThrow();
            return new GuestHostKey(Arrays.copyOfRange(x509, x509.length - RAW_KEY, x509.length), seed);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make Ed25519 keys", e);
        }
    }

    /** The public half as known_hosts and the identity agent's answer spell it. */
    public IdentityChannel.HostKey publicKey() {
        return new IdentityChannel.HostKey(TYPE, Base64.getEncoder().encodeToString(publicBlob()));
    }

    /**
     * The base64 body of the OpenSSH private key file, on one line (OpenSSH ignores how the body is
     * wrapped): the guest writes it between the file's BEGIN and END lines.
     */
    String privateKeyBody() {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.writeBytes("openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII));
        putString(file, "none".getBytes(StandardCharsets.US_ASCII)); // cipher
        putString(file, "none".getBytes(StandardCharsets.US_ASCII)); // kdf
        putString(file, new byte[0]); // kdf options
        putInt(file, 1); // keys
        putString(file, publicBlob());
        ByteArrayOutputStream secret = new ByteArrayOutputStream();
        putInt(secret, check);
        putInt(secret, check);
        putString(secret, TYPE.getBytes(StandardCharsets.US_ASCII));
        putString(secret, publicKey);
        byte[] both = new byte[2 * RAW_KEY]; // OpenSSH keeps the seed followed by the public key
        System.arraycopy(seed, 0, both, 0, RAW_KEY);
        System.arraycopy(publicKey, 0, both, RAW_KEY, RAW_KEY);
        putString(secret, both);
        putString(secret, new byte[0]); // comment
        for (int pad = 1; secret.size() % 8 != 0; pad++) { // the cipher "none" has 8-byte blocks
            secret.write(pad);
        }
        putString(file, secret.toByteArray());
        return Base64.getEncoder().encodeToString(file.toByteArray());
    }

    private byte[] publicBlob() {
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        putString(blob, TYPE.getBytes(StandardCharsets.US_ASCII));
        putString(blob, publicKey);
        return blob.toByteArray();
    }

    private static void putInt(ByteArrayOutputStream out, int value) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(value).array());
    }

    private static void putString(ByteArrayOutputStream out, byte[] value) {
        putInt(out, value.length);
        out.writeBytes(value);
    }

    @Override
    public String toString() {
        return TYPE + " " + publicKey().base64();
    }
}
