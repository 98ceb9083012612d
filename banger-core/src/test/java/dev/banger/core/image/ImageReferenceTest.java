package dev.banger.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ImageReferenceTest {

    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            debian                                | registry-1.docker.io | library/debian        | latest   | -
            debian:bookworm                       | registry-1.docker.io | library/debian        | bookworm | -
            user/app                              | registry-1.docker.io | user/app              | latest   | -
            user/app:1.2.3-rc_1                   | registry-1.docker.io | user/app              | 1.2.3-rc_1 | -
            docker.io/library/x                   | registry-1.docker.io | library/x             | latest   | -
            docker.io/x                           | registry-1.docker.io | library/x             | latest   | -
            index.docker.io/user/app:v1           | registry-1.docker.io | user/app              | v1       | -
            registry-1.docker.io/library/x        | registry-1.docker.io | library/x             | latest   | -
            ghcr.io/owner/repo/sub:tag            | ghcr.io              | owner/repo/sub        | tag      | -
            registry.example.com:5000/team/app:v2 | registry.example.com:5000 | team/app         | v2       | -
            localhost:5000/x                      | localhost:5000       | x                     | latest   | -
            localhost/x:y                         | localhost            | x                     | y        | -
            127.0.0.1:5000/a/b                    | 127.0.0.1:5000       | a/b                   | latest   | -
            [::1]:5000/a                          | [::1]:5000           | a                     | latest   | -
            some.host/a__b/c-d/e.f                | some.host            | a__b/c-d/e.f          | latest   | -
            """)
    void normalisesLikeDocker(String input, String registry, String repository, String tag, String digest) {
        ImageReference ref = ImageReference.parse(input);

        assertThat(ref.registry()).isEqualTo(registry);
        assertThat(ref.repository()).isEqualTo(repository);
        assertThat(ref.tag()).isEqualTo(tag);
        assertThat(ref.digest()).isEqualTo(digest);
        assertThat(ref.manifestReference()).isEqualTo(tag);
    }

    @Test
    void aDigestPinsTheManifestAndKeepsTheTagForDisplay() {
        ImageReference pinned = ImageReference.parse("debian@" + DIGEST);
        ImageReference both = ImageReference.parse("ghcr.io/o/r:v1@" + DIGEST);

        assertThat(pinned.tag()).isNull();
        assertThat(pinned.digest()).isEqualTo(DIGEST);
        assertThat(pinned.manifestReference()).isEqualTo(DIGEST);
        assertThat(pinned).hasToString("registry-1.docker.io/library/debian@" + DIGEST);
        assertThat(both.tag()).isEqualTo("v1");
        assertThat(both.manifestReference()).isEqualTo(DIGEST);
        assertThat(both).hasToString("ghcr.io/o/r:v1@" + DIGEST);
    }

    @Test
    void withDigestPinsAResolvedReference() {
        ImageReference ref = ImageReference.parse("localhost:5000/app:v1").withDigest(DIGEST);

        assertThat(ref.manifestReference()).isEqualTo(DIGEST);
        assertThat(ref).hasToString("localhost:5000/app:v1@" + DIGEST);
        assertThat(ImageReference.parse(ref.toString())).isEqualTo(ref);
        assertThatThrownBy(() -> ref.withDigest("sha256:short")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toStringParsesBackToTheSameReference() {
        for (String s : new String[] {"debian", "user/app:v1", "localhost:5000/x", "[::1]:5000/a:b"}) {
            ImageReference ref = ImageReference.parse(s);
            assertThat(ImageReference.parse(ref.toString())).as(s).isEqualTo(ref);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            Debian                         | invalid repository 'library/Debian'
            user//app                      | invalid repository 'user//app'
            app:                           | invalid tag ''
            app:-dash                      | invalid tag '-dash'
            app:has space                  | invalid tag 'has space'
            app@sha256:abc                 | digest must be sha256: and 64 hex digits
            app@md5:0123456789abcdef       | digest must be sha256: and 64 hex digits
            bad_host.example.com:5000/app  | invalid registry 'bad_host.example.com:5000'
            -leading/app                   | invalid repository '-leading/app'
            /app                           | invalid repository '/app'
            """)
    void invalidReferencesAreRejectedWithTheReason(String input, String reason) {
        assertThatThrownBy(() -> ImageReference.parse(input))
                .isInstanceOf(BangerException.class)
                .hasMessageContaining("image reference '" + input + "'")
                .hasMessageContaining(reason)
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.BAD_REQUEST));
    }

    @Test
    void anEmptyReferenceIsRejected() {
        assertThatThrownBy(() -> ImageReference.parse("  "))
                .isInstanceOf(BangerException.class)
                .hasMessage("image reference is empty");
        assertThatThrownBy(() -> ImageReference.parse(null)).isInstanceOf(BangerException.class);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            localhost/x             | true
            localhost:5000/x        | true
            127.0.0.1:5000/x        | true
            127.1.2.3/x             | true
            [::1]:5000/x            | true
            debian                  | false
            ghcr.io/o/r             | false
            localhost.example.com/x | false
            10.0.0.1:5000/x         | false
            [::2]:5000/x            | false
            """)
    void onlyLoopbackRegistriesCountAsLoopback(String input, boolean loopback) {
        assertThat(ImageReference.parse(input).isLoopback()).isEqualTo(loopback);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            debian                         | registry-1.docker.io
            library/debian:12              | registry-1.docker.io
            registry-1.docker.io/library/x | registry-1.docker.io
            localhost/app                  | localhost
            127.0.0.1:5000/app:v1          | 127.0.0.1:5000
            [::1]:5000/app                 | [::1]:5000
            ghcr.io/o/r@sha256:00          | ghcr.io
            """)
    void theRegistryIsTheFirstComponentWhenItLooksLikeAHost(String input, String registry) {
        assertThat(ImageReference.registryOf(input)).isEqualTo(registry);
    }
}
