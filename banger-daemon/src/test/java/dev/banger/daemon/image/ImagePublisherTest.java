package dev.banger.daemon.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.store.Ids;
import dev.banger.daemon.store.ImageRows;
import dev.banger.daemon.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one publish: moves then rows in one transaction under the lock, the moves undone when the rows fail. */
class ImagePublisherTest {

    @TempDir
    Path dir;
    Store store;
    Layout layout;
    ImagePublisher publisher;

    @BeforeEach
    void open() {
        layout = Layout.of(Config.under(dir));
        store = Store.open(layout.database());
        publisher = new ImagePublisher(store, layout);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void rowsThatFailPutEveryMovedDirectoryBack() throws Exception {
        Path kernel = staged("kernel");
        Path image = staged("image");
        Path kernelDir = layout.kernelsDir().resolve("k");
        Path imageDir = layout.imagesDir().resolve("id");

        assertThatThrownBy(() -> publisher.publish(c -> { },
                List.of(new ImagePublisher.Move(kernel, kernelDir), new ImagePublisher.Move(image, imageDir)), c -> {
                    assertThat(kernelDir.resolve("file")).as("moved before the rows").exists();
                    throw new IllegalStateException("insert failed");
                })).hasMessage("insert failed");

        assertThat(kernel.resolve("file")).exists();
        assertThat(image.resolve("file")).exists();
        assertThat(kernelDir).doesNotExist();
        assertThat(imageDir).doesNotExist();
    }

    @Test
    void aNameTakenMeanwhileMovesNothing() throws Exception {
        ImageInfo taken = draft("taken");
        store.write(c -> {
            ImageRows.insert(c, taken);
            return null;
        });
        Path staging = staged("again");

        assertThatThrownBy(() -> publisher.publishImage(staging, draft("taken")))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS))
                .hasMessageContaining("image 'taken' already exists");

        assertThat(staging.resolve("file")).exists();
        assertThat(layout.imagesDir().toFile().list()).isNullOrEmpty();
    }

    private Path staged(String prefix) throws Exception {
        Path staging = publisher.newStagingDir(prefix);
        Files.writeString(staging.resolve("file"), prefix);
        return staging;
    }

    private static ImageInfo draft(String name) {
        return new ImageInfo(Ids.newId(), name, "test", null, null, "amd64", null, "file", null, null, null, true, 1,
                Instant.EPOCH);
    }
}
