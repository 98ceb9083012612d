package dev.banger.core.config;

/**
 * The Firecracker keys of bangerd's config. docs/config.md lists them with their defaults.
 *
 * @param firecrackerBin the {@code firecracker} binary; a bare name is looked up on PATH
 * @param jailerBin      the {@code jailer} binary; a bare name is looked up on PATH
 * @param jailerEnabled  run Firecracker through the jailer (chroot, privileges dropped): true, false (an explicit
 *                       opt-out that {@code banger doctor} warns about), or null for "whenever {@code jailerBin} is installed"
 * @param jailerUid      the uid the jailer drops to; null for the uid of {@code vmm_user}
 * @param jailerGid      the gid the jailer drops to; null for the primary gid of {@code vmm_user}
 */
public record FirecrackerSettings(String firecrackerBin, String jailerBin, Boolean jailerEnabled, Integer jailerUid,
                                  Integer jailerGid) {

    public static final String DEFAULT_JAILER_BIN = "jailer";

    public FirecrackerSettings {
        if (firecrackerBin == null || firecrackerBin.isBlank()) {
            throw new ConfigException("'firecracker_bin' must name the firecracker binary");
        }
        jailerBin = jailerBin != null ? jailerBin : DEFAULT_JAILER_BIN;
        if (jailerBin.isBlank()) {
            throw new ConfigException("'jailer_bin' must name the jailer binary (leave the key out for `jailer` on PATH)");
        }
        checkId("jailer_uid", jailerUid);
        checkId("jailer_gid", jailerGid);
    }

    public static FirecrackerSettings defaults() {
        return new FirecrackerSettings("firecracker", null, null, null, null);
    }

    /** True when the config turns the jailer off ({@code jailer_enabled = false}). */
    public boolean jailerRefused() {
        return Boolean.FALSE.equals(jailerEnabled);
    }

    private static void checkId(String key, Integer id) {
        if (id != null && id <= 0) {
            throw new ConfigException("'" + key + "' must be a positive id; got " + id
                    + (id == 0 ? " (root: the jailer exists to drop root's privileges)" : ""));
        }
    }
}
