// PortForwardThroughput: the three roles of bench/port-forward.sh, one JDK single-file program.
//
//   java bench/PortForwardThroughput.java sink PORT                   reads and discards every connection (the "guest")
//   java bench/PortForwardThroughput.java proxy PORT HOST HPORT       a userspace proxy on 127.0.0.1:PORT, as bangerd would run one:
//                                                                     a virtual thread per direction copying through a buffer
//   java bench/PortForwardThroughput.java send HOST PORT SECONDS      writes 256 KiB buffers for SECONDS, prints MB/s (10^6 B)
//
// The sender counts what the kernel accepted; the sink reads it all, so the two agree to within
// the socket buffers (a few MB over seconds of GB/s).

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Locale;

public class PortForwardThroughput {

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "sink" -> sink(Integer.parseInt(args[1]));
            case "proxy" -> proxy(Integer.parseInt(args[1]), args[2], Integer.parseInt(args[3]));
            case "send" -> send(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException("sink | proxy | send, not " + args[0]);
        }
    }

    static void sink(int port) throws IOException {
        try (ServerSocket server = new ServerSocket(port, 50, InetAddress.getByName("0.0.0.0"))) {
            while (true) {
                Socket s = server.accept();
                Thread.ofVirtual().start(() -> {
                    try (s; InputStream in = s.getInputStream()) {
                        byte[] buf = new byte[256 * 1024];
                        while (in.read(buf) >= 0) {
                            // discard
                        }
                    } catch (IOException ignored) {
                        // the sender is done
                    }
                });
            }
        }
    }

    static void proxy(int port, String host, int hostPort) throws IOException {
        try (ServerSocket server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
            while (true) {
                Socket client = server.accept();
                Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress(host, hostPort), 5000);
                Thread.ofVirtual().start(() -> copy(client, upstream));
                Thread.ofVirtual().start(() -> copy(upstream, client));
            }
        }
    }

    static void copy(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException ignored) {
            // one side closed
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    static void send(String host, int port, int seconds) throws IOException {
        byte[] buf = new byte[256 * 1024];
        long bytes = 0;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5000);
            OutputStream out = s.getOutputStream();
            long warmEnd = System.nanoTime() + 1_000_000_000L;
            while (System.nanoTime() < warmEnd) {
                out.write(buf);
            }
            long t0 = System.nanoTime();
            long end = t0 + seconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                out.write(buf);
                bytes += buf.length;
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "%.0f%n", bytes / secs / 1e6);
        }
    }
}
