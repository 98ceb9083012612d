package dev.banger.daemon.image.testing;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Real ext4 images for tests (mkfs.ext4 -d), and hostile ones made by patching bytes of a real one:
 * an entry built with a placeholder name of the same length is renamed in place (the filesystem is
 * made without metadata_csum and dir_index, so nothing else notices).
 */
public final class TestExt4 {

    static final CommandRunner RUNNER = new CommandRunner();

    /** The options that keep a patched directory entry readable by the kernel's and debugfs's rules. */
    public static final String[] PATCHABLE = {"-O", "^metadata_csum,^dir_index"};

    /** The name the hostile tests plant in /root: debugfs 1.47 rdump writes it 3 levels above its target. */
    public static final String TRAVERSAL = "../../../../PWNED";

    private TestExt4() {
    }

    /** {@code mkfs.ext4 -q -F OPTIONS -d tree image} on a sparse file of {@code size} (e.g. "16M"). */
    public static Path build(Path tree, Path image, String size, String... options) {
        RUNNER.run(Command.of("truncate", "-s", size, image.toString()));
        List<String> args = new ArrayList<>(List.of("mkfs.ext4", "-q", "-F"));
        args.addAll(List.of(options));
        args.addAll(List.of("-d", tree.toString(), image.toString()));
        RUNNER.run(Command.of(args.toArray(String[]::new)));
        return image;
    }

    /** Renames the one directory entry named {@code placeholder} to {@code name} (same length) in the image's bytes. */
    public static void rename(Path image, String placeholder, String name) throws IOException {
        byte[] from = placeholder.getBytes(StandardCharsets.UTF_8);
        byte[] to = name.getBytes(StandardCharsets.UTF_8);
        if (from.length != to.length) {
            throw new IllegalArgumentException("'" + name + "' is not as long as '" + placeholder + "'");
        }
        byte[] bytes = Files.readAllBytes(image);
        int at = onlyEntry(bytes, from);
        System.arraycopy(to, 0, bytes, at, to.length);
        Files.write(image, bytes);
    }

    /** Points the one directory entry named {@code name} at another inode (its 4 bytes sit 8 before the name). */
    public static void repoint(Path image, String name, long inode) throws IOException {
        byte[] bytes = Files.readAllBytes(image);
        int at = onlyEntry(bytes, name.getBytes(StandardCharsets.UTF_8)) - 8;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) inode);
        Files.write(image, bytes);
    }

    /** {@code debugfs -w -R "sif PATH FIELD VALUE"}: one raw inode field, e.g. {@code block[5]} (checksums follow). */
    public static void setInodeField(Path image, String path, String field, String value) {
        RUNNER.run(Command.of("debugfs", "-w", "-R", "sif \"" + path + "\" " + field + " " + value, image.toString()));
    }

    /** The inode number debugfs reports for {@code path} inside the image. */
    public static long inodeOf(Path image, String path) {
        String out = RUNNER.run(Command.of("debugfs", "-R", "stat \"" + path + "\"", image.toString())).stdout();
        Matcher m = Pattern.compile("Inode: (\\d+)").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException(path + " not in " + image + ": " + out);
        }
        return Long.parseLong(m.group(1));
    }

    /**
     * An 8 MiB ext4 whose /root holds {@code .bashrc} and a directory entry named {@link #TRAVERSAL}
     * (a directory with a file {@code payload} in it), built under {@code work}.
     */
    public static Path withTraversalEntry(Path work) throws IOException {
        String placeholder = "A".repeat(TRAVERSAL.length());
        Path tree = Files.createDirectories(work.resolve("hostile-tree"));
        Path entry = Files.createDirectories(tree.resolve("root").resolve(placeholder));
        Files.writeString(entry.resolve("payload"), "written outside\n");
        Files.writeString(tree.resolve("root/.bashrc"), "echo hostile\n");
        Path image = build(tree, work.resolve("hostile.ext4"), "8M", PATCHABLE);
        rename(image, placeholder, TRAVERSAL);
        return image;
    }

    /** Every path at most {@code depth} levels under {@code roots} whose name contains "PWNED" (missing roots skipped). */
    public static List<Path> findPwned(int depth, Path... roots) throws IOException {
        List<Path> found = new ArrayList<>();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(root, depth)) {
                walk.filter(p -> p.getFileName() != null && p.getFileName().toString().contains("PWNED")).forEach(found::add);
            } catch (java.io.UncheckedIOException e) {
                // another process's files vanishing mid-walk (/tmp, /dev/shm) is not ours to report
            }
        }
        return found;
    }

    /**
     * Where the one directory entry named {@code needle} has its name: the bytes of the name, preceded
     * by the entry's name length and a file type (1 to 7), so that a short name is not found in
     * random bytes (a UUID, a checksum) elsewhere in the image.
     */
    private static int onlyEntry(byte[] bytes, byte[] needle) {
        int found = -1;
        for (int i = 2; i + needle.length <= bytes.length; i++) {
            if (bytes[i] == needle[0] && (bytes[i - 2] & 0xff) == needle.length && bytes[i - 1] >= 1 && bytes[i - 1] <= 7
                    && java.util.Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
                if (found >= 0) {
                    throw new IllegalStateException("'" + new String(needle, StandardCharsets.UTF_8) + "' appears twice in the image");
                }
                found = i;
            }
        }
        if (found < 0) {
            throw new IllegalStateException("'" + new String(needle, StandardCharsets.UTF_8) + "' is not in the image");
        }
        return found;
    }
}
