package dev.banger.daemon.workspace;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;

/**
 * What was last shipped into a VM ({@code workspace.json} in its dir, 0600; deleted with the dir).
 *
 * @param guestPath      the work tree in the guest
 * @param head           the host's HEAD commit shipped (the guest's HEAD)
 * @param branch         the branch HEAD named on the host, or null when detached
 * @param manifestSha256 SHA-256 of the manifest the CLI computed (path, mode, size, mtime of each file)
 * @param files          how many files the manifest lists
 * @param bytes          the size of the last ship's tar stream
 * @param git            whether the guest has git (export needs it)
 * @param shippedAt      when the last ship ended
 */
public record ShipRecord(String guestPath, String head, String branch, String manifestSha256, long files, long bytes,
                         boolean git, Instant shippedAt) {

    static final String FILE = "workspace.json";
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    static Optional<ShipRecord> read(Path vmDir) {
        Path file = vmDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), ShipRecord.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Write-then-rename, 0600 from the start (it names the user's paths and commits). */
    void write(Path vmDir) {
        Path file = vmDir.resolve(FILE);
        Path tmp = vmDir.resolve(FILE + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            JSON.writeValue(tmp.toFile(), this);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
