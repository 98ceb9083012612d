package dev.banger.daemon.system;

import dev.banger.core.Layout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bangerd.service}. VMs are QEMU processes that bangerd daemonizes: they stay in this
 * unit's cgroup, so {@code KillMode=process} (stop and restart end bangerd only) and
 * {@code TasksMax=infinity} (their threads count against the unit) keep them running across a
 * daemon restart, and bangerd adopts them again. docs/privileges.md explains each setting.
 */
public final class UnitFile {

    public static final String NAME = "bangerd.service";
    /** Where install writes the unit, on the target system. */
    public static final Path PATH = Path.of("/etc/systemd/system", NAME);

    /**
     * The hardening doctor expects to find. Not here, on purpose: {@code RestrictSUIDSGID} (image
     * pulls recreate the guest's setuid/setgid files, e.g. sudo, /var/mail) and the
     * {@code Private*}/{@code Protect*} settings that would hide devices, network or kernel
     * tunables a VM manager needs (/dev/kvm, /dev/net/tun, bridges, ip_forward).
     */
    public static final Map<String, String> HARDENING = hardening();

    private static Map<String, String> hardening() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("NoNewPrivileges", "yes");
        m.put("ProtectSystem", "strict");
        m.put("ProtectHome", "read-only");
        m.put("PrivateTmp", "yes");
        m.put("LockPersonality", "yes");
        return m;
    }

    private UnitFile() {
    }

    /**
     * The unit for a bangerd at {@code bangerd} reading {@code config} (null: built-in defaults),
     * with write access to the layout's state, cache and runtime dirs only.
     */
    public static String render(Path bangerd, Path config, Layout layout, Path javaHome) {
        StringBuilder b = new StringBuilder();
        b.append("# Written by `banger system install`; rewritten by the next install.\n");
        b.append("[Unit]\n");
        b.append("Description=banger daemon: development sandboxes on microVMs\n");
        b.append("After=network.target\n\n");
        b.append("[Service]\n");
        b.append("# bangerd sends READY=1 once its socket answers, so `systemctl start` returns when it is usable.\n");
        b.append("Type=notify\n");
        b.append("NotifyAccess=main\n");
        b.append("ExecStart=").append(bangerd).append(config != null ? " --config " + config : "").append('\n');
        if (javaHome != null) {
            b.append("Environment=JAVA_HOME=").append(javaHome).append('\n');
        }
        b.append("TimeoutStartSec=90\n");
        b.append("Restart=on-failure\n");
        b.append("RestartSec=2\n");
        b.append("# VMs are QEMU processes in this cgroup: stop and restart end bangerd alone, which adopts them again.\n");
        b.append("KillMode=process\n");
        b.append("TasksMax=infinity\n");
        Path run = Path.of("/run");
        if (layout.runtimeDir().startsWith(run) && !layout.runtimeDir().equals(run)) {
            b.append("RuntimeDirectory=").append(run.relativize(layout.runtimeDir())).append('\n');
            b.append("RuntimeDirectoryMode=0755\n");
            b.append("RuntimeDirectoryPreserve=yes\n");
        }
        HARDENING.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
        b.append("ReadWritePaths=").append(String.join(" ", List.of(layout.stateDir().toString(), layout.cacheDir().toString(),
                layout.runtimeDir().toString()))).append('\n');
        b.append("# Not RestrictSUIDSGID: image pulls recreate the guest's setuid and setgid files.\n\n");
        b.append("[Install]\n");
        b.append("WantedBy=multi-user.target\n");
        return b.toString();
    }

    /** The {@code [Service]} settings of a unit file's text (later lines win, as in systemd). */
    public static Map<String, String> serviceSettings(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        boolean service = false;
        for (String raw : text.lines().toList()) {
            String line = raw.strip();
            if (line.startsWith("[")) {
                service = line.equals("[Service]");
            } else if (service && !line.isEmpty() && !line.startsWith("#") && !line.startsWith(";") && line.contains("=")) {
                int eq = line.indexOf('=');
                out.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
            }
        }
        return out;
    }
}
