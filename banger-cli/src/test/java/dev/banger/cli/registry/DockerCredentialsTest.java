package dev.banger.cli.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which credentials the CLI finds in a docker config.json, as docker would. */
class DockerCredentialsTest {

    @TempDir
    Path dir;

    private DockerCredentials config(String json) throws IOException {
        Files.writeString(dir.resolve("config.json"), json);
        return DockerCredentials.fromEnvironment(Map.of("DOCKER_CONFIG", dir.toString()));
    }

    @Test
    void inlineAuthsForTheRegistryOfTheReference() throws IOException {
        DockerCredentials c = config("""
                {"auths": {"registry.lan:5000": {"auth": "Ym9iOmh1bnRlcjI="},
                           "https://index.docker.io/v1/": {"username": "hub", "password": "pw"}}}
                """);

        assertThat(c.forReference("registry.lan:5000/team/app:v1")).contains(new DockerCredentials.Login("bob", "hunter2"));
        assertThat(c.forReference("debian:bookworm")).contains(new DockerCredentials.Login("hub", "pw"));
        assertThat(c.forReference("ghcr.io/o/r")).isEmpty();
    }

    @Test
    void noConfigMeansNoCredentials() throws IOException {
        assertThat(DockerCredentials.fromEnvironment(Map.of("DOCKER_CONFIG", dir.resolve("none").toString())).forReference("x/y"))
                .isEmpty();
    }

    @Test
    void aMissingHelperIsNamed() throws IOException {
        DockerCredentials c = config("{\"credsStore\": \"banger-no-such-helper\"}");

        assertThatThrownBy(() -> c.forReference("ghcr.io/o/r")).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot run credential helper docker-credential-banger-no-such-helper");
    }

    @Test
    void aHelperNameThatIsAPathIsRefused() throws IOException {
        DockerCredentials c = config("{\"credHelpers\": {\"ghcr.io\": \"../../bin/sh\"}}");

        assertThatThrownBy(() -> c.forReference("ghcr.io/o/r")).isInstanceOf(IOException.class)
                .hasMessageContaining("is not a program name");
    }

    @Test
    void registryOfAReferenceFollowsDockersRule() {
        assertThat(DockerCredentials.registryOf("debian")).isEqualTo("registry-1.docker.io");
        assertThat(DockerCredentials.registryOf("library/debian:12")).isEqualTo("registry-1.docker.io");
        assertThat(DockerCredentials.registryOf("localhost/app")).isEqualTo("localhost");
        assertThat(DockerCredentials.registryOf("127.0.0.1:5000/app:v1")).isEqualTo("127.0.0.1:5000");
        assertThat(DockerCredentials.registryOf("ghcr.io/o/r@sha256:" + "0".repeat(64))).isEqualTo("ghcr.io");
    }

    @Test
    void anInlineEntryWinsOverTheStoreForItsRegistryAndTheStoreAnswersForTheOthers() throws IOException {
        DockerCredentials c = config("{\"credsStore\": \"banger-no-such-helper\", \"auths\": {\"ghcr.io\": {\"auth\": \"dTpw\"}}}");

        assertThat(c.forReference("ghcr.io/o/r")).isEqualTo(Optional.of(new DockerCredentials.Login("u", "p")));
        assertThatThrownBy(() -> c.forReference("quay.io/o/r")).hasMessageContaining("docker-credential-banger-no-such-helper");
    }
}
