package dev.banger.daemon.network.forward;

import dev.banger.core.rpc.BangerException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One published port: {@code hostIp:hostPort} on the host reaches {@code guestPort} of the VM.
 * Written as {@code [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|udp]}, like {@code docker run -p}; the
 * host address defaults to {@code 127.0.0.1}, so a port is open to other machines only when the
 * user writes {@code 0.0.0.0} (or another address of the host).
 */
public record PortForward(String proto, String hostIp, int hostPort, int guestPort) {

    public static final String LOOPBACK = "127.0.0.1";
    public static final String ANY = "0.0.0.0";
    private static final Pattern SPEC = Pattern.compile("(?:([0-9.]+):)?([0-9]+):([0-9]+)(?:/([A-Za-z]+))?");

    /** Parses a {@code -p} value; a clear error naming what is wrong otherwise. */
    public static PortForward parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw BangerException.badRequest("a port forward needs [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|udp], e.g. 8080:80");
        }
        Matcher m = SPEC.matcher(spec.strip());
        if (!m.matches()) {
            throw BangerException.badRequest("port forward '" + spec + "' is not [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|udp] (e.g. 8080:80, "
                    + "0.0.0.0:2222:22/tcp, 5353:53/udp)");
        }
        String proto = m.group(4) == null ? "tcp" : m.group(4).toLowerCase(Locale.ROOT);
        if (!proto.equals("tcp") && !proto.equals("udp")) {
            throw BangerException.badRequest("port forward '" + spec + "': protocol " + m.group(4) + " is neither tcp nor udp");
        }
        String host = m.group(1) == null ? LOOPBACK : ipv4(spec, m.group(1));
        return new PortForward(proto, host, port(spec, "host", m.group(2)), port(spec, "guest", m.group(3)));
    }

    /** {@code 127.0.0.1:8080:80/tcp}: the form parse takes and the CLI prints. */
    public String spec() {
        return hostIp + ":" + hostPort + ":" + guestPort + "/" + proto;
    }

    /** Whether the host port is open on every address of the host, not only one. */
    public boolean anyAddress() {
        return hostIp.equals(ANY);
    }

    /** A dotted quad, parsed here so no name lookup can happen. */
    private static String ipv4(String spec, String literal) {
        String[] octets = literal.split("\\.", -1);
        boolean ok = octets.length == 4;
        for (int i = 0; ok && i < 4; i++) {
            ok = !octets[i].isEmpty() && octets[i].length() <= 3 && Integer.parseInt(octets[i]) <= 255;
        }
        if (!ok) {
            throw BangerException.badRequest("port forward '" + spec + "': " + literal + " is not an IPv4 address of the host");
        }
        return literal.replaceAll("(^|\\.)0+(\\d)", "$1$2"); // 010.0.0.1 as 10.0.0.1, as nft and bind read it
    }

    private static int port(String spec, String which, String digits) {
        int port = digits.length() > 5 ? -1 : Integer.parseInt(digits);
        if (port < 1 || port > 65535) {
            throw BangerException.badRequest("port forward '" + spec + "': " + which + " port " + digits + " is not between 1 and 65535");
        }
        return port;
    }
}
