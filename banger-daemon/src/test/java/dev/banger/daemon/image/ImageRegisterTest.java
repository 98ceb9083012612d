package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import dev.banger.core.api.KernelApi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.testing.LogCapture;
import dev.banger.daemon.image.testing.TestExt4;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `image register` (unmanaged images), `image promote`, and delete leaving the user's files alone. */
class ImageRegisterTest {

    static final CommandRunner RUNNER = new CommandRunner();

    @TempDir
    Path dir;
    Path user;
    Path rootfs;
    Path vmlinuz;
    Path initrd;
    Store store;
    Layout layout;
    ImageService images;

    @BeforeEach
    void open() throws Exception {
        Config config = Config.under(dir.resolve("banger"));
        layout = Layout.of(config);
        store = Store.open(layout.database());
        images = new ImageService(store, RUNNER, layout, config, Clock.systemUTC());

        user = Files.createDirectories(dir.resolve("user"));
        Path tree = Files.createDirectories(dir.resolve("tree/root"));
        Files.writeString(tree.resolve(".bashrc"), "alias ll='ls -l'\n");
        rootfs = user.resolve("my-rootfs.ext4");
        RUNNER.run(Command.of("truncate", "-s", "8M", rootfs.toString()));
        RUNNER.run(Command.of("mkfs.ext4", "-q", "-F", "-d", dir.resolve("tree").toString(), rootfs.toString()));
        vmlinuz = Files.writeString(user.resolve("vmlinuz"), "bzImage");
        initrd = Files.writeString(user.resolve("initrd.img"), "cpio");
        Path k = Files.createDirectories(dir.resolve("kernel"));
        Files.writeString(k.resolve("vmlinuz"), "bzImage");
        images.importKernel(new KernelApi.KernelImportParams("k1", k.toString(), "6.1.0", "debian"), ctx());
    }

    @AfterEach
    void close() {
        store.close();
    }

