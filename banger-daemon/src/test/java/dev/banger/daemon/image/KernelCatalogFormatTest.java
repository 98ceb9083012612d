package dev.banger.daemon.image;

import dev.banger.core.api.KernelApi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.kernel.KernelCatalog;
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.image.testing.TestKernelServer;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog format, the embedded catalog, and what the kernel_catalog override does; no downloads. */
class KernelCatalogFormatTest {

    private static final String SHA = "ab".repeat(32);

    @TempDir
    Path dir;

    @Test
    void theEmbeddedCatalogIsValidPinsADebianMirrorUrlAndHasTheDefaultImagesAptKernel() {
        KernelCatalog c = KernelCatalog.embedded();
        assertThat(c.origin()).isEqualTo("embedded");
        assertThat(c.find("debian-cloud")).as("the kernel of the built-in debian-bookworm image").hasValueSatisfying(e -> {
            assertThat(e.kind()).isEqualTo(KernelCatalog.Kind.APT);
            assertThat(e.aptPackage()).isEqualTo("linux-image-cloud-amd64");
        });
        List<KernelCatalog.Entry> pinned = c.kernels().stream().filter(e -> e.kind() == KernelCatalog.Kind.DEB).toList();
        assertThat(pinned).hasSizeLessThanOrEqualTo(1);
        for (KernelCatalog.Entry e : pinned) {
            Names.validate("kernel", e.name());
            assertThat(e.url()).startsWith("https://deb.debian.org/debian").contains("/pool/", "/linux-image-" + e.version() + "_");
            assertThat(e.url()).matches(".*/linux-image-6\\.1\\.0-[0-9]+-cloud-amd64_[^/]+_amd64\\.deb");
            assertThat(e.sha256()).matches("[0-9a-f]{64}");
            assertThat(e.size()).isPositive();
        }
    }

    /** When host-setup.sh downloaded the very package the embedded catalog names, the pinned digest and size are its. */
    @Test
    void theEmbeddedEntryMatchesHostSetupsPackageWhenItIsTheSameFile() throws IOException {
        for (KernelCatalog.Entry e : KernelCatalog.embedded().kernels()) {
            if (e.kind() != KernelCatalog.Kind.DEB) {
                continue;
            }
            Path local = TestKernelDeb.CACHE.resolve(e.url().substring(e.url().lastIndexOf('/') + 1));
            if (Files.isRegularFile(local)) {
                assertThat(TestKernelServer.sha256(local)).as("sha256 of " + local).isEqualTo(e.sha256());
                assertThat(Files.size(local)).isEqualTo(e.size());
            }
        }
    }

    @Test
    void theFormatIsCheckedStrictlyNamingTheFileAndTheEntry() {
        String ok = "{\"name\": \"k\", \"kind\": \"deb\", \"url\": \"https://mirror.invalid/k.deb\", \"sha256\": \"" + SHA + "\"";
        KernelCatalog c = KernelCatalog.parse(bytes("{\"format\": 1, \"kernels\": [" + ok + "}]}"), "/etc/k.json");
        assertThat(c.kernels()).containsExactly(new KernelCatalog.Entry("k", KernelCatalog.Kind.DEB, null, null, null,
                "https://mirror.invalid/k.deb", SHA, null, null, null));
        assertThat(c.find("k")).isPresent();
        assertThat(c.find("other")).isEmpty();

        invalid("{\"format\": 2, \"kernels\": []}", "\"format\" must be 1, got 2");
        invalid("{\"kernels\": []}", "\"format\" must be 1, got null");
        invalid("{\"format\": 1}", "\"kernels\" (an array) is missing");
        invalid("{\"format\": 1, \"kernels\": [], \"extra\": 1}", "\"extra\"");
        invalid("{\"format\": 1, \"kernels\": [" + ok + ", \"sha512\": \"x\"}]}", "\"sha512\"");
        invalid("{\"format\": 1, \"kernels\": [" + ok.replace("\"deb\"", "\"dir-tarball\"") + "}]}",
                "kernels[0] (k): kind 'dir-tarball' is not one this bangerd knows (deb, apt)");
        invalid("{\"format\": 1, \"kernels\": [" + ok.replace(SHA, SHA.toUpperCase()) + "}]}",
                "kernels[0] (k): sha256 must be 64 lower-case hex digits");
        invalid("{\"format\": 1, \"kernels\": [" + ok.replace("https://mirror.invalid", "ftp://mirror.invalid") + "}]}",
                "kernels[0] (k): url must be an http:// or https:// URL with a host");
        invalid("{\"format\": 1, \"kernels\": [" + ok.replace(", \"sha256\": \"" + SHA + "\"", "") + "}]}",
                "kernels[0] (k): \"sha256\" is required");
        invalid("{\"format\": 1, \"kernels\": [" + ok + ", \"size\": 0}]}", "size must be a positive number of bytes");
        invalid("{\"format\": 1, \"kernels\": [" + ok + ", \"arch\": \"arm64\"}]}", "arch 'arm64' is not x86_64");
        invalid("{\"format\": 1, \"kernels\": [" + ok + "}, " + ok + "}]}", "kernel k is listed twice");
        invalid("not json", "kernel catalog /etc/k.json is not valid: ");

        String apt = "{\"name\": \"a\", \"kind\": \"apt\", \"package\": \"linux-image-cloud-amd64\"";
        assertThat(KernelCatalog.parse(bytes("{\"format\": 1, \"kernels\": [" + apt + "}]}"), "/etc/k.json").kernels())
                .containsExactly(new KernelCatalog.Entry("a", KernelCatalog.Kind.APT, null, null, null, null, null, null, null,
                        "linux-image-cloud-amd64"));
        invalid("{\"format\": 1, \"kernels\": [{\"name\": \"a\", \"kind\": \"apt\"}]}", "kernels[0] (a): \"package\" is required");
        invalid("{\"format\": 1, \"kernels\": [" + apt + ", \"sha256\": \"" + SHA + "\"}]}",
                "kernels[0] (a): \"sha256\" does not go with kind apt");
        invalid("{\"format\": 1, \"kernels\": [" + apt.replace("linux-image", "Linux Image") + "}]}",
                "kernels[0] (a): package 'Linux Image-cloud-amd64' is not a Debian package name");
        invalid("{\"format\": 1, \"kernels\": [" + ok + ", \"package\": \"linux-image-cloud-amd64\"}]}",
                "kernels[0] (k): \"package\" is for kind apt");
    }

