package dev.banger.core.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * The VM keys of bangerd's config: which hypervisor, the bridge and its subnet, and the sizes a VM
 * gets when {@code vm create} does not say. docs/config.md lists them with their defaults.
 *
 * @param hypervisor   {@code auto} (QEMU here; Firecracker where it is installed and usable), {@code qemu} or {@code firecracker}
 * @param qemuBin      the QEMU system emulator; a bare name is looked up on PATH
 * @param bridgeName   the host bridge every VM's tap joins; must start with {@code br-fc}
 * @param bridgeIp     the bridge's address, which is the guests' gateway
 * @param cidr         the prefix length of the guest subnet (8 to 30)
 * @param defaultImage the image {@code vm create} uses without {@code --image}
 * @param vcpu         vCPUs without {@code --vcpu}
 * @param memoryMib    memory without {@code --memory}
 * @param diskBytes    work disk size without {@code --disk-size}
 * @param bootTimeout  how long a start waits for the guest's SSH before giving up
 * @param firecracker  the Firecracker and jailer keys
 * @param dnsListen    where the {@code .vm} DNS server listens (UDP and TCP); null: no DNS server ({@code dns_listen = "off"})
 * @param vmmUser      the unprivileged system account VMMs run as (QEMU's {@code -runas}, the jailer's uid/gid);
 *                     {@code root} runs them as root, an explicit opt-out that {@code banger doctor} warns about
 * @param warmStart    {@code vm create} restores a clone of the image's template snapshot instead of booting, where one
 *                     fits (and builds that template in the background after a cold boot); false: every VM boots
 */
