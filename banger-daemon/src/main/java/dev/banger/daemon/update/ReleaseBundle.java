package dev.banger.daemon.update;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.image.layers.LayerTarInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * A release bundle: a gzipped tar of a build tree (bin/, lib/, completion/, release.properties)
 * followed by its Ed25519 signature (64 bytes) and the marker {@link #MAGIC}. The signature covers
 * every byte before it, and {@link #open} checks it before a single byte of the tar is read.
 * Keys are PEM (X.509 public, PKCS#8 private): what {@code openssl genpkey -algorithm ed25519} writes.
 */
public final class ReleaseBundle {

    static final byte[] MAGIC = "BANGREL1".getBytes(StandardCharsets.US_ASCII);
    private static final int SIGNATURE_BYTES = 64;
    /** A build tree is ~60 MiB; the cap keeps a hostile URL from filling the updater's heap. */
    static final long MAX_BYTES = 400L << 20;
    static final String PROPERTIES = "release.properties";
    /** What of a build tree a release holds (build/ has other things: a previous bundle, for one). */
    private static final List<String> PARTS = List.of("bin", "lib", "completion");
    private static final List<String> REQUIRED = List.of("bin/banger", "bin/bangerd", "lib/find-java.sh", PROPERTIES);

    /** What {@code release.properties} says about the release. */
    public record Release(String version, String commit, String built) {
    }

    private ReleaseBundle() {
    }

    // ---- keys ----------------------------------------------------------------------------------

    public static PublicKey readPublicKey(Path pem) {
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der(pem, "PUBLIC KEY")));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw BangerException.badRequest(pem + " is not an Ed25519 public key in PEM: " + e.getMessage());
        }
    }

    public static PrivateKey readPrivateKey(Path pem) {
        try {
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der(pem, "PRIVATE KEY")));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw BangerException.badRequest(pem + " is not an Ed25519 private key in PEM (PKCS#8): " + e.getMessage());
        }
    }

    /** The PEM text of a public key, for install to write and tests to make. */
    public static String pem(PublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    public static String pem(PrivateKey key) {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    private static byte[] der(Path pem, String label) {
        String text;
        try {
            text = Files.readString(pem, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw BangerException.notFound("cannot read the key " + pem + ": " + e.getMessage());
        }
        int begin = text.indexOf("-----BEGIN " + label + "-----");
        int end = text.indexOf("-----END " + label + "-----");
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("no '-----BEGIN " + label + "-----' block");
        }
        return Base64.getMimeDecoder().decode(text.substring(begin + label.length() + 16, end));
    }

    // ---- sign and verify --------------------------------------------------------------------

    /** Packs {@code tree}'s bin/, lib/ and completion/ (a build) with a release.properties and signs it. */
    public static byte[] seal(Path tree, Release release, PrivateKey key) throws IOException {
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(payload))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            add(tar, PROPERTIES, properties(release), 0644);
            for (String part : PARTS) {
                if (!Files.isDirectory(tree.resolve(part))) {
                    continue;
                }
                Files.walkFileTree(tree.resolve(part), new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                        if (attrs.isRegularFile()) {
                            add(tar, tree.relativize(file).toString(), Files.readAllBytes(file), Files.isExecutable(file) ? 0755 : 0644);
                        }
                        return FileVisitResult.CONTINUE;
                    }
                });
            }
        }
        byte[] body = payload.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + SIGNATURE_BYTES + MAGIC.length);
        out.write(body);
        out.write(sign(body, key));
        out.write(MAGIC);
        return out.toByteArray();
    }

    /** release.properties for {@code release}. */
    static byte[] properties(Release release) throws IOException {
        Properties p = new Properties();
        p.setProperty("version", release.version());
        p.setProperty("commit", release.commit());
        p.setProperty("built", release.built());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.store(out, "banger release");
        return out.toByteArray();
    }

    private static void add(TarArchiveOutputStream tar, String name, byte[] data, int mode) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        e.setMode(mode);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    private static byte[] sign(byte[] body, PrivateKey key) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(body);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with Ed25519: " + e.getMessage(), e);
        }
    }

    /** The signed payload of {@code bundle}, or a refusal when the signature is not {@code key}'s over exactly these bytes. */
    static byte[] open(byte[] bundle, PublicKey key, String source) {
        int tail = SIGNATURE_BYTES + MAGIC.length;
        if (bundle.length <= tail || !Arrays.equals(bundle, bundle.length - MAGIC.length, bundle.length, MAGIC, 0, MAGIC.length)) {
            throw new BangerException(ErrorCode.BAD_REQUEST, source + " is not a banger release bundle (no signature trailer); "
                    + "make one with scripts/build.sh --release KEY");
        }
        byte[] body = Arrays.copyOf(bundle, bundle.length - tail);
        byte[] sig = Arrays.copyOfRange(bundle, body.length, body.length + SIGNATURE_BYTES);
        boolean good;
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(body);
            good = s.verify(sig);
        } catch (GeneralSecurityException e) {
            good = false;
        }
        if (!good) {
            throw new BangerException(ErrorCode.UNAUTHORIZED, source + ": the signature does not match the release key "
                    + "installed by `system install`; the bundle was altered or signed with another key. Nothing was changed");
        }
        return body;
    }

    // ---- unpack -------------------------------------------------------------------------------

    /**
     * Unpacks a verified payload into the empty directory {@code dest}: regular files and directories
     * only (no links, devices or setuid bits; names that would leave {@code dest} are refused), files
     * 0755 or 0644, directories 0755, all owned by the updater (root).
     */
    static Release unpack(byte[] payload, Path dest) throws IOException {
        try (InputStream gz = new GZIPInputStream(new ByteArrayInputStream(payload));
             LayerTarInputStream tar = new LayerTarInputStream(gz)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                Path target = dest.resolve(e.getName()).normalize();
                if (!target.startsWith(dest) || target.equals(dest) || e.getName().startsWith("/")) {
                    throw BangerException.badRequest("the release holds an entry outside its tree: " + e.getName());
                }
                if (e.isDirectory()) {
                    directories(dest, target);
                } else if (e.getLinkFlag() == TarConstants.LF_NORMAL || e.getLinkFlag() == TarConstants.LF_OLDNORM) {
                    // not isFile(): commons-compress counts links and devices as files too
                    directories(dest, target.getParent());
                    try (OutputStream out = Files.newOutputStream(target)) {
                        tar.transferTo(out);
                    }
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString((e.getMode() & 0100) != 0 ? "rwxr-xr-x" : "rw-r--r--"));
                } else {
                    throw BangerException.badRequest("the release holds " + e.getName() + ", which is not a regular file or directory");
                }
            }
        }
        for (String part : REQUIRED) {
            if (!Files.isRegularFile(dest.resolve(part))) {
                throw BangerException.badRequest("the release has no " + part + ": not a build of scripts/build.sh");
            }
        }
        return describe(dest);
    }

    /** The release.properties of an unpacked (or adopted) release. */
    static Release describe(Path tree) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(tree.resolve(PROPERTIES))));
        String version = p.getProperty("version", "");
        if (!version.matches("[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}")) {
            throw BangerException.badRequest("the release's version '" + version + "' is not a version");
        }
        return new Release(version, p.getProperty("commit", "unknown"), p.getProperty("built", "unknown"));
    }

    private static void directories(Path dest, Path dir) throws IOException {
        for (Path d = dest; !d.equals(dir); ) {
            d = d.resolve(dir.getName(d.getNameCount()));
            if (!Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(d);
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
    }

    /**
     * Orders versions: numeric dot-separated parts compare as numbers, and a version with a
     * qualifier ({@code 0.2.0-rc1}, {@code -SNAPSHOT}) comes before the same version without one.
     */
    static int compareVersions(String a, String b) {
        String[] aq = a.split("-", 2);
        String[] bq = b.split("-", 2);
        String[] an = aq[0].split("\\.");
        String[] bn = bq[0].split("\\.");
        for (int i = 0; i < Math.max(an.length, bn.length); i++) {
            String x = i < an.length ? an[i] : "0";
            String y = i < bn.length ? bn[i] : "0";
            int c = x.matches("\\d{1,18}") && y.matches("\\d{1,18}") ? Long.compare(Long.parseLong(x), Long.parseLong(y)) : x.compareTo(y);
            if (c != 0) {
                return c;
            }
        }
        if (aq.length != bq.length) {
            return aq.length < bq.length ? 1 : -1;
        }
        return aq.length == 1 ? 0 : aq[1].compareTo(bq[1]);
    }
}
