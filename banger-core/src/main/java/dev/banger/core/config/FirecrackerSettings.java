package dev.banger.core.config;

/**
 * The Firecracker keys of bangerd's config. docs/config.md lists them with their defaults.
 *
 * @param firecrackerBin the {@code firecracker} binary; a bare name is looked up on PATH
 * @param jailerBin      the {@code jailer} binary, or null for none
 * @param jailerEnabled  run Firecracker through the jailer (chroot, privileges dropped); needs {@code jailerBin}
 * @param jailerUid      the uid the jailer drops to; required (and not root) when the jailer is enabled, else null
 * @param jailerGid      the gid the jailer drops to; as {@code jailerUid}
 */
public record FirecrackerSettings(String firecrackerBin, String jailerBin, boolean jailerEnabled, Integer jailerUid,
                                  Integer jailerGid) {

    public FirecrackerSettings {
        if (firecrackerBin == null || firecrackerBin.isBlank()) {
            throw new ConfigException("'firecracker_bin' must name the firecracker binary");
        }
        if (jailerBin != null && jailerBin.isBlank()) {
            throw new ConfigException("'jailer_bin' must name the jailer binary (leave the key out for none)");
        }
        if (jailerEnabled && jailerBin == null) {
            throw new ConfigException("'jailer_enabled' is true but 'jailer_bin' is not set: name the jailer binary or set "
                    + "jailer_enabled = false");
        }
        checkId("jailer_uid", jailerUid, jailerEnabled);
        checkId("jailer_gid", jailerGid, jailerEnabled);
    }

    public static FirecrackerSettings defaults() {
        return new FirecrackerSettings("firecracker", null, false, null, null);
    }

    private static void checkId(String key, Integer id, boolean required) {
        if (id == null && required) {
            throw new ConfigException("'" + key + "' must be set when the jailer is enabled (jailer_bin set, jailer_enabled not "
                    + "false): the id of an unprivileged system account Firecracker runs as, e.g. one made with "
                    + "`useradd --system --no-create-home --shell /usr/sbin/nologin banger-fc`");
        }
        if (id != null && id <= 0) {
            throw new ConfigException("'" + key + "' must be a positive id; got " + id
                    + (id == 0 ? " (root: the jailer exists to drop root's privileges)" : ""));
        }
    }
}