public record VmSettings(String hypervisor, String qemuBin, String bridgeName, String bridgeIp, int cidr,
                         String defaultImage, int vcpu, int memoryMib, long diskBytes, Duration bootTimeout,
                         FirecrackerSettings firecracker, DnsListen dnsListen, String vmmUser, boolean warmStart) {

    public static final Set<String> HYPERVISORS = Set.of("auto", "qemu", "firecracker");
    public static final int MAX_VCPU = 32;
    public static final int MIN_MEMORY_MIB = 128;
    public static final int MAX_MEMORY_MIB = 64 * 1024;
    public static final long MIN_DISK_BYTES = 64L << 20;
    public static final long MAX_DISK_BYTES = 2L << 40;
    public static final String DEFAULT_DNS_LISTEN = "127.0.0.1:42069";
    public static final String DEFAULT_VMM_USER = "banger-vmm";

    public VmSettings {
        hypervisor = hypervisor.toLowerCase(Locale.ROOT);
        if (!HYPERVISORS.contains(hypervisor)) {
            throw new ConfigException("'hypervisor' must be auto, qemu or firecracker; got '" + hypervisor + "'");
        }
        if (!bridgeName.startsWith("br-fc") || bridgeName.length() > 15 || !bridgeName.matches("[a-zA-Z0-9_-]+")) {
            throw new ConfigException("'bridge_name' must start with br-fc, use letters, digits, - or _, and be at most 15 characters; got '"
                    + bridgeName + "'");
        }
        if (cidr < 8 || cidr > 30) {
            throw new ConfigException("'cidr' must be a prefix length from 8 to 30; got " + cidr);
        }
        ipv4("bridge_ip", bridgeIp);
        if (vcpu < 1 || vcpu > MAX_VCPU) {
            throw new ConfigException("'vm_defaults.vcpu' must be 1 to " + MAX_VCPU + "; got " + vcpu);
        }
        if (memoryMib < MIN_MEMORY_MIB || memoryMib > MAX_MEMORY_MIB) {
            throw new ConfigException("'vm_defaults.memory_mib' must be " + MIN_MEMORY_MIB + " to " + MAX_MEMORY_MIB + "; got " + memoryMib);
        }
        if (diskBytes < MIN_DISK_BYTES || diskBytes > MAX_DISK_BYTES) {
            throw new ConfigException("'vm_defaults.disk_size' must be 64M to 2T; got " + diskBytes + " bytes");
        }
        if (bootTimeout.isNegative() || bootTimeout.isZero()) {
            throw new ConfigException("'boot_timeout' must be positive; got " + bootTimeout);
        }
        firecracker = firecracker != null ? firecracker : FirecrackerSettings.defaults();
        vmmUser = vmmUser != null ? vmmUser : DEFAULT_VMM_USER;
        if (!vmmUser.matches("[a-z_][a-z0-9_-]{0,31}")) {
            throw new ConfigException("'vmm_user' must be a user name (lower-case letters, digits, _ and -, at most 32); got '"
                    + vmmUser + "'");
        }
    }

    /** The settings with warm start on (the default). */
    public VmSettings(String hypervisor, String qemuBin, String bridgeName, String bridgeIp, int cidr,
                      String defaultImage, int vcpu, int memoryMib, long diskBytes, Duration bootTimeout,
                      FirecrackerSettings firecracker, DnsListen dnsListen, String vmmUser) {
        this(hypervisor, qemuBin, bridgeName, bridgeIp, cidr, defaultImage, vcpu, memoryMib, diskBytes, bootTimeout, firecracker,
                dnsListen, vmmUser, true);
    }

    /** The settings with Firecracker's defaults and the default {@code dns_listen}. */
    public VmSettings(String hypervisor, String qemuBin, String bridgeName, String bridgeIp, int cidr,
                      String defaultImage, int vcpu, int memoryMib, long diskBytes, Duration bootTimeout) {
        this(hypervisor, qemuBin, bridgeName, bridgeIp, cidr, defaultImage, vcpu, memoryMib, diskBytes, bootTimeout, null,
                parseDnsListen(DEFAULT_DNS_LISTEN), DEFAULT_VMM_USER);
    }

    public static VmSettings defaults() {
        return new VmSettings("auto", "qemu-system-x86_64", "br-fc", "172.16.0.1", 24, "debian-bookworm",
                1, 512, 4L << 30, Duration.ofSeconds(90));
    }

    public VmSettings withBridge(String name, String ip, int prefix) {
        return new VmSettings(hypervisor, qemuBin, name, ip, prefix, defaultImage, vcpu, memoryMib, diskBytes, bootTimeout,
                firecracker, dnsListen, vmmUser, warmStart);
    }

    public VmSettings withBootTimeout(Duration timeout) {
        return new VmSettings(hypervisor, qemuBin, bridgeName, bridgeIp, cidr, defaultImage, vcpu, memoryMib, diskBytes, timeout,
                firecracker, dnsListen, vmmUser, warmStart);
    }

    public VmSettings withHypervisor(String name, String qemu) {
        return new VmSettings(name, qemu, bridgeName, bridgeIp, cidr, defaultImage, vcpu, memoryMib, diskBytes, bootTimeout,
                firecracker, dnsListen, vmmUser, warmStart);
    }

    public VmSettings withFirecracker(FirecrackerSettings settings) {
        return new VmSettings(hypervisor, qemuBin, bridgeName, bridgeIp, cidr, defaultImage, vcpu, memoryMib, diskBytes, bootTimeout,
                settings, dnsListen, vmmUser, warmStart);
    }

    public VmSettings withVmmUser(String user) {
        return new VmSettings(hypervisor, qemuBin, bridgeName, bridgeIp, cidr, defaultImage, vcpu, memoryMib, diskBytes, bootTimeout,
                firecracker, dnsListen, user, warmStart);
    }

    /** {@code warm_start}: false makes every VM boot (tests not about warm start use it: a template build is a second boot). */
    public VmSettings withWarmStart(boolean on) {
        return new VmSettings(hypervisor, qemuBin, bridgeName, bridgeIp, cidr, defaultImage, vcpu, memoryMib, diskBytes, bootTimeout,
                firecracker, dnsListen, vmmUser, on);
    }

    /** True when VMMs run as root by the config's choice ({@code vmm_user = "root"}). */
    public boolean vmmAsRoot() {
        return vmmUser.equals("root");
    }

    /** Where the .vm DNS server listens, UDP and TCP. */
    public record DnsListen(Inet4Address address, int port) {
        @Override
        public String toString() {
            return address.getHostAddress() + ":" + port;
        }
    }

    /** {@code dns_listen} as the config file writes it ({@code IPv4:port}, or {@code off}). */
    public VmSettings withDnsListen(String listen) {
        return new VmSettings(hypervisor, qemuBin, bridgeName, bridgeIp, cidr, defaultImage, vcpu, memoryMib, diskBytes, bootTimeout,
                firecracker, parseDnsListen(listen), vmmUser, warmStart);
    }

    /**
     * Reads {@code dns_listen}: {@code IPv4:port}, or {@code "off"} or empty for no DNS server (null).
     * Only an address literal: the server is what would resolve a name.
     */
    public static DnsListen parseDnsListen(String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty() || t.equalsIgnoreCase("off")) {
            return null;
        }
        int colon = t.lastIndexOf(':');
        String port = colon < 0 ? "" : t.substring(colon + 1);
        if (colon < 0 || !port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            throw new ConfigException("'dns_listen' must be an IPv4 address and a port from 1 to 65535 like " + DEFAULT_DNS_LISTEN
                    + ", or \"off\"; got '" + t + "'");
        }
        return new DnsListen(ipv4("dns_listen", t.substring(0, colon)), Integer.parseInt(port));
    }

    /** The bridge address as an {@link Inet4Address}. */
    public Inet4Address bridgeAddress() {
        return ipv4("bridge_ip", bridgeIp);
    }

    /** The location of {@code qemu_bin} when it is a path, else null (look it up on PATH). */
    public Path qemuPath() {
        return qemuBin.contains("/") ? Path.of(qemuBin) : null;
    }

    private static Inet4Address ipv4(String key, String text) {
        if (text == null || !text.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new ConfigException("'" + key + "' must be an IPv4 address like 172.16.0.1; got '" + text + "'");
        }
        try {
            return (Inet4Address) InetAddress.getByName(text);
        } catch (UnknownHostException | ClassCastException e) {
            throw new ConfigException("'" + key + "' must be an IPv4 address like 172.16.0.1; got '" + text + "'");
        }
    }
}
