package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import dev.banger.core.api.KernelApi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.testing.TestLayer;
import dev.banger.daemon.ops.Client;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files of a caller without bangerd's rights (uid 1001 here): host paths refused, uploads
 * taken, each bad combination refused naming what was wrong, nothing left in staging or the store.
 * Streams are served from memory; HostPathRightsCliTest runs the same over the real socket.
 */
class UploadedFilesTest {

    static final CommandRunner RUNNER = new CommandRunner();

    @TempDir
    Path dir;
    Store store;
    Layout layout;
    ImageService images;
    byte[] ext4;
    final Map<String, byte[]> uploads = new HashMap<>();
    final Map<String, ByteArrayOutputStream> downloads = new HashMap<>();

    @BeforeEach
    void open() throws Exception {
        Config config = Config.under(dir.resolve("banger"));
        layout = Layout.of(config);
        store = Store.open(layout.database());
        images = new ImageService(store, RUNNER, layout, config, Clock.systemUTC());
        Path k = Files.createDirectories(dir.resolve("kernel"));
        Files.writeString(k.resolve("vmlinuz"), "bzImage");
        images.importKernel(new KernelApi.KernelImportParams("k1", k.toString(), "6.1.0", "debian"), inProcess());
        Path rootfs = dir.resolve("rootfs.ext4");
        RUNNER.run(Command.of("truncate", "-s", "8M", rootfs.toString()));
        RUNNER.run(Command.of("mkfs.ext4", "-q", "-F", rootfs.toString()));
        ext4 = Files.readAllBytes(rootfs);
    }

    @AfterEach
    void close() {
        store.close();
    }

