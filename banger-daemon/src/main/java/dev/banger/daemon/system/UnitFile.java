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
     * The capabilities bangerd and what it starts (QEMU, the jailer, debootstrap, ip, nft) use, each
     * with why; the unit's {@code CapabilityBoundingSet}. Every other capability is gone for the
     * whole process tree, whatever runs as root in it.
     */
    public static final Map<String, String> CAPABILITIES = capabilities();

    /**
     * The hardening doctor expects to find. Not here, on purpose: {@code RestrictSUIDSGID} (image
     * pulls recreate the guest's setuid/setgid files, e.g. sudo, /var/mail),
     * {@code ProtectKernelTunables} (bangerd turns on net.ipv4.ip_forward for NAT),
     * {@code MemoryDenyWriteExecute} (the JVM's JIT), {@code PrivateDevices}/{@code PrivateNetwork}
     * (a VM manager needs /dev/kvm, /dev/net/tun and the host's bridges), and {@code SystemCallFilter}
     * (QEMU and debootstrap inherit it; QEMU brings its own, {@code -sandbox}), {@code ProtectProc}
     * (bangerd must see the VMM user's QEMU in /proc to adopt it) and {@code ProcSubset} (/proc/cpuinfo).
     */
    public static final Map<String, String> HARDENING = hardening();

    private static Map<String, String> capabilities() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("CAP_NET_ADMIN", "bridge, taps, nft/iptables NAT rules, net.ipv4.ip_forward");
        m.put("CAP_NET_RAW", "iptables (legacy) opens a raw socket to load its rules");
        m.put("CAP_NET_BIND_SERVICE", "a dns_listen port below 1024 (e.g. 53)");
        m.put("CAP_SYS_ADMIN", "debootstrap's private mount namespace (unshare --mount) and its proc/sys mounts; the jailer's mount namespace");
        m.put("CAP_SYS_CHROOT", "QEMU -chroot, the jailer, debootstrap's chroot");
        m.put("CAP_SETUID", "QEMU -runas and the jailer drop to vmm_user; apt inside debootstrap drops to _apt");
        m.put("CAP_SETGID", "as CAP_SETUID, with the groups");
        m.put("CAP_SETPCAP", "lets a child drop capabilities from its bounding set before it runs untrusted work");
        m.put("CAP_KILL", "stopping QEMU and Firecracker, which run as vmm_user");
        m.put("CAP_CHOWN", "jail disks owned by the VMM user; files of unpacked images keep their owners");
        m.put("CAP_FOWNER", "modes and times of unpacked image files owned by other users");
        m.put("CAP_FSETID", "setuid/setgid bits of image files survive their chown");
        m.put("CAP_DAC_OVERRIDE", "root's files of other owners: image trees, VM dirs, the state dir");
        m.put("CAP_DAC_READ_SEARCH", "reading image trees whose directories deny root's group and others");
        m.put("CAP_MKNOD", "debootstrap creates the image's /dev/null, /dev/console, ...");
        return m;
    }

    private static Map<String, String> hardening() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("NoNewPrivileges", "yes");
        m.put("ProtectSystem", "strict");
        m.put("ProtectHome", "read-only");
        m.put("PrivateTmp", "yes");
        m.put("LockPersonality", "yes");
        m.put("UMask", "0077");
        m.put("CapabilityBoundingSet", String.join(" ", CAPABILITIES.keySet()));
        // closed: the pseudo devices (/dev/null, zero, full, random, urandom, tty, ptmx, pts) and these.
        m.put("DevicePolicy", "closed");
        m.put("ProtectKernelModules", "yes");
        m.put("ProtectKernelLogs", "yes");
        m.put("ProtectControlGroups", "yes");
        m.put("ProtectClock", "yes");
        m.put("ProtectHostname", "yes");
        m.put("PrivateMounts", "yes");
        m.put("RestrictRealtime", "yes");
        m.put("RestrictNamespaces", "mnt");
        m.put("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6 AF_NETLINK");
        m.put("SystemCallArchitectures", "native");
        return m;
    }

    /** {@code DeviceAllow} lines (a key systemd takes many times, so not in {@link #HARDENING}). */
    public static final List<String> DEVICES = List.of(
            "/dev/kvm rw",      // KVM, where the host has it
            "/dev/net/tun rw",  // taps
            "/dev/console m");  // debootstrap's mknod of the image's /dev/console (the rest are in closed's list)

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
        b.append("# docs/privileges.md says why each capability is here:\n");
        CAPABILITIES.forEach((cap, why) -> b.append("#   ").append(cap).append(": ").append(why).append('\n'));
        HARDENING.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
        DEVICES.forEach(d -> b.append("DeviceAllow=").append(d).append('\n'));
        b.append("ReadWritePaths=").append(String.join(" ", List.of(layout.stateDir().toString(), layout.cacheDir().toString(),
                layout.runtimeDir().toString()))).append('\n');
        b.append("# Not RestrictSUIDSGID: image pulls recreate the guest's setuid and setgid files.\n");
        b.append("# Not ProtectKernelTunables: NAT turns on net.ipv4.ip_forward.\n\n");
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
