package dev.banger.core.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * bangerd's configuration after defaults are applied. Every key is optional in the TOML file;
 * docs/config.md lists them with their defaults.
 */
public record Config(Path stateDir, Path cacheDir, Path runtimeDir, Path socketPath, String logLevel,
                     Path registryAuthFile, List<String> insecureRegistries, Path kernelCatalog, VmSettings vm,
                     DebianSources debian, UnpackLimits unpack, List<RegistryMirror> registryMirrors) {

    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/banger");
    public static final Path DEFAULT_CACHE_DIR = Path.of("/var/cache/banger");
    public static final Path DEFAULT_RUNTIME_DIR = Path.of("/run/banger");
    public static final String DEFAULT_LOG_LEVEL = "info";
    public static final String SOCKET_NAME = "bangerd.sock";
    public static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error");

    /** sun_path is 108 bytes including the terminating NUL. */
    public static final int MAX_SOCKET_PATH_BYTES = 107;

    /** Without {@code kernel_catalog}: the catalog embedded in bangerd applies. */
    public Config(Path stateDir, Path cacheDir, Path runtimeDir, Path socketPath, String logLevel,
                  Path registryAuthFile, List<String> insecureRegistries) {
        this(stateDir, cacheDir, runtimeDir, socketPath, logLevel, registryAuthFile, insecureRegistries, null, VmSettings.defaults(),
                DebianSources.defaults(), UnpackLimits.defaults());
    }

    /** Without {@code [[registry.mirror]]} entries. */
    public Config(Path stateDir, Path cacheDir, Path runtimeDir, Path socketPath, String logLevel, Path registryAuthFile,
                  List<String> insecureRegistries, Path kernelCatalog, VmSettings vm, DebianSources debian, UnpackLimits unpack) {
        this(stateDir, cacheDir, runtimeDir, socketPath, logLevel, registryAuthFile, insecureRegistries, kernelCatalog, vm, debian,
                unpack, List.of());
    }

    public Config {
        int socketBytes = socketPath.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (socketBytes > MAX_SOCKET_PATH_BYTES) {
            throw new ConfigException("socket_path " + socketPath + " is " + socketBytes + " bytes; Unix socket paths allow at most "
                    + MAX_SOCKET_PATH_BYTES + " (set socket_path or runtime_dir to something shorter)");
        }
        logLevel = logLevel.toLowerCase(Locale.ROOT);
        insecureRegistries = List.copyOf(insecureRegistries);
        vm = vm != null ? vm : VmSettings.defaults();
        debian = debian != null ? debian : DebianSources.defaults();
        unpack = unpack != null ? unpack : UnpackLimits.defaults();
        registryMirrors = registryMirrors != null ? List.copyOf(registryMirrors) : List.of();
        if (!LOG_LEVELS.contains(logLevel)) {
            throw new ConfigException("log_level must be one of trace, debug, info, warn, error; got '" + logLevel + "'");
        }
    }

    public static Config defaults() {
        return new Config(DEFAULT_STATE_DIR, DEFAULT_CACHE_DIR, DEFAULT_RUNTIME_DIR,
                DEFAULT_RUNTIME_DIR.resolve(SOCKET_NAME), DEFAULT_LOG_LEVEL, null, List.of());
    }

    /** A config rooted in one directory, as tests and non-root developers use. */
    public static Config under(Path root) {
        Path runtime = root.resolve("run");
        return new Config(root.resolve("state"), root.resolve("cache"), runtime,
                runtime.resolve(SOCKET_NAME), DEFAULT_LOG_LEVEL, null, List.of());
    }

    public Config withLogLevel(String level) {
        return new Config(stateDir, cacheDir, runtimeDir, socketPath, level, registryAuthFile, insecureRegistries, kernelCatalog, vm, debian, unpack, registryMirrors);
    }

    /** {@code kernel_catalog}: a JSON file that replaces the embedded kernel catalog (null: the embedded one). */
    public Config withKernelCatalog(Path catalog) {
        return new Config(stateDir, cacheDir, runtimeDir, socketPath, logLevel, registryAuthFile, insecureRegistries, catalog, vm, debian, unpack, registryMirrors);
    }

    /** The VM keys (hypervisor, bridge, VM defaults). */
    public Config withVm(VmSettings settings) {
        return new Config(stateDir, cacheDir, runtimeDir, socketPath, logLevel, registryAuthFile, insecureRegistries, kernelCatalog, settings, debian, unpack, registryMirrors);
    }

    /** {@code debian_mirror}, {@code debian_keyring}, {@code kernel_apt_sources}: where the built-in defaults come from. */
    public Config withDebian(DebianSources sources) {
        return new Config(stateDir, cacheDir, runtimeDir, socketPath, logLevel, registryAuthFile, insecureRegistries, kernelCatalog, vm, sources, unpack, registryMirrors);
    }

    /** {@code max_unpacked_image_size}, {@code max_unpacked_image_entries}. */
    public Config withUnpackLimits(UnpackLimits limits) {
        return new Config(stateDir, cacheDir, runtimeDir, socketPath, logLevel, registryAuthFile, insecureRegistries, kernelCatalog, vm, debian, limits, registryMirrors);
    }

    /** {@code [[registry.mirror]]}: registries tried before the registry an image names. */
    public Config withRegistryMirrors(List<RegistryMirror> mirrors) {
        return new Config(stateDir, cacheDir, runtimeDir, socketPath, logLevel, registryAuthFile, insecureRegistries, kernelCatalog, vm,
                debian, unpack, mirrors);
    }
}
