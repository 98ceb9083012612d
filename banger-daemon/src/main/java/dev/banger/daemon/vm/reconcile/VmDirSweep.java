package dev.banger.daemon.vm.reconcile;

import dev.banger.daemon.fs.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Startup sweep of the VMs dir: a directory named like a VM id that no row names (its VM's
 * delete removed the row, or the store was restored from an older copy). Whatever VMM still uses
 * it is ended first; entries not named like an id are left alone.
 */
public final class VmDirSweep {

    private static final Logger LOG = LoggerFactory.getLogger(VmDirSweep.class);
    private static final Pattern VM_DIR = Pattern.compile("[0-9a-f]{16}");

    private final Path vmsDir;
    private final Consumer<Path> killUsers;

    VmDirSweep(Path vmsDir, Consumer<Path> killUsers) {
        this.vmsDir = vmsDir;
        this.killUsers = killUsers;
    }

    /** {@code ids}: every VM row's id. */
    void run(Set<String> ids) {
        if (!Files.isDirectory(vmsDir)) {
            return;
        }
        try (Stream<Path> children = Files.list(vmsDir)) {
            for (Path dir : children.toList()) {
                String name = dir.getFileName().toString();
                if (VM_DIR.matcher(name).matches() && !ids.contains(name)) {
                    killUsers.accept(dir);
                    FileTrees.deleteQuietly(dir);
                    LOG.warn("removed {}: no VM row names it", dir);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", vmsDir, e.getMessage());
        }
    }
}