    private OperationContext ctx() {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "image.register", "test", false, e -> { });
    }

    private ImageInfo register(String name, Path rootfs, Path kernel, Path initrd, String kernelRef) {
        return images.register(new ImageApi.RegisterParams(name, rootfs == null ? null : rootfs.toString(),
                kernel == null ? null : kernel.toString(), initrd == null ? null : initrd.toString(), kernelRef), ctx());
    }

    @Test
    void registerPromoteDeleteKeepsTheUsersFiles() throws Exception {
        byte[] original = Files.readAllBytes(rootfs);
        ImageInfo registered = register("mine", rootfs, vmlinuz, initrd, null);

        assertThat(registered.managed()).isFalse();
        assertThat(registered.rootfsPath()).isEqualTo(rootfs.toString());
        assertThat(registered.dir()).isNull();
        assertThat(registered.kernelName()).isEqualTo("mine-kernel");
        assertThat(images.show("mine")).isEqualTo(registered);
        KernelInfo companion = images.showKernel("mine-kernel");
        assertThat(companion.managed()).isFalse();
        assertThat(companion.vmlinuzPath()).isEqualTo(vmlinuz.toString());
        assertThat(companion.initrdPath()).isEqualTo(initrd.toString());
        assertThat(layout.imagesDir().toFile().list()).isNullOrEmpty();

        ImageInfo promoted = images.promote("mine", ctx());

        assertThat(promoted.id()).isEqualTo(registered.id());
        assertThat(promoted.managed()).isTrue();
        assertThat(promoted.dir()).isEqualTo(layout.imagesDir().resolve(registered.id()).toString());
        assertThat(Files.readAllBytes(Path.of(promoted.rootfsPath()))).isEqualTo(original);
        assertThat(new Ext4Inspector(Path.of(promoted.workSeedPath())).cat("/.bashrc")).isEqualTo("alias ll='ls -l'\n");
        assertThat(images.show("mine")).isEqualTo(promoted);
        assertThat(Files.readAllBytes(rootfs)).as("the user's file is copied, not moved").isEqualTo(original);
        assertThat(layout.stagingDir().toFile().list()).isEmpty();

        images.delete("mine");
        assertThat(Path.of(promoted.dir())).doesNotExist();
        assertThat(rootfs).exists();
        assertThat(vmlinuz).exists();
        assertThat(images.listKernels()).extracting(KernelInfo::name).as("the companion kernel goes with its image")
                .containsExactly("k1");
    }

    @Test
    void promotingARegisteredImageWithATraversalNameGivesNoSeedAndWritesNothingOutside() throws Exception {
        Path hostile = TestExt4.withTraversalEntry(Files.createDirectory(dir.resolve("craft")));
        register("hostile", hostile, vmlinuz, null, null);

        ImageInfo promoted;
        List<String> warnings;
        try (LogCapture log = LogCapture.of(WorkSeeds.class)) {
            promoted = images.promote("hostile", ctx());
            warnings = log.messages();
        }

        assertThat(promoted.managed()).isTrue();
        assertThat(layout.stateDir().resolve("PWNED")).as("where debugfs rdump wrote it").doesNotExist();
        assertThat(TestExt4.findPwned(Integer.MAX_VALUE, dir, layout.stateDir(), layout.cacheDir())).isEmpty();
        assertThat(TestExt4.findPwned(3, Path.of(System.getProperty("java.io.tmpdir")), Path.of("/dev/shm"))).isEmpty();
        assertThat(promoted.workSeedPath()).as("the seed is refused, the image still usable").isNull();
        assertThat(warnings).anySatisfy(m -> assertThat(m)
                .contains("image hostile: no work-seed (ext4 image rootfs.ext4: directory /root holds an entry named "
                        + "'../../../../PWNED'"));
        assertThat(layout.stagingDir().toFile().list()).isEmpty();
    }

    @Test
    void deleteOfAnUnmanagedImageRemovesOnlyTheRow() throws Exception {
        ImageInfo image = register("kept", rootfs, null, null, "k1");
        assertThat(image.kernelName()).isEqualTo("k1");
        byte[] before = Files.readAllBytes(rootfs);

        images.delete("kept");

        assertThat(store.images().find("kept")).isEmpty();
        assertThat(Files.readAllBytes(rootfs)).isEqualTo(before);
        assertThat(user.toFile().list()).containsExactlyInAnyOrder("my-rootfs.ext4", "vmlinuz", "initrd.img");
        assertThat(images.listKernels()).extracting(KernelInfo::name).containsExactly("k1");
    }

    @Test
    void missingRootfsIsNotFound() {
        assertRefused(() -> register("x", user.resolve("nope.ext4"), null, null, "k1"), ErrorCode.NOT_FOUND,
                "--rootfs " + user.resolve("nope.ext4") + " does not exist");
    }

    @Test
    void aRootfsThatIsNotExt4IsRefused() throws Exception {
        Path text = Files.writeString(user.resolve("rootfs.img"), "x".repeat(4096));
        assertRefused(() -> register("x", text, null, null, "k1"), ErrorCode.BAD_REQUEST, "is not an ext4 image");
        assertRefused(() -> register("x", Path.of("/dev/null"), null, null, "k1"), ErrorCode.BAD_REQUEST, "is not a regular file");
        assertRefused(() -> images.register(new ImageApi.RegisterParams("x", "rootfs.ext4", null, null, "k1"), ctx()),
                ErrorCode.BAD_REQUEST, "is not an absolute path");
    }

    @Test
    void kernelRefWithKernelFilesIsRefusedNamingTheFlags() {
        assertRefused(() -> register("x", rootfs, vmlinuz, null, "k1"), ErrorCode.BAD_REQUEST,
                "--kernel-ref cannot be combined with --kernel or --initrd");
        assertRefused(() -> register("x", rootfs, null, initrd, "k1"), ErrorCode.BAD_REQUEST, "--kernel-ref cannot be combined");
        assertRefused(() -> register("x", rootfs, null, initrd, null), ErrorCode.BAD_REQUEST, "--initrd needs --kernel");
        assertRefused(() -> register("x", rootfs, null, null, null), ErrorCode.BAD_REQUEST, "needs --kernel FILE");
        assertRefused(() -> register("x", rootfs, null, null, "nope"), ErrorCode.NOT_FOUND, "kernel 'nope' is not imported");
        assertRefused(() -> register("x", rootfs, user.resolve("gone"), null, null), ErrorCode.NOT_FOUND, "--kernel");
    }

    @Test
    void takenNamesAreRefusedAndNothingIsHalfRecorded() {
        register("taken", rootfs, null, null, "k1");
        assertThatThrownBy(() -> register("taken", rootfs, vmlinuz, null, null))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS))
                .hasMessageContaining("image 'taken' already exists");
        images.importKernel(new KernelApi.KernelImportParams("other-kernel", dir.resolve("kernel").toString(), null, null), ctx());
        assertThatThrownBy(() -> register("other", rootfs, vmlinuz, null, null))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS))
                .hasMessageContaining("kernel 'other-kernel' already exists");
        assertThat(store.images().list()).extracting(ImageInfo::name).containsExactly("taken");
        assertThat(images.listKernels()).extracting(KernelInfo::name).containsExactly("k1", "other-kernel");
    }

    @Test
    void promoteOfAManagedImageIsRefused() {
        ImageInfo image = register("twice", rootfs, null, null, "k1");
        ImageInfo promoted = images.promote("twice", ctx());
        assertThatThrownBy(() -> images.promote("twice", ctx()))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                .hasMessageContaining("image twice is already managed");
        assertThat(images.show(image.id())).isEqualTo(promoted);
        assertThat(layout.imagesDir().toFile().list()).containsExactly(image.id());
        assertThat(layout.stagingDir().toFile().list()).isEmpty();
        assertThatThrownBy(() -> images.promote("nope", ctx())).hasMessageContaining("image 'nope' not found");
    }

    @Test
    void promoteOfAnImageWhoseFileIsGoneLeavesItAsItWas() throws Exception {
        Path copy = user.resolve("copy.ext4");
        Files.copy(rootfs, copy);
        ImageInfo image = register("fragile", copy, null, null, "k1");
        Files.delete(copy);
        assertRefused(() -> images.promote("fragile", ctx()), ErrorCode.NOT_FOUND, "is gone");
        assertThat(images.show("fragile")).isEqualTo(image);
    }

    private void assertRefused(ThrowingCallable call, ErrorCode code, String message) {
        List<ImageInfo> rowsBefore = store.images().list();
        List<KernelInfo> kernelsBefore = store.kernels().list();
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).as(e.getMessage()).isEqualTo(code))
                .hasMessageContaining(message);
        assertThat(store.images().list()).isEqualTo(rowsBefore);
        assertThat(store.kernels().list()).isEqualTo(kernelsBefore);
        String[] staging = layout.stagingDir().toFile().list();
        assertThat(staging == null ? List.of() : List.of(staging)).as("staging").isEmpty();
        List<String> managed = store.images().list().stream().filter(ImageInfo::managed).map(ImageInfo::id).sorted().toList();
        String[] dirs = layout.imagesDir().toFile().list();
        assertThat(dirs == null ? List.of() : Stream.of(dirs).sorted().toList()).as("images dir").isEqualTo(managed);
    }
}