    OperationContext inProcess() {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "test", "test", false, e -> { });
    }

    /** A request from uid 1001 whose streams are {@link #uploads} and {@link #downloads}. */
    OperationContext member() {
        Client.Streams streams = new Client.Streams() {
            @Override
            public InputStream upload(String token) {
                byte[] b = uploads.get(token);
                if (b == null) {
                    throw BangerException.badRequest("no stream " + token);
                }
                if (token.startsWith("cut")) {
                    return new SequenceInputStream(new ByteArrayInputStream(b), new InputStream() {
                        @Override
                        public int read() throws IOException {
                            throw new IOException("the stream broke off");
                        }
                    });
                }
                return new ByteArrayInputStream(b);
            }

            @Override
            public OutputStream download(String token) {
                return downloads.computeIfAbsent(token, t -> new ByteArrayOutputStream());
            }
        };
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "test", new Client(1, 1001, 1001, streams),
                false, e -> { });
    }

    static ImageApi.RegisterParams register(String name, String rootfsStream, String kernelStream, String kernelRef) {
        return new ImageApi.RegisterParams(name, null, null, null, kernelRef, rootfsStream, kernelStream, null, null);
    }

    void assertRefused(ThrowingCallable call, ErrorCode code, String... message) throws IOException {
        assertThatThrownBy(call).isInstanceOf(BangerException.class)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(code))
                .hasMessageContainingAll(message);
        assertThat(entries(layout.stagingDir())).isEmpty();
    }

    static List<Path> entries(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.toList();
        }
    }

    @Test
    void hostPathsFromAMemberAreRefusedNamingTheStreamParam() throws Exception {
        Path mine = Files.write(dir.resolve("mine.ext4"), ext4);
        assertRefused(() -> images.register(new ImageApi.RegisterParams("x", mine.toString(), null, null, "k1"), member()),
                ErrorCode.UNAUTHORIZED, "'rootfs' names a host path", "rootfs_stream");
        assertRefused(() -> images.importKernel(new KernelApi.KernelImportParams("x", dir.resolve("kernel").toString(),
                null, null), member()), ErrorCode.UNAUTHORIZED, "'from' names a host path", "from_stream");
        assertRefused(() -> images.importKernel(new KernelApi.KernelImportParams("x", null, null, null, mine.toString()),
                member()), ErrorCode.UNAUTHORIZED, "'deb' names a host path", "deb_stream");
        assertRefused(() -> images.pullBundle(new ImageApi.BundlePullParams(mine.toString(), "0".repeat(64), "x"), member()),
                ErrorCode.UNAUTHORIZED, "'bundle' names a host path", "bundle_stream");
        uploads.put("tar", new TestLayer().file("etc/hostname", "x").tar());
        Path out = dir.resolve("out.tar.zst");
        assertRefused(() -> images.makeBundle(new ImageApi.BundleMakeParams(null, "x", "k1", null, out.toString(), "64M",
                "tar", null), member()), ErrorCode.UNAUTHORIZED, "'out' names a host path", "out_stream");
        assertThat(out).doesNotExist();
        assertThat(store.images().list()).isEmpty();
        assertThat(store.kernels().list()).extracting(k -> k.name()).containsExactly("k1");
    }

    @Test
    void anUploadedRegisterIsAManagedImageAndItsBadInputsAreRefused() throws Exception {
        uploads.put("rootfs", ext4);
        uploads.put("kernel", "bzImage".getBytes());
        uploads.put("text", "x".repeat(4096).getBytes());
        uploads.put("cut-rootfs", new byte[100_000]);
        assertRefused(() -> images.register(new ImageApi.RegisterParams("x", "/etc/shadow", null, null, "k1", "rootfs",
                null, null, null), member()), ErrorCode.BAD_REQUEST, "either all as paths", "or all as streams");
        assertRefused(() -> images.register(register("x", null, "kernel", null), member()), ErrorCode.BAD_REQUEST,
                "needs rootfs_stream");
        assertRefused(() -> images.register(register("x", "text", null, "k1"), member()), ErrorCode.BAD_REQUEST,
                "--rootfs is not an ext4 image");
        assertRefused(() -> images.register(register("x", "cut-rootfs", null, "k1"), member()), ErrorCode.OPERATION_FAILED,
                "cannot receive --rootfs", "broke off");
        assertRefused(() -> images.register(new ImageApi.RegisterParams("x", null, null, null, "k1", "rootfs", null, null,
                "a\nb"), member()), ErrorCode.BAD_REQUEST, "label must be");
        assertThat(store.images().list()).isEmpty();
        assertThat(entries(layout.imagesDir())).isEmpty();

        ImageInfo image = images.register(register("x", "rootfs", "kernel", null), member());
        assertThat(image.managed()).isTrue();
        assertThat(image.source()).isEqualTo("file:upload");
        assertThat(Files.readAllBytes(Path.of(image.rootfsPath()))).isEqualTo(ext4);
        long allocated = Long.parseLong(RUNNER.run(Command.of("stat", "-c", "%b", image.rootfsPath())).stdout().strip()) * 512;
        assertThat(allocated).as("the uploaded ext4 keeps its holes").isLessThan(ext4.length / 2);
        assertThat(store.kernels().find("x-kernel").orElseThrow().managed()).isTrue();
        assertRefused(() -> images.register(register("x", "rootfs", null, "k1"), member()), ErrorCode.ALREADY_EXISTS,
                "image 'x' already exists");
        images.delete("x");
        assertThat(store.kernels().find("x-kernel")).isEmpty();
        assertThat(entries(layout.imagesDir())).isEmpty();
        assertThat(layout.kernelsDir().resolve("x-kernel")).doesNotExist();
    }

    @Test
    void kernelAndBundleUploadsRefuseWhatIsMissingOrTwice() throws Exception {
        uploads.put("no-vmlinuz", new TestLayer().file("initrd.img", "cpio").tar());
        assertRefused(() -> images.importKernel(new KernelApi.KernelImportParams("x", null, null, null, null, "no-vmlinuz",
                null, null), member()), ErrorCode.BAD_REQUEST, "has no vmlinuz");
        assertRefused(() -> images.importKernel(new KernelApi.KernelImportParams("x", null, null, null, null, "no-vmlinuz",
                "no-vmlinuz", null), member()), ErrorCode.BAD_REQUEST, "exactly one of --from DIR");
        assertRefused(() -> images.pullBundle(new ImageApi.BundlePullParams("https://example.invalid/b", "0".repeat(64), "x",
                "bundle", null), member()), ErrorCode.BAD_REQUEST, "exactly one");
        uploads.put("tar", new TestLayer().file("etc/hostname", "x").tar());
        assertRefused(() -> images.makeBundle(new ImageApi.BundleMakeParams(null, "x", "k1", null, null, "64M", "tar", null),
                member()), ErrorCode.BAD_REQUEST, "out_stream");
        assertRefused(() -> images.makeBundle(new ImageApi.BundleMakeParams(null, "x", "k1", null, null, "64M", null, "out"),
                member()), ErrorCode.BAD_REQUEST, "rootfs_tar_stream");
        assertThat(store.kernels().list()).extracting(k -> k.name()).containsExactly("k1");
        assertThat(store.images().list()).isEmpty();
    }
}
