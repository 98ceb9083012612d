package dev.banger.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private Path file(String toml) throws IOException {
        Path f = dir.resolve("bangerd.toml");
        Files.writeString(f, toml);
        return f;
    }

    private static Config load(Path f) {
        return ConfigLoader.load(f, Map.of());
    }

    @Test
    void noFileGivesTheDocumentedDefaults() {
        Config c = ConfigLoader.load(null, Map.of());

        assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/banger"));
        assertThat(c.cacheDir()).isEqualTo(Path.of("/var/cache/banger"));
        assertThat(c.runtimeDir()).isEqualTo(Path.of("/run/banger"));
        assertThat(c.socketPath()).isEqualTo(Path.of("/run/banger/bangerd.sock"));
        assertThat(c.logLevel()).isEqualTo("info");
    }

    @Test
    void anEmptyFileAlsoGivesTheDefaults() throws IOException {
        assertThat(load(file(""))).isEqualTo(Config.defaults());
    }

    @Test
    void everyKeyIsRead() throws IOException {
        Config c = load(file("""
                state_dir = "/srv/banger/state"
                cache_dir = "/srv/banger/cache"
                runtime_dir = "/srv/banger/run"
                socket_path = "/tmp/elsewhere/b.sock"
                log_level = "warn"
                registry_auth_file = "/etc/banger/docker-config.json"
                insecure_registries = ["registry.lan:5000", "10.0.0.5"]
                """));

        assertThat(c).isEqualTo(new Config(Path.of("/srv/banger/state"), Path.of("/srv/banger/cache"),
                Path.of("/srv/banger/run"), Path.of("/tmp/elsewhere/b.sock"), "warn",
                Path.of("/etc/banger/docker-config.json"), java.util.List.of("registry.lan:5000", "10.0.0.5")));
    }

    @Test
    void pathsAreNormalisedAndLogLevelIsCaseInsensitive() throws IOException {
        Config c = load(file("""
                state_dir = "/srv/banger/../state/"
                log_level = "DEBUG"
                """));

        assertThat(c.stateDir()).isEqualTo(Path.of("/srv/state"));
        assertThat(c.logLevel()).isEqualTo("debug");
    }

    @Test
    void socketPathDefaultsToTheRuntimeDirWhenOnlyRuntimeDirIsSet() throws IOException {
        Config c = load(file("runtime_dir = \"/srv/run\"\n"));

        assertThat(c.runtimeDir()).isEqualTo(Path.of("/srv/run"));
        assertThat(c.socketPath()).isEqualTo(Path.of("/srv/run/bangerd.sock"));
    }

    @Test
    void unknownKeyIsRejectedWithItsName() throws IOException {
        Path f = file("""
                state_dir = "/srv/state"
                stat_dir = "/srv/typo"
                """);

        assertThatThrownBy(() -> load(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown key 'stat_dir'")
                .hasMessageContaining(f.toString());
    }

    @Test
    void messagesReadAsDocsConfigMdShowsThem() throws IOException {
        Path unknown = file("stat_dir = \"/srv\"\n");
        assertThatThrownBy(() -> load(unknown)).hasMessage("config file " + unknown
                + ": unknown key 'stat_dir' (see docs/config.md for the keys bangerd reads)");

        Path mistyped = file("state_dir = 5\n");
        assertThatThrownBy(() -> load(mistyped)).hasMessage("config file " + mistyped
                + ": key 'state_dir' must be a string, got an integer");
    }

    @Test
    void aTableIsAnUnknownKeyToo() throws IOException {
        Path f = file("""
                [daemon]
                state_dir = "/srv/state"
                """);

        assertThatThrownBy(() -> load(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'daemon'");
    }

    @Test
    void aNumberWhereAPathBelongsIsRejectedNamingTheKey() throws IOException {
        Path f = file("state_dir = 5\n");

        assertThatThrownBy(() -> load(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'state_dir'")
                .hasMessageContaining("must be a string")
                .hasMessageContaining("integer")
                .hasMessageContaining(f.toString());
    }

    @Test
    void aBooleanLogLevelIsRejectedNamingTheKey() throws IOException {
        Path f = file("log_level = true\n");

        assertThatThrownBy(() -> load(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'log_level'")
                .hasMessageContaining("boolean");
    }

    @Test
    void anUnknownLogLevelIsRejectedNamingTheKeyAndTheChoices() throws IOException {
        Path f = file("log_level = \"loud\"\n");

        assertThatThrownBy(() -> load(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("log_level")
                .hasMessageContaining("loud")
                .hasMessageContaining("trace, debug, info, warn, error")
                .hasMessageContaining(f.toString());
    }

    @Test
    void aRelativePathIsRejectedNamingTheKey() throws IOException {
        Path f = file("cache_dir = \"var/cache\"\n");

        assertThatThrownBy(() -> load(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'cache_dir'")
                .hasMessageContaining("absolute path")
                .hasMessageContaining("var/cache");
    }

    @Test
    void anEmptyPathIsRejected() throws IOException {
        Path f = file("socket_path = \"\"\n");

        assertThatThrownBy(() -> load(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'socket_path'")
                .hasMessageContaining("absolute path");
    }

    @Test
    void invalidTomlIsReportedWithTheFileName() throws IOException {
        Path f = file("state_dir = \"/srv/state\n");

        assertThatThrownBy(() -> load(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("not valid TOML");
    }

    @Test
    void aKeyGivenTwiceIsInvalidToml() throws IOException {
        Path f = file("""
                state_dir = "/srv/a"
                state_dir = "/srv/b"
                """);

        assertThatThrownBy(() -> load(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(f.toString());
    }

    @Test
    void aMissingFileIsReportedByName() {
        Path f = dir.resolve("nope.toml");

        assertThatThrownBy(() -> load(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("does not exist");
    }

    @Test
    void aDirectoryInsteadOfAFileIsReportedByName() {
        assertThatThrownBy(() -> load(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cannot read config file " + dir);
    }

    @Test
    void environmentOverridesTheFilesLogLevel() throws IOException {
        Path f = file("log_level = \"warn\"\n");

        assertThat(ConfigLoader.load(f, Map.of("BANGER_LOG_LEVEL", "debug")).logLevel()).isEqualTo("debug");
        assertThat(ConfigLoader.load(null, Map.of("BANGER_LOG_LEVEL", " TRACE ")).logLevel()).isEqualTo("trace");
    }

    @Test
    void aBlankEnvironmentValueIsIgnored() throws IOException {
        Path f = file("log_level = \"warn\"\n");

        assertThat(ConfigLoader.load(f, Map.of("BANGER_LOG_LEVEL", "  ")).logLevel()).isEqualTo("warn");
    }

    @Test
    void anInvalidEnvironmentLogLevelNamesTheVariable() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("BANGER_LOG_LEVEL", "chatty")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("BANGER_LOG_LEVEL")
                .hasMessageContaining("chatty");
    }

    @Test
    void underPutsEverythingBelowOneDirectory() {
        Config c = Config.under(dir);

        assertThat(c.stateDir()).startsWithRaw(dir);
        assertThat(c.cacheDir()).startsWithRaw(dir);
        assertThat(c.socketPath()).isEqualTo(c.runtimeDir().resolve("bangerd.sock"));
        assertThat(c.runtimeDir()).startsWithRaw(dir);
    }

    @Test
    void socketPathLongerThanUnixSocketsAllowIsRejectedAtLoad() throws IOException {
        String longDir = "/tmp/" + "d".repeat(120);
        Path f = file("runtime_dir = \"" + longDir + "\"\n");
        assertThatThrownBy(() -> load(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("socket_path " + longDir + "/bangerd.sock is 138 bytes")
                .hasMessageContaining("at most 107");
    }

    @Test
    void insecureRegistriesMustBeAnArrayOfStrings() throws IOException {
        Path notArray = file("insecure_registries = \"registry.lan\"\n");
        assertThatThrownBy(() -> load(notArray)).hasMessageContaining("key 'insecure_registries' must be an array of strings");
        Path badItem = file("insecure_registries = [\"ok\", 5]\n");
        assertThatThrownBy(() -> load(badItem)).hasMessageContaining("key 'insecure_registries'").hasMessageContaining("an integer");
    }

    @Test
    void kernelCatalogIsAnAbsolutePathToAnExistingFile() throws IOException {
        assertThat(ConfigLoader.load(null, Map.of()).kernelCatalog()).as("default: the embedded catalog").isNull();
        Path catalog = Files.writeString(dir.resolve("kernels.json"), "{\"format\": 1, \"kernels\": []}");
        assertThat(load(file("kernel_catalog = \"" + dir + "/./kernels.json\"\n")).kernelCatalog()).isEqualTo(catalog);
        assertThat(load(file("kernel_catalog = \"" + catalog + "\"\nlog_level = \"warn\"\n")))
                .isEqualTo(Config.defaults().withLogLevel("warn").withKernelCatalog(catalog));

        Path relative = file("kernel_catalog = \"kernels.json\"\n");
        assertThatThrownBy(() -> load(relative)).isInstanceOf(ConfigException.class)
                .hasMessage("config file " + relative + ": key 'kernel_catalog' must be an absolute path, got 'kernels.json'");
        Path missing = file("kernel_catalog = \"" + dir + "/nope.json\"\n");
        assertThatThrownBy(() -> load(missing)).isInstanceOf(ConfigException.class)
                .hasMessage("config file " + missing + ": key 'kernel_catalog' names " + dir + "/nope.json, which does not exist");
        Path directory = file("kernel_catalog = \"" + dir + "\"\n");
        assertThatThrownBy(() -> load(directory)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("key 'kernel_catalog' names " + dir + ", which is not a file");
        Path number = file("kernel_catalog = 1\n");
        assertThatThrownBy(() -> load(number)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("key 'kernel_catalog' must be a string, got an integer");
    }

    @Test
    void theDebianSourcesOfTheBuiltInDefaultsAreReadAndChecked() throws IOException {
        DebianSources d = ConfigLoader.load(null, Map.of()).debian();
        assertThat(d).as("default: the host's apt sources and Debian's keyring")
                .isEqualTo(new DebianSources(null, Path.of("/usr/share/keyrings/debian-archive-keyring.gpg"), null));
        Path keyring = Files.writeString(dir.resolve("mirror.gpg"), "k");
        Path sources = Files.writeString(dir.resolve("kernel.list"), "deb http://127.0.0.1:8080 bookworm main\n");
        assertThat(load(file("debian_mirror = \"http://127.0.0.1:8080/debian/\"\ndebian_keyring = \"" + keyring
                + "\"\nkernel_apt_sources = \"" + sources + "\"\n")).debian())
                .isEqualTo(new DebianSources("http://127.0.0.1:8080/debian", keyring, sources));
        assertThat(load(file("debian_mirror = \"file:///srv/mirror\"\n")).debian().mirror()).isEqualTo("file:///srv/mirror");

        for (String bad : new String[] {"deb.debian.org/debian", "ftp://deb.debian.org/debian", "file:mirror", ""}) {
            Path f = file("debian_mirror = \"" + bad + "\"\n");
            assertThatThrownBy(() -> load(f)).isInstanceOf(ConfigException.class)
                    .hasMessage("config file " + f + ": key 'debian_mirror' must be an http://, https:// or file:/// URL of a Debian "
                            + "archive, like http://deb.debian.org/debian; got '" + bad + "'");
        }
        Path missingKeyring = file("debian_keyring = \"" + dir + "/nope.gpg\"\n");
        assertThatThrownBy(() -> load(missingKeyring)).isInstanceOf(ConfigException.class)
                .hasMessage("config file " + missingKeyring + ": key 'debian_keyring' names " + dir + "/nope.gpg, which does not exist");
        Path relativeSources = file("kernel_apt_sources = \"kernel.list\"\n");
        assertThatThrownBy(() -> load(relativeSources)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("key 'kernel_apt_sources' must be an absolute path, got 'kernel.list'");
    }

    @Test
    void theVmKeysAreReadWithTheirUnits() throws IOException {
        VmSettings vm = load(file("""
                hypervisor = "QEMU"
                qemu_bin = "/opt/qemu/bin/qemu-system-x86_64"
                bridge_name = "br-fc-dev"
                bridge_ip = "10.77.0.1"
                cidr = 16
                default_image_name = "alpine"
                boot_timeout = "2m30s"
                [vm_defaults]
                vcpu = 2
                memory_mib = 1024
                disk_size = "8G"
                """)).vm();

        assertThat(vm).isEqualTo(new VmSettings("qemu", "/opt/qemu/bin/qemu-system-x86_64", "br-fc-dev", "10.77.0.1", 16, "alpine",
                2, 1024, 8L << 30, java.time.Duration.ofSeconds(150)));
        assertThat(load(file("")).vm()).isEqualTo(VmSettings.defaults());
    }

    @Test
    void theUnpackCapsAreReadAndRefusedWhenNotAboveZero() throws IOException {
        assertThat(load(file("")).unpack()).isEqualTo(new UnpackLimits(64L << 30, 4_000_000));
        assertThat(load(file("max_unpacked_image_size = \"100G\"\nmax_unpacked_image_entries = 10000000\n")).unpack())
                .isEqualTo(new UnpackLimits(100L << 30, 10_000_000));
        Path zero = file("max_unpacked_image_size = 0\n");
        assertThatThrownBy(() -> load(zero)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'max_unpacked_image_size' must be above zero; got 0");
        Path negative = file("max_unpacked_image_entries = -1\n");
        assertThatThrownBy(() -> load(negative)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'max_unpacked_image_entries' must be above zero; got -1");
    }

    @Test
    void badVmKeysAreRejectedNamingTheKeyAndTheRule() throws IOException {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("hypervisor = \"xen\"", "'hypervisor' must be auto, qemu or firecracker; got 'xen'");
        cases.put("bridge_name = \"virbr0\"", "'bridge_name' must start with br-fc");
        cases.put("bridge_ip = \"172.16.0\"", "'bridge_ip' must be an IPv4 address");
        cases.put("cidr = 31", "'cidr' must be a prefix length from 8 to 30; got 31");
        cases.put("cidr = \"24\"", "'cidr' must be an integer, got string");
        cases.put("boot_timeout = \"soon\"", "'boot_timeout' must be a duration like \"90s\"");
        cases.put("[vm_defaults]\nvcpu = 0", "'vm_defaults.vcpu' must be 1 to 32; got 0");
        cases.put("[vm_defaults]\nmemory_mib = 64", "'vm_defaults.memory_mib' must be 128 to 65536; got 64");
        cases.put("[vm_defaults]\ndisk_size = \"lots\"", "vm_defaults.disk_size 'lots' is not a size");
        cases.put("[vm_defaults]\ncpus = 2", "unknown key 'vm_defaults.cpus'");
        for (var c : cases.entrySet()) {
            Path f = file(c.getKey() + "\n");
            assertThatThrownBy(() -> load(f)).as(c.getKey()).isInstanceOf(ConfigException.class)
                    .hasMessageContaining(f.toString()).hasMessageContaining(c.getValue());
        }
    }

    @Test
    void registryMirrorsAreReadInOrder() throws IOException {
        assertThat(load(file("")).registryMirrors()).isEmpty();
        assertThat(load(file("""
                [[registry.mirror]]
                host = "docker.io"
                url = "http://127.0.0.1:5000"

                [[registry.mirror]]
                host = "Docker.io"
                url = "https://mirror.example/"

                [[registry.mirror]]
                host = "ghcr.io"
                url = "https://ghcr-cache.lan:8443"
                """)).registryMirrors()).containsExactly(
                RegistryMirror.of("docker.io", "http://127.0.0.1:5000"),
                RegistryMirror.of("docker.io", "https://mirror.example/"),
                RegistryMirror.of("ghcr.io", "https://ghcr-cache.lan:8443"));
        assertThat(RegistryMirror.of("ghcr.io", "https://ghcr-cache.lan:8443").authority()).isEqualTo("ghcr-cache.lan:8443");
    }

    @Test
    void badRegistryMirrorsAreRejectedNamingTheKeyAndTheRule() throws IOException {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("[registry]\nmirrors = []", "unknown key 'registry.mirrors' (registry has [[registry.mirror]] entries)");
        cases.put("registry = \"docker.io\"", "key 'registry' must be a table, got string");
        cases.put("[registry]\nmirror = \"x\"", "key 'registry.mirror' must be an array of tables ([[registry.mirror]]), got string");
        cases.put("[[registry.mirror]]\nhost = \"docker.io\"", "a [[registry.mirror]] entry needs both host and url");
        cases.put("[[registry.mirror]]\nhost = \"docker.io\"\nurl = \"http://m:5000\"\nuser = \"x\"",
                "unknown key 'registry.mirror.user' (a [[registry.mirror]] has host and url)");
        cases.put("[[registry.mirror]]\nhost = \"docker.io\"\nurl = \"ftp://m\"", "registry.mirror url for docker.io must be http(s)://host[:port] with no path, got 'ftp://m'");
        cases.put("[[registry.mirror]]\nhost = \"docker.io\"\nurl = \"https://m/v2/\"", "with no path, got 'https://m/v2/'");
        cases.put("[[registry.mirror]]\nhost = \"https://docker.io\"\nurl = \"https://m\"", "registry.mirror host must be a registry host");
        cases.put("[[registry.mirror]]\nhost = 5\nurl = \"https://m\"", "'registry.mirror.host' must be a string, got");
        for (var c : cases.entrySet()) {
            Path f = file(c.getKey() + "\n");
            assertThatThrownBy(() -> load(f)).as(c.getKey()).isInstanceOf(ConfigException.class)
                    .hasMessageContaining(f.toString()).hasMessageContaining(c.getValue());
        }
    }

    @Test
    void theFirecrackerKeysAreReadAndTheJailerIsLeftToWhetherItIsInstalledUnlessTurnedOff() throws IOException {
        FirecrackerSettings defaults = load(file("")).vm().firecracker();
        assertThat(defaults).isEqualTo(new FirecrackerSettings("firecracker", "jailer", null, null, null));
        assertThat(defaults.jailerRefused()).isFalse();
        assertThat(load(file("")).vm().vmmUser()).isEqualTo("banger-vmm");
        assertThat(load(file("""
                firecracker_bin = "/opt/fc/firecracker"
                jailer_bin = "/opt/fc/jailer"
                jailer_uid = 990
                jailer_gid = 991
                """)).vm().firecracker()).isEqualTo(new FirecrackerSettings("/opt/fc/firecracker", "/opt/fc/jailer", null, 990, 991));
        FirecrackerSettings off = load(file("""
                jailer_bin = "/opt/fc/jailer"
                jailer_enabled = false
                """)).vm().firecracker();
        assertThat(off.jailerEnabled()).isFalse();
        assertThat(off.jailerRefused()).isTrue();
        assertThat(load(file("vmm_user = \"root\"\n")).vm().vmmAsRoot()).isTrue();
        assertThat(load(file("vmm_user = \"qemu-runner\"\n")).vm().vmmUser()).isEqualTo("qemu-runner");
    }

    @Test
    void badFirecrackerKeysAreRejectedNamingTheKeyAndTheRule() throws IOException {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("vmm_user = \"\"", "'vmm_user' must be a user name");
        cases.put("vmm_user = \"../etc\"", "'vmm_user' must be a user name");
        cases.put("vmm_user = 999", "'vmm_user' must be a string");
        cases.put("jailer_bin = \"\"", "'jailer_bin' must name the jailer binary");
        cases.put("jailer_enabled = \"yes\"", "'jailer_enabled' must be true or false, got string");
        cases.put("jailer_bin = \"/opt/jailer\"\njailer_uid = 0\njailer_gid = 990", "'jailer_uid' must be a positive id; got 0 (root");
        cases.put("jailer_uid = -5", "'jailer_uid' must be a positive id; got -5");
        cases.put("jailer_gid = \"990\"", "'jailer_gid' must be an integer, got string");
        cases.put("firecracker_bin = \"\"", "'firecracker_bin' must name the firecracker binary");
        cases.put("jailer_chroot = \"/srv\"", "unknown key 'jailer_chroot'");
        for (var c : cases.entrySet()) {
            Path f = file(c.getKey() + "\n");
            assertThatThrownBy(() -> load(f)).as(c.getKey()).isInstanceOf(ConfigException.class)
                    .hasMessageContaining(f.toString()).hasMessageContaining(c.getValue());
        }
    }

    @Test
    void dnsListenIsAnAddressAndPortOrOff() throws IOException {
        assertThat(load(file("")).vm().dnsListen()).as("the default")
                .hasToString("127.0.0.1:42069");
        assertThat(load(file("dns_listen = \"127.0.0.53:5353\"\n")).vm().dnsListen())
                .hasToString("127.0.0.53:5353");
        assertThat(load(file("dns_listen = \"off\"\n")).vm().dnsListen()).as("off: no DNS server").isNull();
        assertThat(load(file("dns_listen = \"\"\n")).vm().dnsListen()).as("empty: no DNS server").isNull();
    }

    @Test
    void aBadDnsListenIsRejectedNamingTheKey() throws IOException {
        for (String bad : List.of("\"127.0.0.1\"", "\"localhost:53\"", "\"127.0.0.1:0\"", "\"127.0.0.1:70000\"",
                "\"127.0.0.1:dns\"", "\"[::1]:53\"", "53")) {
            Path f = file("dns_listen = " + bad + "\n");
            assertThatThrownBy(() -> load(f)).as(bad).isInstanceOf(ConfigException.class)
                    .hasMessageContaining(f.toString()).hasMessageContaining("'dns_listen' must be");
        }
    }

    @Test
    void warmStartIsOnUnlessTurnedOffAndMustBeABoolean() throws IOException {
        assertThat(load(file("")).vm().warmStart()).as("the default").isTrue();
        assertThat(load(file("warm_start = false\n")).vm().warmStart()).isFalse();
        Path f = file("warm_start = \"no\"\n");
        assertThatThrownBy(() -> load(f)).isInstanceOf(ConfigException.class).hasMessageContaining(f.toString())
                .hasMessageContaining("'warm_start' must be true or false, got string");
    }
}