    private static void invalid(String json, String message) {
        assertThatThrownBy(() -> KernelCatalog.parse(bytes(json), "/etc/k.json"))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                .hasMessageStartingWith("kernel catalog /etc/k.json is not valid: ")
                .hasMessageContaining(message);
    }

    /** The override is read at each use: a broken file fails the catalog's methods (not the daemon), a fixed one works. */
    @Test
    void theOverrideIsReadAtEachUseAndItsNamesFollowTheKernelNameRules() throws IOException {
        Path file = dir.resolve("kernels.json");
        Files.writeString(file, "{\"format\": 1, \"kernels\": [" + TestKernelServer.entry("../evil", "deb", null,
                "http://127.0.0.1:9/x.deb", SHA, null) + "]}");
        Config config = Config.under(dir.resolve("banger")).withKernelCatalog(file);
        Layout layout = Layout.of(config);
        try (Store store = Store.open(layout.database())) {
            ImageService images = new ImageService(store, new CommandRunner(), layout, config, Clock.systemUTC());
            assertThatThrownBy(images::kernelCatalog)
                    .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                    .hasMessageStartingWith("kernel catalog " + file + " is not valid: kernel name '../evil' is not valid");

            TestKernelServer.catalog(file, TestKernelServer.entry("fixed", "deb", "6.1.0-1-cloud-amd64",
                    "http://127.0.0.1:9/x.deb", SHA, 10L));
            KernelApi.KernelCatalogList list = images.kernelCatalog();
            assertThat(list.catalog()).isEqualTo(file.toString());
            assertThat(list.kernels()).singleElement().satisfies(k -> {
                assertThat(k.name()).isEqualTo("fixed");
                assertThat(k.imported()).isFalse();
                assertThat(k.cached()).isFalse();
                assertThat(k.sizeBytes()).isEqualTo(10L);
            });

            Files.delete(file);
            assertThatThrownBy(images::kernelCatalog).hasMessageContaining("kernel catalog " + file + " (config key kernel_catalog) does not exist");
        }
    }

    @Test
    void withoutTheOverrideTheEmbeddedCatalogApplies() throws IOException {
        Config config = Config.under(dir.resolve("banger"));
        Layout layout = Layout.of(config);
        try (Store store = Store.open(layout.database())) {
            ImageService images = new ImageService(store, new CommandRunner(), layout, config, Clock.systemUTC());
            KernelApi.KernelCatalogList list = images.kernelCatalog();
            assertThat(list.catalog()).isEqualTo("embedded");
            assertThat(list.kernels()).extracting(KernelApi.CatalogKernel::name)
                    .containsExactlyElementsOf(KernelCatalog.embedded().kernels().stream().map(KernelCatalog.Entry::name).toList());
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
