package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Startup sweep of the images and kernels dirs: a publish renames its staging dir into place
 * before its row commits, and a delete drops the row before the files, so a daemon killed in
 * between leaves {@code images/<id>} or {@code kernels/<name>} that no row names (the latter
 * would block a re-import of that name). Those are removed; entries that do not look like banger's
 * (an id, a valid name) are left alone. Only safe under the state dir's lock, before serving.
 */
final class HalfPublishedSweep {

    private static final Logger log = LoggerFactory.getLogger(HalfPublishedSweep.class);
    private static final Pattern IMAGE_DIR = Pattern.compile("[0-9a-f]{16}");

    private final Store store;
    private final Layout layout;

    HalfPublishedSweep(Store store, Layout layout) {
        this.store = store;
        this.layout = layout;
    }

    void run() {
        Set<Path> images = store.images().list().stream().map(ImageInfo::dir).map(HalfPublishedSweep::normal).collect(Collectors.toSet());
        sweep(layout.imagesDir(), "image", images, name -> IMAGE_DIR.matcher(name).matches());
        Set<Path> kernels = store.kernels().list().stream().map(KernelInfo::dir).map(HalfPublishedSweep::normal).collect(Collectors.toSet());
        sweep(layout.kernelsDir(), "kernel", kernels, Names::isValid);
    }

    private static void sweep(Path dir, String kind, Set<Path> named, Predicate<String> ours) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> children = Files.list(dir)) {
            children.filter(p -> ours.test(p.getFileName().toString()) && !named.contains(normal(p.toString()))).forEach(p -> {
                log.warn("removing {}: a half-published or half-deleted {} that no row names (bangerd stopped mid-publish or mid-delete)",
                        p, kind);
                FileTrees.deleteQuietly(p);
            });
        } catch (IOException e) {
            log.warn("cannot list {}: {}", dir, e.getMessage());
        }
    }

    private static Path normal(String path) {
        return Path.of(path).toAbsolutePath().normalize();
    }
}
