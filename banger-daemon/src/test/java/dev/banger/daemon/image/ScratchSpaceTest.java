package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.oci.MediaTypes;
import dev.banger.daemon.image.testing.FakeRegistry;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestLayer;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tmpfs scratch dir against another local user ({@code banger-test}): the old predictable
 * name they can pre-create is not used, nothing in the daemon's directory can be created,
 * renamed or swapped by them while a layer is flattened, and start-up cleanup removes only
 * directories that are the daemon's own. Runs as root (it switches to the other user with setpriv).
 */
class ScratchSpaceTest {

    private static final CommandRunner RUNNER = new CommandRunner();
    private static final String OTHER = "banger-test";

    @TempDir
    Path dir;
    FakeRegistry registry;
    Store store;
    Layout layout;
    /** World-writable, owned by the other user: where a swapped link would make root write. */
    Path outside;
    final List<Path> made = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "needs root to act as another user");
        assumeTrue(RUNNER.runAllowingFailure(Command.of("id", "-u", OTHER)).ok(), "needs the user " + OTHER);
        registry = new FakeRegistry();
        registry.serve("app", "v1", TestImage.image(List.of(new TestLayer().dir("usr", 0755).dir("usr/sbin", 0755)
                .file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0).dir("pub", 0777).file("pub/readme", "hi").gzip()),
                MediaTypes.OCI_LAYER_GZIP));
        layout = Layout.of(Config.under(dir.resolve("banger")));
        Files.createDirectories(layout.stateDir());
        store = Store.open(layout.database());
        outside = made(Files.createTempDirectory(Path.of("/tmp"), "scratch-outside-"));
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
            registry.close();
        }
        made.forEach(p -> RUNNER.runAllowingFailure(Command.of("rm", "-rf", "--one-file-system", p.toString())));
    }

    @Test
    void aPredictableDirectoryAnotherUserMadeIsNotUsed() throws Exception {
        Path predictable = ScratchSpace.SHM.resolve("banger-" + oldHash(layout.stateDir().toAbsolutePath().toString()));
        made(predictable);
        assertThat(asOther("mkdir", "-m", "0777", predictable.toString()).ok()).isTrue();
        assertThat(asOther("ln", "-s", outside.toString(), predictable.resolve("tree-planted").toString()).ok()).isTrue();
        Path record = layout.stateDir().resolve("tmpfs-scratch");
        ScratchSpace scratch = new ScratchSpace(ScratchSpace.SHM, 0, record);
        AtomicReference<Path> root = new AtomicReference<>();
        PullAndFlatten real = realSteps().pullAndFlatten();
        ImageService images = service(scratch, (resolved, tree, ctx) -> {
            root.set(made(tree.getParent()));
            assertThat(tree.getParent()).isEqualTo(scratch.currentRoot());
            assertThat(Files.readString(record)).as("recorded for the next daemon's cleanup").isEqualTo(root.get().toString());
            assertPrivate(root.get());
            return real.pull(resolved, tree, ctx);
        });

        ImageInfo image = pull(images);

        assertThat(root.get().getParent()).as("the tree was on the tmpfs").isEqualTo(ScratchSpace.SHM);
        assertThat(root.get()).isNotEqualTo(predictable);
        assertThat(predictable.toFile().list()).as("the planted dir is left as it was").containsExactly("tree-planted");
        assertThat(outside.toFile().list()).as("nothing written through the planted link").isEmpty();
        assertThat(new Ext4Inspector(Path.of(image.rootfsPath())).cat("/pub/readme")).isEqualTo("hi");
        assertThat(root.get()).as("gone with its last tree").doesNotExist();
        assertThat(record).doesNotExist();
    }

    @Test
    void anotherUserCanChangeNothingInTheScratchDirDuringAFlatten() throws Exception {
        ScratchSpace scratch = new ScratchSpace(ScratchSpace.SHM, 0, layout.stateDir().resolve("tmpfs-scratch"));
        PullAndFlatten real = realSteps().pullAndFlatten();
        List<String> attempts = new ArrayList<>();
        ImageService images = service(scratch, (resolved, tree, ctx) -> {
            Path root = made(tree.getParent());
            assertThat(root.getParent()).isEqualTo(ScratchSpace.SHM);
            attack(attempts, "ln", "-s", outside.toString(), root.resolve("tree-evil").toString());
            attack(attempts, "mv", tree.toString(), root.resolve("tree-moved").toString());
            attack(attempts, "rm", "-rf", tree.toString());
            attack(attempts, "ln", "-s", outside.toString(), tree.resolve("usr").toString());
            attack(attempts, "mkdir", tree.resolve("usr").toString());
            attack(attempts, "mv", root.toString(), ScratchSpace.SHM.resolve("stolen-" + root.getFileName()).toString());
            PulledTree pulled = real.pull(resolved, tree, ctx);
            // A world-writable dir from the image is still out of reach: its parents are 0700.
            assertThat(Files.getPosixFilePermissions(tree.resolve("pub"))).isEqualTo(PosixFilePermissions.fromString("rwxrwxrwx"));
            attack(attempts, "ln", "-s", outside.toString(), tree.resolve("pub/link").toString());
            attack(attempts, "rm", "-f", tree.resolve("pub/readme").toString());
            return pulled;
        });

        ImageInfo image = pull(images);

        assertThat(attempts).as("every attempt of the other user failed").isEmpty();
        assertThat(outside.toFile().list()).as("nothing written outside").isEmpty();
        assertThat(scratch.currentRoot()).as("the tree and its dir are gone").isNull();
        Ext4Inspector rootfs = new Ext4Inspector(Path.of(image.rootfsPath()));
        assertThat(rootfs.cat("/pub/readme")).isEqualTo("hi");
        assertThat(rootfs.exists("/pub/link")).isFalse();
    }

    @Test
    void startUpRemovesOnlyTheDirectoryOfThisStateDirAndOnlyWhileItIsOurs() throws Exception {
        Path record = layout.stateDir().resolve("tmpfs-scratch");
        ScratchSpace crashed = new ScratchSpace(ScratchSpace.SHM, 0, record);
        Path tree = crashed.newTree(dir);
        Files.writeString(tree.resolve("half-written"), "x");
        Path crashedRoot = made(crashed.currentRoot());
        ScratchSpace otherDaemon = new ScratchSpace(ScratchSpace.SHM, 0, dir.resolve("other-state-record"));
        Path otherTree = otherDaemon.newTree(dir);
        Files.writeString(otherTree.resolve("in-use"), "x");
        Path otherRoot = made(otherTree.getParent());

        new ScratchSpace(ScratchSpace.SHM, 0, record).removeLeftover();

        assertThat(crashedRoot).doesNotExist();
        assertThat(record).doesNotExist();
        assertThat(otherTree.resolve("in-use")).as("a live daemon's dir on another state dir").exists();

        // After a reboot the recorded name may belong to someone else: each is left alone.
        Path theirs = made(ScratchSpace.SHM.resolve(crashedRoot.getFileName()));
        assertThat(asOther("mkdir", "-m", "0700", theirs.toString()).ok()).isTrue();
        Path wide = made(Files.createDirectory(ScratchSpace.SHM.resolve("banger-wide-" + System.nanoTime())));
        Files.setPosixFilePermissions(wide, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path link = made(Files.createSymbolicLink(ScratchSpace.SHM.resolve("banger-link-" + System.nanoTime()), otherRoot));
        Path elsewhere = Files.createDirectory(dir.resolve("banger-elsewhere"));
        Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rwx------"));
        for (Path impostor : List.of(theirs, wide, link, elsewhere)) {
            Files.writeString(record, impostor.toString(), StandardCharsets.UTF_8);
            new ScratchSpace(ScratchSpace.SHM, 0, record).removeLeftover();
            assertThat(Files.exists(impostor, LinkOption.NOFOLLOW_LINKS)).as("%s is kept", impostor).isTrue();
        }
        assertThat(otherTree.resolve("in-use")).as("not followed through the link").exists();
    }

    @Test
    void aTreeThatDoesNotFitTheTmpfsIsUnpackedOnDisk() throws Exception {
        Path small = made(Files.createDirectory(dir.resolve("small")));
        RUNNER.run(Command.of("mount", "-t", "tmpfs", "-o", "size=8m,mode=1777", "tmpfs", small.toString()));
        try {
            byte[] noise = new byte[12 << 20];
            new Random(1).nextBytes(noise);
            registry.serve("big", "v1", TestImage.image(List.of(new TestLayer().dir("usr", 0755).dir("usr/sbin", 0755)
                    .file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0).file("noise", noise, 0644).gzip()), MediaTypes.OCI_LAYER_GZIP));
            ScratchSpace scratch = new ScratchSpace(small, 0, layout.stateDir().resolve("tmpfs-scratch"));
            List<Path> trees = new ArrayList<>();
            PullAndFlatten real = realSteps().pullAndFlatten();
            ImageService images = service(scratch, (resolved, tree, ctx) -> {
                trees.add(tree);
                return real.pull(resolved, tree, ctx);
            });

            ImageInfo image = images.pull(new ImageApi.PullParams(registry.host() + "/big:v1", "big", null, null), ctx());

            assertThat(trees).hasSize(2);
            assertThat(trees.get(0)).startsWithRaw(small);
            assertThat(trees.get(1)).startsWithRaw(layout.stagingDir());
            assertThat(new Ext4Inspector(Path.of(image.rootfsPath())).exists("/noise")).isTrue();
            assertThat(trees.get(0).getParent()).as("the tmpfs dir is gone with its tree").doesNotExist();
            assertThat(layout.stagingDir().toFile().list()).isEmpty();
        } finally {
            RUNNER.runAllowingFailure(Command.of("umount", "-l", small.toString()));
        }
    }

    private ImageSteps realSteps() {
        return ImageSteps.real(RUNNER, layout, Config.under(dir.resolve("banger")));
    }

    /** Pulls that unpack in {@code scratch} through {@code pull} (which wraps the real one). */
    private ImageService service(ScratchSpace scratch, PullAndFlatten pull) {
        return new ImageService(store, RUNNER, layout, Config.under(dir.resolve("banger")), Clock.systemUTC(),
                realSteps().withScratch(scratch).withPullAndFlatten(pull));
    }

    private ImageInfo pull(ImageService images) {
        return images.pull(new ImageApi.PullParams(registry.host() + "/app:v1", "app", null, null), ctx());
    }

    private OperationContext ctx() {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "image.pull", "test", false, e -> { });
    }

    private static CommandResult asOther(String... argv) {
        List<String> all = new ArrayList<>(List.of("setpriv", "--reuid=" + OTHER, "--regid=" + OTHER, "--init-groups", "--"));
        all.addAll(List.of(argv));
        return RUNNER.runAllowingFailure(Command.of(all.toArray(String[]::new)));
    }

    /** Runs {@code argv} as the other user; one that succeeds is recorded in {@code succeeded}. */
    private static void attack(List<String> succeeded, String... argv) {
        if (asOther(argv).ok()) {
            succeeded.add(String.join(" ", argv));
        }
    }

    private static void assertPrivate(Path dir) throws java.io.IOException {
        Map<String, Object> a = Files.readAttributes(dir, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        assertThat((Integer) a.get("mode") & 07777).isEqualTo(0700);
        assertThat(a.get("uid")).isEqualTo(0);
    }

    private Path made(Path p) {
        made.add(p);
        return p;
    }

    /** The name the old code gave a state dir's tmpfs dir: the first 6 bytes of the path's SHA-256. */
    private static String oldHash(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)), 0, 6);
    }
}
