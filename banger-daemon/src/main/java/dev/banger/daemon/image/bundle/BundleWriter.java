package dev.banger.daemon.image.bundle;

import com.github.luben.zstd.ZstdOutputStream;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.fs.Sha256;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Packs a bundle: a tar (POSIX, so files over 8 GiB are fine) compressed with zstd, holding
 * {@code manifest.json}, {@code rootfs.ext4} and, when there is one, {@code work-seed.ext4}, in
 * that order (the small manifest first). The sha256 of the file is computed while it is written.
 * The output is a new file: an existing one is never overwritten, and a failed write removes what
 * it wrote.
 */
public final class BundleWriter {

    private static final int BUFFER = 1 << 20;
    private static final int ZSTD_LEVEL = 3;

    private BundleWriter() {
    }

    /**
     * @param progress bytes of the ext4 images packed so far, now and then
     * @return the bundle's sha256, lower-case hex
     */
    public static String write(Path out, BundleManifest manifest, Path rootfs, Path workSeed, LongConsumer progress) {
        MessageDigest md = Sha256.newDigest();
        boolean created = false;
        boolean done = false;
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            created = true;
            OutputStream file = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
            ZstdOutputStream zstd = new ZstdOutputStream(new DigestOutputStream(file, md), ZSTD_LEVEL);
            zstd.setChecksum(true);
            zstd.setWorkers(Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())));
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(zstd, "UTF-8")) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                byte[] json = manifest.toJson();
                TarArchiveEntry m = entry(BundleReader.MANIFEST, json.length, FileTime.fromMillis(System.currentTimeMillis()));
                tar.putArchiveEntry(m);
                tar.write(json);
                tar.closeArchiveEntry();
                long[] packed = {0};
                add(tar, BundleReader.ROOTFS, rootfs, packed, progress);
                if (workSeed != null) {
                    add(tar, BundleReader.WORK_SEED, workSeed, packed, progress);
                }
                tar.finish();
            }
            done = true;
            return Sha256.hex(md);
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new BangerException(ErrorCode.CANCELLED, "writing bundle " + out + " was cancelled");
            }
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot write bundle " + out + ": " + e.getMessage(), e);
        } finally {
            if (created && !done) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // best effort: the error that got us here is the one to report
                }
            }
        }
    }

    private static void add(TarArchiveOutputStream tar, String name, Path file, long[] packed, LongConsumer progress)
            throws IOException {
        long size = Files.size(file);
        tar.putArchiveEntry(entry(name, size, Files.getLastModifiedTime(file)));
        byte[] buf = new byte[BUFFER];
        try (InputStream in = Files.newInputStream(file)) {
            long left = size;
            while (left > 0) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new BangerException(ErrorCode.CANCELLED, "writing the bundle was cancelled");
                }
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new IOException(file + " shrank while it was being packed");
                }
                tar.write(buf, 0, n);
                left -= n;
                packed[0] += n;
                if ((packed[0] & ((64L << 20) - 1)) < n) {
                    progress.accept(packed[0]);
                }
            }
        }
        tar.closeArchiveEntry();
    }

    private static TarArchiveEntry entry(String name, long size, FileTime mtime) {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(size);
        e.setMode(0100644);
        e.setLastModifiedTime(mtime);
        return e;
    }
}
