package dev.banger.daemon.image.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mirror of the default image comes from the host's apt sources as apt reads them: one-line and deb822 files. */
class HostDebianMirrorTest {

    @TempDir
    Path etcApt;

    @Test
    void aDeb822SourceServingTheSuiteIsFoundPastDisabledAndOtherSuiteStanzas() throws IOException {
        Files.createDirectories(etcApt.resolve("sources.list.d"));
        Files.writeString(etcApt.resolve("sources.list.d/debian.sources"), """
                Types: deb
                URIs: http://disabled.example/debian
                Suites: bookworm
                Components: main
                Enabled: no

                Types: deb-src
                URIs: http://sources-only.example/debian
                Suites: bookworm

                Types: deb
                # a comment line inside the stanza
                URIs: http://security.example/debian-security
                Suites: bookworm-security
                Components: main

                Types: deb
                URIs: http://mirror.example/debian
                Suites: bookworm bookworm-updates
                Components: main
                Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
                """);
        Files.writeString(etcApt.resolve("sources.list.d/other.list.disabled"), "deb http://never.example/debian bookworm main\n");

        assertThat(HostDebianMirror.find(etcApt, "bookworm")).hasValue("http://mirror.example/debian");
        assertThat(HostDebianMirror.find(etcApt, "trixie")).isEmpty();
    }

    @Test
    void theOneLineSourcesListComesFirstOptionsAndCommentsAside() throws IOException {
        Files.writeString(etcApt.resolve("sources.list"), """
                # deb http://commented.example/debian bookworm main
                deb-src http://src.example/debian bookworm main
                deb [arch=amd64 signed-by=/k.gpg] http://proxy.lan:3142/debian bookworm main contrib
                """);
        Files.createDirectories(etcApt.resolve("sources.list.d"));
        Files.writeString(etcApt.resolve("sources.list.d/a.sources"), "Types: deb\nURIs: http://later.example/debian\nSuites: bookworm\n");

        assertThat(HostDebianMirror.find(etcApt, "bookworm")).hasValue("http://proxy.lan:3142/debian");
    }

    @Test
    void noAptConfigurationAtAllFindsNothing() {
        assertThat(HostDebianMirror.find(etcApt.resolve("missing"), "bookworm")).isEmpty();
    }
}
