package dev.banger.daemon.image.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import dev.banger.core.image.ImageReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryCredentialsTest {

    @TempDir
    Path dir;

    private static String basic(String userPass) {
        return "Basic " + Base64.getEncoder().encodeToString(userPass.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsAuthAndUsernamePasswordEntriesUnderAnyKeySpelling() throws IOException {
        Path config = dir.resolve("config.json");
        Files.writeString(config, """
                {"auths": {
                  "https://index.docker.io/v1/": {"auth": "%s"},
                  "Registry.Example.com:5000": {"username": "u2", "password": "p:with:colons"},
                  "https://ghcr.io": {"auth": "%s"},
                  "helper-managed.example": {}
                }, "credHelpers": {"gcr.io": "gcloud"}}
                """.formatted(Base64.getEncoder().encodeToString("hubuser:hubpass".getBytes(StandardCharsets.UTF_8)),
                Base64.getEncoder().encodeToString("gh:token".getBytes(StandardCharsets.UTF_8))));

        RegistryCredentials creds = RegistryCredentials.fromDockerConfig(config);

        assertThat(creds.basicAuthFor(ImageReference.DOCKER_HUB)).hasValue(basic("hubuser:hubpass"));
        assertThat(creds.basicAuthFor("docker.io")).hasValue(basic("hubuser:hubpass"));
        assertThat(creds.basicAuthFor("registry.example.com:5000")).hasValue(basic("u2:p:with:colons"));
        assertThat(creds.basicAuthFor("ghcr.io")).hasValue(basic("gh:token"));
        assertThat(creds.basicAuthFor("registry.example.com")).as("another port is another registry").isEmpty();
        assertThat(creds.basicAuthFor("helper-managed.example")).isEmpty();
        assertThat(creds.toString()).doesNotContain("hubpass", "token", "p:with");
    }

    @Test
    void noFileMeansNoCredentials() {
        assertThat(RegistryCredentials.fromDockerConfig(null).basicAuthFor("ghcr.io")).isEmpty();
    }

    @Test
    void aNamedFileThatIsMissingOrMalformedIsAnErrorNamingIt() throws IOException {
        Path missing = dir.resolve("missing.json");
        Path garbage = Files.writeString(dir.resolve("garbage.json"), "{not json");
        Path badAuth = Files.writeString(dir.resolve("bad.json"), "{\"auths\": {\"h\": {\"auth\": \"%%%\"}}}");

        assertThatThrownBy(() -> RegistryCredentials.fromDockerConfig(missing))
                .isInstanceOf(RegistryException.class)
                .hasMessage("cannot read registry credentials from " + missing + " (registry_auth_file): the file does not exist");
        assertThatThrownBy(() -> RegistryCredentials.fromDockerConfig(garbage))
                .isInstanceOf(RegistryException.class)
                .hasMessageStartingWith("cannot read registry credentials from " + garbage + " (registry_auth_file): ");
        assertThatThrownBy(() -> RegistryCredentials.fromDockerConfig(badAuth))
                .isInstanceOf(RegistryException.class)
                .hasMessageEndingWith("the \"auth\" of \"h\" is not base64");
    }

    @Test
    void challengesParseWithQuotedCommasAndSeveralSchemes() {
        List<Challenge> cs = Challenge.parse(List.of(
                "Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"",
                "Basic realm=\"r\", Foo x=1"));

        assertThat(cs).containsExactly(
                new Challenge("bearer", Map.of("realm", "https://auth.example/token", "service", "registry.example",
                        "scope", "repository:a/b:pull,push")),
                new Challenge("basic", Map.of("realm", "r")),
                new Challenge("foo", Map.of("x", "1")));
    }
}
