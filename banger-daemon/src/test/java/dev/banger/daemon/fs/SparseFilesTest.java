package dev.banger.daemon.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparseFilesTest {

    @TempDir
    Path dir;

    @Test
    void writesTheBytesReadableByItsOwnerOnly() throws Exception {
        byte[] data = new byte[8 << 20];
        data[0] = 1;
        data[data.length - 1] = 2;
        Path out = dir.resolve("memory.state");

        assertThat(SparseFiles.write(new ByteArrayInputStream(data), out)).isEqualTo(data.length);

        assertThat(Files.readAllBytes(out)).isEqualTo(data);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).as("guest data: no one else reads it")
                .isEqualTo("rw-------");
    }
}
