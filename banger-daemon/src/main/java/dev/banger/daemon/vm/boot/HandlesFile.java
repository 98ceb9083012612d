package dev.banger.daemon.vm.boot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.banger.daemon.fs.FileModes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/** Reads and atomically replaces {@code handles.json} in a VM's dir. */
public final class HandlesFile {

    public static final String NAME = "handles.json";
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private HandlesFile() {
    }

    public static Optional<VmHandles> read(Path vmDir) {
        Path file = vmDir.resolve(NAME);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), VmHandles.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Write-then-rename, so a crash leaves the old file or the new one, never half of one. */
    public static void write(Path vmDir, VmHandles handles) {
        Path file = vmDir.resolve(NAME);
        Path tmp = vmDir.resolve(NAME + ".tmp");
        try {
            JSON.writeValue(tmp.toFile(), handles);
            FileModes.privateFile(tmp);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    public static void delete(Path vmDir) {
        try {
            Files.deleteIfExists(vmDir.resolve(NAME));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + vmDir.resolve(NAME) + ": " + e.getMessage(), e);
        }
    }
}
