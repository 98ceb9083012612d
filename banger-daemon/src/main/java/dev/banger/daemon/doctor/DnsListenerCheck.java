package dev.banger.daemon.doctor;

import dev.banger.core.config.VmSettings;
import dev.banger.core.model.DoctorCheck;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * banger's DNS server for {@code NAME.vm} listens on UDP {@code dns_listen} (127.0.0.1:42069).
 * Free, or held by bangerd: PASS. Held by anything else: WARN, naming the holder when it can.
 */
record DnsListenerCheck(InetSocketAddress listen, UdpPortHolder ports, long selfPid) implements Check {

    static final String BANGERD_MAIN = "dev.banger.daemon.Bangerd";

    /** The check of {@code dns_listen} on this host; null (off) gives a check that says so. */
    static Check forHost(VmSettings.DnsListen listen) {
        if (listen == null) {
            return new Check() {
                @Override
                public String name() {
                    return "dns listener";
                }

                @Override
                public DoctorCheck run() {
                    return DoctorCheck.pass(name(), "dns_listen is off: no NAME.vm names");
                }
            };
        }
        return new DnsListenerCheck(new InetSocketAddress(listen.address(), listen.port()), new UdpPortHolder(Path.of("/proc")),
                ProcessHandle.current().pid());
    }

    @Override
    public String name() {
        return "dns listener";
    }

    @Override
    public DoctorCheck run() throws Exception {
        String where = "udp " + listen.getAddress().getHostAddress() + ":" + listen.getPort();
        Optional<UdpPortHolder.Holder> h = ports.find(listen);
        if (h.isEmpty()) {
            return DoctorCheck.pass(name(), where + ": free for banger's DNS server");
        }
        UdpPortHolder.Holder holder = h.get();
        if (holder.pid().isEmpty()) {
            return DoctorCheck.warn(name(), List.of(where + ": in use by a process " + System.getProperty("user.name")
                            + " cannot inspect (socket inode " + holder.inode() + ")"),
                    "run `sudo banger doctor` to name it", "if it is not bangerd: stop it, or set dns_listen to a free address");
        }
        long pid = holder.pid().get();
        if (pid == selfPid || holder.command().contains(BANGERD_MAIN)) {
            return DoctorCheck.pass(name(), where + ": bangerd (pid " + pid + ") listens");
        }
        return DoctorCheck.warn(name(), List.of(where + ": in use by pid " + pid + " (" + holder.command() + "), which is not banger",
                        "`NAME.vm` names will not resolve through banger"),
                "stop that program, or set dns_listen in bangerd's config to a free address");
    }
}
