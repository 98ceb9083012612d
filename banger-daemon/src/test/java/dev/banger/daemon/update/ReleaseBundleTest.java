package dev.banger.daemon.update;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.rpc.BangerException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundle format: Ed25519 over every byte, keys in PEM, and an unpacker that takes files and directories only. */
class ReleaseBundleTest {

    @TempDir
    Path tmp;
    Path tree;
    KeyPair key;

    @BeforeEach
    void aBuildTreeAndAKey() throws Exception {
        tree = tmp.resolve("build");
        write(tree.resolve("bin/banger"), "#!/bin/sh\n", "rwxrwxr-x");
        write(tree.resolve("bin/bangerd"), "#!/bin/sh\n", "rwxr-xr-x");
        write(tree.resolve("lib/find-java.sh"), "find_java() { :; }\n", "rw-rw-r--");
        write(tree.resolve("lib/cli/banger-cli.jar"), "jar", "rw-r--r--");
        write(tree.resolve("other/left-out"), "not part of a release", "rw-r--r--");
        key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    private static void write(Path p, String text, String mode) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    }

    private byte[] seal() throws Exception {
        return ReleaseBundle.seal(tree, new ReleaseBundle.Release("0.2.0", "abc", "today"), key.getPrivate());
    }

    @Test
    void aSealedTreeOpensWithItsKeyAndUnpacksWithSafeModes() throws Exception {
        Path pub = Files.writeString(tmp.resolve("key.pem"), ReleaseBundle.pem(key.getPublic()));
        Path priv = Files.writeString(tmp.resolve("private.pem"), ReleaseBundle.pem(key.getPrivate()));
        byte[] bundle = ReleaseBundle.seal(tree, new ReleaseBundle.Release("0.2.0", "abc", "today"), ReleaseBundle.readPrivateKey(priv));
        byte[] payload = ReleaseBundle.open(bundle, ReleaseBundle.readPublicKey(pub), "b");
        Path out = Files.createDirectory(tmp.resolve("out"));
        ReleaseBundle.Release r = ReleaseBundle.unpack(payload, out);
        assertThat(r).isEqualTo(new ReleaseBundle.Release("0.2.0", "abc", "today"));
        assertThat(out.resolve("lib/cli/banger-cli.jar")).hasContent("jar");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("bin/banger")))).isEqualTo("rwxr-xr-x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("lib/find-java.sh")))).isEqualTo("rw-r--r--");
        assertThat(out.resolve("other")).doesNotExist();
    }

    @Test
    void aChangedByteAnotherKeyOrNoTrailerIsRefused() throws Exception {
        byte[] bundle = seal();
        for (int at : new int[] {0, bundle.length / 2, bundle.length - ReleaseBundle.MAGIC.length - 1}) {
            byte[] bad = bundle.clone();
            bad[at] ^= 0x40;
            assertThatThrownBy(() -> ReleaseBundle.open(bad, key.getPublic(), "b")).isInstanceOf(BangerException.class)
                    .hasMessageContaining("the signature does not match");
        }
        KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        assertThatThrownBy(() -> ReleaseBundle.open(bundle, other.getPublic(), "b")).hasMessageContaining("the signature does not match");
        assertThatThrownBy(() -> ReleaseBundle.open("plain tar".getBytes(StandardCharsets.UTF_8), key.getPublic(), "b"))
                .hasMessageContaining("not a banger release bundle");
        Path notAKey = Files.writeString(tmp.resolve("x.pem"), "hello");
        assertThatThrownBy(() -> ReleaseBundle.readPublicKey(notAKey)).hasMessageContaining("is not an Ed25519 public key");
    }

    @Test
    void unpackRefusesLinksEntriesOutsideTheTreeAndAnIncompleteRelease() throws Exception {
        assertRefused(payload(symlink("bin/banger", "/etc/shadow")), "not a regular file or directory");
        assertRefused(payload(file("../escaped", 0644)), "outside its tree");
        assertRefused(payload(file("bin/banger", 0755)), "the release has no bin/bangerd");
        assertThat(tmp.resolve("escaped")).doesNotExist();

        Path out = Files.createDirectory(tmp.resolve("setuid"));
        ReleaseBundle.unpack(payload(file("bin/banger", 04755), file("bin/bangerd", 0755), file("lib/find-java.sh", 0644),
                file(ReleaseBundle.PROPERTIES, 0644)), out);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("bin/banger")))).isEqualTo("rwxr-xr-x");
    }

    @Test
    void versionsOrderNumericallyAndAQualifierComesFirst() {
        assertThat(ReleaseBundle.compareVersions("0.10.0", "0.9.1")).isPositive();
        assertThat(ReleaseBundle.compareVersions("0.2.0", "0.2.0-rc1")).isPositive();
        assertThat(ReleaseBundle.compareVersions("0.2.0-rc1", "0.1.9")).isPositive();
        assertThat(ReleaseBundle.compareVersions("1.0", "1.0.0")).isZero();
        assertThat(ReleaseBundle.compareVersions("0.0.9", "0.1.0")).isNegative();
    }

    private void assertRefused(byte[] payload, String message) throws Exception {
        Path out = Files.createTempDirectory(tmp, "out");
        assertThatThrownBy(() -> ReleaseBundle.unpack(payload, out)).isInstanceOf(BangerException.class).hasMessageContaining(message);
    }

    private record Entry(TarArchiveEntry header, byte[] data) {
    }

    private static Entry file(String name, int mode) {
        byte[] data = name.equals(ReleaseBundle.PROPERTIES) ? "version=0.2.0\n".getBytes(StandardCharsets.UTF_8) : new byte[] {1};
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(mode);
        e.setSize(data.length);
        return new Entry(e, data);
    }

    private static Entry symlink(String name, String target) {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
        e.setLinkName(target);
        return new Entry(e, new byte[0]);
    }

    private static byte[] payload(Entry... entries) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(out))) {
            for (Entry e : entries) {
                tar.putArchiveEntry(e.header());
                tar.write(e.data());
                tar.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }
}
