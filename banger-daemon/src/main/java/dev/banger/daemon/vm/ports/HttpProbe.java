package dev.banger.daemon.vm.ports;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Whether a TCP port answers HTTP: one {@code HEAD /} in HTTP/1.0 and a look at the first line
 * of the answer. Any status counts (a 404 or 501 is still a web server); an SSH banner, silence
 * or a closed connection does not.
 */
final class HttpProbe {

    private static final Pattern STATUS_LINE = Pattern.compile("^HTTP/\\d(\\.\\d)? \\d{3}( .*)?$");
    private static final int MAX_LINE = 256;

    private final Duration dialTimeout;
    private final Duration readTimeout;

    HttpProbe(Duration dialTimeout, Duration readTimeout) {
        this.dialTimeout = dialTimeout;
        this.readTimeout = readTimeout;
    }

    boolean answersHttp(String host, int port, String hostHeader) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) dialTimeout.toMillis());
            socket.setSoTimeout((int) readTimeout.toMillis());
            socket.getOutputStream().write(("HEAD / HTTP/1.0\r\nHost: " + hostHeader + "\r\nUser-Agent: banger-ports\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return STATUS_LINE.matcher(firstLine(socket.getInputStream())).matches();
        } catch (IOException e) {
            return false;
        }
    }

    private static String firstLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n' && line.length() < MAX_LINE; c = in.read()) {
            line.append((char) c);
        }
        return line.toString().strip();
    }
}
