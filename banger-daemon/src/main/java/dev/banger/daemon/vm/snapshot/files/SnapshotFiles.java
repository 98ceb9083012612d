package dev.banger.daemon.vm.snapshot.files;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.fs.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of snapshots under {@code state_dir/snapshots/<id>/}: {@code memory.state} (the
 * hypervisor's saved memory and device state, sparse), copies of the VM's disks under their own
 * names, and {@code snapshot.json} (what took it and of which machine). A snapshot is written in
 * {@code .staging-<id>} and renamed into place once complete, so a half-written one (a full disk,
 * a killed daemon) is never listed; the store row is inserted after the rename.
 */
public final class SnapshotFiles {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotFiles.class);

    /**
     * The layout of a snapshot dir and its manifest; a snapshot written in another is refused.
     * 2: the machine has the identity port (a format-1 state does not load into it).
     */
    public static final int FORMAT = 2;
    static final String STATE = "memory.state";
    static final String MANIFEST = "snapshot.json";
    private static final String STAGING = ".staging-";
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(30);
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    /**
     * What {@code snapshot.json} holds.
     *
     * @param stateFormat the hypervisor and version that wrote the state ("qemu 7.2.0"); only it loads it
     * @param disks       the VM's disk files copied, by name (root first)
     */
    public record Manifest(int format, String bangerVersion, String hypervisor, String stateFormat, String vmId, String imageId,
                           int vcpu, int memoryMib, long diskBytes, List<String> disks, Instant createdAt) {
    }

    private final Path dir;
    private final CommandRunner runner;

    public SnapshotFiles(Path snapshotsDir, CommandRunner runner) {
        this.dir = snapshotsDir;
        this.runner = runner;
    }

    /** A new, private staging dir for snapshot {@code id}. */
    public Path staging(String id) {
        FileModes.privateDir(dir);
        return FileModes.privateDir(dir.resolve(STAGING + id));
    }

    public static Path stateFile(Path snapshotDir) {
        return snapshotDir.resolve(STATE);
    }

    public Path dirOf(String id) {
        return dir.resolve(id);
    }

    /** Copies a VM disk into {@code toDir} under its own name, sparse (a reflink where the filesystem has them). */
    public void copyDisk(Path disk, Path toDir) {
        copy(disk, toDir.resolve(disk.getFileName().toString()));
    }

    /** Puts the snapshot's disks back into {@code vmDir}: each copied beside its target, then renamed over it. */
    public void restoreDisks(String id, Manifest m, Path vmDir) {
        for (String name : m.disks()) {
            Path target = vmDir.resolve(name);
            Path temp = vmDir.resolve(name + ".restoring");
            try {
                Files.deleteIfExists(temp);
                copy(dirOf(id).resolve(name), temp);
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                FileTrees.deleteQuietly(temp);
                throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot put back disk " + name + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                FileTrees.deleteQuietly(temp);
                throw e;
            }
        }
    }

    /**
     * Makes the qcow2 {@code disk} backed by the raw {@code base} (a clone's copied root disk onto its
     * image), with the clusters in which the old backing chain differs from {@code base} copied in.
     */
    public void rebaseOnto(Path disk, Path base) {
        runner.run(Command.of("qemu-img", "rebase", "-q", "-f", "qcow2", "-F", "raw", "-b", base.toAbsolutePath().toString(),
                disk.toString()).withTimeout(COPY_TIMEOUT));
    }

    private void copy(Path from, Path to) {
        runner.run(Command.of("cp", "--reflink=auto", "--sparse=always", from.toString(), to.toString()).withTimeout(COPY_TIMEOUT));
        FileModes.privateFile(to);
    }

    public void writeManifest(Path snapshotDir, Manifest m) throws IOException {
        Path manifest = Files.createFile(snapshotDir.resolve(MANIFEST), FileModes.privateFile());
        Files.write(manifest, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
    }

    /** Renames a complete staging dir into place. */
    public Path publish(Path staging, String id) throws IOException {
        return Files.move(staging, dirOf(id), StandardCopyOption.ATOMIC_MOVE);
    }

    /** What the snapshot's files take on disk (their blocks: holes are free), from {@code du}. */
    public long sizeOnDisk(Path snapshotDir) {
        String out = runner.run(Command.of("du", "-s", "-B1", snapshotDir.toString())).stdout().strip();
        return Long.parseLong(out.split("\\s+")[0]);
    }

    /**
     * The manifest of snapshot {@code id} once its files are all there and it was written by this
     * banger's format and the {@code stateFormat} this host's hypervisor loads; else a bad request
     * saying what is wrong, naming the snapshot {@code name}.
     */
    public Manifest verify(String id, String name, String stateFormat) {
        Path d = dirOf(id);
        Manifest m;
        try {
            m = JSON.readValue(d.resolve(MANIFEST).toFile(), Manifest.class);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw incomplete(name, List.of(MANIFEST));
        } catch (IOException e) {
            throw BangerException.badRequest("snapshot " + name + ": its " + MANIFEST + " is unreadable (" + e.getMessage()
                    + "): delete it (banger vm snapshot delete " + name + ")");
        }
        if (m.format() < FORMAT) {
            throw BangerException.badRequest("snapshot " + name + " was taken by an older banger (" + m.bangerVersion()
                    + ", snapshot format " + m.format() + "), whose machines lack the identity port this banger's have: its state"
                    + " does not load here; take a new snapshot");
        }
        if (m.format() != FORMAT) {
            throw BangerException.badRequest("snapshot " + name + " was written by banger " + m.bangerVersion() + " in snapshot format "
                    + m.format() + "; this banger reads format " + FORMAT + " only: take a new snapshot");
        }
        if (!stateFormat.equals(m.stateFormat())) {
            throw BangerException.badRequest("snapshot " + name + " was taken with " + m.stateFormat() + "; this host runs "
                    + stateFormat + ", which is not guaranteed to load it (a wrong load crashes the guest): take a new snapshot");
        }
        List<String> missing = new ArrayList<>();
        for (String f : concat(STATE, m.disks())) {
            if (!Files.isRegularFile(d.resolve(f))) {
                missing.add(f);
            }
        }
        if (!missing.isEmpty()) {
            throw incomplete(name, missing);
        }
        return m;
    }

    /** The verified origin of a clone of snapshot {@code id} (see {@link #verify}). */
    public CloneOrigin origin(String id, String name, String stateFormat) {
        return new CloneOrigin(id, name, dirOf(id), verify(id, name, stateFormat));
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(rest);
        return all;
    }

    private BangerException incomplete(String name, List<String> missing) {
        return BangerException.badRequest("snapshot " + name + " is incomplete: " + String.join(", ", missing)
                + " missing from " + dir + " (removed by hand?): delete it (banger vm snapshot delete " + name + ")");
    }

    public void delete(String id) {
        FileTrees.deleteQuietly(dirOf(id));
    }

    /** Staging dirs of snapshots a killed daemon never finished. */
    /**
     * Removes published snapshot dirs no row names: a daemon killed between the rename into place
     * and the row's insert (more likely since warm-start templates are taken in the background).
     */
    public void sweepUnlisted(java.util.Set<String> listed) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var entries = Files.list(dir)) {
            entries.filter(p -> p.getFileName().toString().matches("[0-9a-f]{16}") && !listed.contains(p.getFileName().toString()))
                    .forEach(p -> {
                        FileTrees.deleteQuietly(p);
                        LOG.warn("removed {}: a snapshot no row lists (bangerd stopped before recording it)", p);
                    });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void sweepStaging() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var entries = Files.list(dir)) {
            entries.filter(p -> p.getFileName().toString().startsWith(STAGING)).forEach(p -> {
                FileTrees.deleteQuietly(p);
                LOG.warn("removed {}: a snapshot bangerd stopped writing", p);
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
