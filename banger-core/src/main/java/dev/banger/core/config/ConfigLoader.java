package dev.banger.core.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads bangerd's TOML config. Keys are checked one by one so that an unknown key or a value of
 * the wrong type is reported with the key's name, before the daemon touches anything.
 */
public final class ConfigLoader {

    /** Environment variable that overrides {@code log_level}. */
    public static final String LOG_LEVEL_ENV = "BANGER_LOG_LEVEL";

    private ConfigLoader() {
    }

    /** Loads {@code file} (or only defaults when null) and applies environment overrides. */
    public static Config load(Path file, Map<String, String> env) {
        Config config = file == null ? Config.defaults() : parse(file);
        String level = env.get(LOG_LEVEL_ENV);
        if (level != null && !level.isBlank()) {
            try {
                config = config.withLogLevel(level.trim());
            } catch (ConfigException e) {
                throw new ConfigException(LOG_LEVEL_ENV + ": " + e.getMessage());
            }
        }
        return config;
    }

    static Config parse(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = new TomlMapper().readTree(text);
        } catch (JacksonException e) {
            throw new ConfigException("config file " + file + " is not valid TOML: " + e.getOriginalMessage());
        }
        try {
            return fromTree(root);
        } catch (ConfigException e) {
            throw new ConfigException("config file " + file + ": " + e.getMessage());
        }
    }

    private static Config fromTree(JsonNode root) {
        Config d = Config.defaults();
        Path state = d.stateDir();
        Path cache = d.cacheDir();
        Path runtime = d.runtimeDir();
        Path socket = null;
        String level = d.logLevel();
        Path authFile = null;
        List<String> insecure = List.of();
        Path kernelCatalog = null;
        String debianMirror = null;
        Path debianKeyring = null;
        Path kernelAptSources = null;
        VmSettings vd = VmSettings.defaults();
        String hypervisor = vd.hypervisor(), qemuBin = vd.qemuBin(), bridgeName = vd.bridgeName(), bridgeIp = vd.bridgeIp();
        String defaultImage = vd.defaultImage();
        int cidr = vd.cidr(), vcpu = vd.vcpu(), memoryMib = vd.memoryMib();
        long diskBytes = vd.diskBytes();
        java.time.Duration bootTimeout = vd.bootTimeout();
        FirecrackerSettings fd = vd.firecracker();
        String firecrackerBin = fd.firecrackerBin(), jailerBin = fd.jailerBin();
        Boolean jailerEnabled = null;
        Integer jailerUid = fd.jailerUid(), jailerGid = fd.jailerGid();
        String dnsListen = VmSettings.DEFAULT_DNS_LISTEN;
        String vmmUser = vd.vmmUser();
        boolean warmStart = vd.warmStart();
        long maxUnpackedBytes = UnpackLimits.DEFAULT_MAX_BYTES;
        long maxUnpackedEntries = UnpackLimits.DEFAULT_MAX_ENTRIES;
        List<RegistryMirror> mirrors = List.of();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            JsonNode value = e.getValue();
            switch (key) {
                case "state_dir" -> state = absolutePath(key, value);
                case "cache_dir" -> cache = absolutePath(key, value);
                case "runtime_dir" -> runtime = absolutePath(key, value);
                case "socket_path" -> socket = absolutePath(key, value);
                case "log_level" -> level = string(key, value);
                case "registry_auth_file" -> authFile = absolutePath(key, value);
                case "insecure_registries" -> insecure = strings(key, value);
                case "kernel_catalog" -> kernelCatalog = existingFile(key, value);
                case "debian_mirror" -> debianMirror = string(key, value);
                case "debian_keyring" -> debianKeyring = existingFile(key, value);
                case "kernel_apt_sources" -> kernelAptSources = existingFile(key, value);
                case "hypervisor" -> hypervisor = string(key, value);
                case "qemu_bin" -> qemuBin = string(key, value);
                case "bridge_name" -> bridgeName = string(key, value);
                case "bridge_ip" -> bridgeIp = string(key, value);
                case "cidr" -> cidr = integer(key, value);
                case "default_image_name" -> defaultImage = string(key, value);
                case "boot_timeout" -> bootTimeout = duration(key, value);
                case "firecracker_bin" -> firecrackerBin = string(key, value);
                case "jailer_bin" -> jailerBin = string(key, value);
                case "jailer_enabled" -> jailerEnabled = bool(key, value);
                case "jailer_uid" -> jailerUid = integer(key, value);
                case "jailer_gid" -> jailerGid = integer(key, value);
                case "dns_listen" -> dnsListen = string(key, value);
                case "vmm_user" -> vmmUser = string(key, value);
                case "warm_start" -> warmStart = bool(key, value);
                case "max_unpacked_image_size" -> maxUnpackedBytes = size(key, value);
                case "max_unpacked_image_entries" -> maxUnpackedEntries = longInteger(key, value);
                case "registry" -> mirrors = registryTable(value);
                case "vm_defaults" -> {
                    if (!value.isObject()) {
                        throw new ConfigException("key 'vm_defaults' must be a table, got " + describe(value));
                    }
                    for (Iterator<Map.Entry<String, JsonNode>> vit = value.fields(); vit.hasNext(); ) {
                        Map.Entry<String, JsonNode> v = vit.next();
                        String vkey = "vm_defaults." + v.getKey();
                        switch (v.getKey()) {
                            case "vcpu" -> vcpu = integer(vkey, v.getValue());
                            case "memory_mib" -> memoryMib = integer(vkey, v.getValue());
                            case "disk_size" -> diskBytes = size(vkey, v.getValue());
                            default -> throw new ConfigException("unknown key '" + vkey + "' (vm_defaults has vcpu, memory_mib, disk_size)");
                        }
                    }
                }
                default -> throw new ConfigException("unknown key '" + key + "' (see docs/config.md for the keys bangerd reads)");
            }
        }
        try {
            return new Config(state, cache, runtime, socket != null ? socket : runtime.resolve(Config.SOCKET_NAME), level,
                    authFile, insecure, kernelCatalog, new VmSettings(hypervisor, qemuBin, bridgeName, bridgeIp, cidr,
                    defaultImage, vcpu, memoryMib, diskBytes, bootTimeout, new FirecrackerSettings(firecrackerBin, jailerBin,
                    jailerEnabled, jailerUid, jailerGid),
                    VmSettings.parseDnsListen(dnsListen), vmmUser, warmStart),
                    new DebianSources(debianMirror, debianKeyring, kernelAptSources),
                    new UnpackLimits(maxUnpackedBytes, maxUnpackedEntries), mirrors);
        } catch (ConfigException e) {
            throw new ConfigException("key " + e.getMessage());
        }
    }

    /** {@code [registry]}: only {@code [[registry.mirror]]} entries, each {@code host} and {@code url}. */
    private static List<RegistryMirror> registryTable(JsonNode value) {
        if (!value.isObject()) {
            throw new ConfigException("key 'registry' must be a table, got " + describe(value));
        }
        List<RegistryMirror> mirrors = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("mirror")) {
                throw new ConfigException("unknown key 'registry." + e.getKey() + "' (registry has [[registry.mirror]] entries)");
            }
            if (!e.getValue().isArray()) {
                throw new ConfigException("key 'registry.mirror' must be an array of tables ([[registry.mirror]]), got "
                        + describe(e.getValue()));
            }
            for (JsonNode entry : e.getValue()) {
                if (!entry.isObject()) {
                    throw new ConfigException("key 'registry.mirror' must be an array of tables ([[registry.mirror]]), got an entry "
                            + describe(entry));
                }
                String host = null;
                String url = null;
                for (Iterator<Map.Entry<String, JsonNode>> fit = entry.fields(); fit.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = fit.next();
                    switch (f.getKey()) {
                        case "host" -> host = string("registry.mirror.host", f.getValue());
                        case "url" -> url = string("registry.mirror.url", f.getValue());
                        default -> throw new ConfigException("unknown key 'registry.mirror." + f.getKey()
                                + "' (a [[registry.mirror]] has host and url)");
                    }
                }
                if (host == null || url == null) {
                    throw new ConfigException("a [[registry.mirror]] entry needs both host and url, got " + entry);
                }
                mirrors.add(RegistryMirror.of(host, url));
            }
        }
        return mirrors;
    }

    private static int integer(String key, JsonNode value) {
        if (!value.canConvertToInt() || !value.isIntegralNumber()) {
            throw new ConfigException("key '" + key + "' must be an integer, got " + describe(value));
        }
        return value.intValue();
    }

    private static long longInteger(String key, JsonNode value) {
        if (!value.canConvertToLong() || !value.isIntegralNumber()) {
            throw new ConfigException("key '" + key + "' must be an integer, got " + describe(value));
        }
        return value.longValue();
    }

    private static boolean bool(String key, JsonNode value) {
        if (!value.isBoolean()) {
            throw new ConfigException("key '" + key + "' must be true or false, got " + describe(value));
        }
        return value.booleanValue();
    }

    /** A size: an integer of bytes or a string like "8G". */
    private static long size(String key, JsonNode value) {
        if (value.isIntegralNumber()) {
            return value.longValue();
        }
        try {
            return dev.banger.core.units.Sizes.parse(key, string(key, value));
        } catch (dev.banger.core.rpc.BangerException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** A duration like "90s", "2m" or "1h30m". */
    private static java.time.Duration duration(String key, JsonNode value) {
        String s = string(key, value).trim().toLowerCase(java.util.Locale.ROOT);
        if (!s.matches("(\\d+h)?(\\d+m)?(\\d+s)?") || s.isEmpty()) {
            throw new ConfigException("key '" + key + "' must be a duration like \"90s\" or \"2m\", got '" + s + "'");
        }
        return java.time.Duration.parse("PT" + s.toUpperCase(java.util.Locale.ROOT));
    }

    private static String string(String key, JsonNode value) {
        if (!value.isTextual()) {
            throw new ConfigException("key '" + key + "' must be a string, got " + describe(value));
        }
        return value.textValue();
    }

    private static List<String> strings(String key, JsonNode value) {
        if (!value.isArray()) {
            throw new ConfigException("key '" + key + "' must be an array of strings, got " + describe(value));
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isTextual() || item.textValue().isBlank()) {
                throw new ConfigException("key '" + key + "' must be an array of non-empty strings, got an item that is " + describe(item));
            }
            out.add(item.textValue());
        }
        return out;
    }

    private static Path absolutePath(String key, JsonNode value) {
        String s = string(key, value);
        if (s.isBlank() || !s.startsWith("/")) {
            throw new ConfigException("key '" + key + "' must be an absolute path, got '" + s + "'");
        }
        return Path.of(s).normalize();
    }

    /** An absolute path to a regular file that is there now (bangerd reads it again at each use). */
    private static Path existingFile(String key, JsonNode value) {
        Path p = absolutePath(key, value);
        if (!Files.exists(p)) {
            throw new ConfigException("key '" + key + "' names " + p + ", which does not exist");
        }
        if (!Files.isRegularFile(p)) {
            throw new ConfigException("key '" + key + "' names " + p + ", which is not a file");
        }
        if (!Files.isReadable(p)) {
            throw new ConfigException("key '" + key + "' names " + p + ", which bangerd cannot read");
        }
        return p;
    }

    private static String describe(JsonNode v) {
        if (v.isIntegralNumber()) return "an integer";
        if (v.isNumber()) return "a number";
        if (v.isBoolean()) return "a boolean";
        if (v.isArray()) return "an array";
        if (v.isObject()) return "a table";
        return v.getNodeType().name().toLowerCase();
    }
}
