package dev.banger.daemon.network.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;

/**
 * The sockets of the DNS server: UDP and TCP on one address and port, each served by virtual
 * threads. A packet that does not parse is answered FORMERR when it carries an id, else dropped; no
 * packet ends a loop. Only {@link #close} does.
 */
final class DnsListener implements AutoCloseable {

    /** What the listener answers with: the response to a query from {@code from}, or null to send nothing. */
    @FunctionalInterface
    interface Responder {
        Message answer(Message query, java.net.InetAddress from);
    }

    private static final Logger LOG = LoggerFactory.getLogger(DnsListener.class);
    /** Bytes read of one datagram: a query is far smaller; a longer one is cut and so answered FORMERR. */
    static final int MAX_UDP_QUERY = 4096;
    /** A plain DNS answer over UDP (RFC 1035); EDNS queries may ask for more, up to {@link VmZone#EDNS_PAYLOAD}. */
    static final int PLAIN_UDP_ANSWER = 512;
    static final int MAX_TCP_CONNECTIONS = 64;
    static final int MAX_UDP_IN_FLIGHT = 256;
    static final Duration TCP_IDLE = Duration.ofSeconds(10);
    private static final int HEADER_BYTES = 12;

    private final Responder responder;
    private final ServerSocket tcp;
    private final DatagramSocket udp;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Semaphore connectionSlots = new Semaphore(MAX_TCP_CONNECTIONS);
    private final Semaphore udpSlots = new Semaphore(MAX_UDP_IN_FLIGHT);
    private final Thread udpLoop;
    private final Thread acceptLoop;

    private DnsListener(Responder responder, ServerSocket tcp, DatagramSocket udp) {
        this.responder = responder;
        this.tcp = tcp;
        this.udp = udp;
        this.udpLoop = Thread.ofVirtual().name("dns-udp").start(this::serveUdp);
        this.acceptLoop = Thread.ofVirtual().name("dns-tcp-accept").start(this::acceptTcp);
    }

    /**
     * Binds TCP, then UDP on the same port (so port 0 picks one free for both), and starts serving.
     * Either bind failing closes the other: nothing is left listening.
     */
    static DnsListener start(InetSocketAddress at, Responder responder) {
        Sockets s = bind(at);
        return new DnsListener(responder, s.tcp(), s.udp());
    }

    /** Why nothing could listen on {@code at} now, or null when both ports are free (they are released again). */
    static String probe(InetSocketAddress at) {
        try {
            Sockets s = bind(at);
            closeQuietly(s.tcp());
            s.udp().close();
            return null;
        } catch (UncheckedIOException e) {
            return e.getMessage();
        }
    }

    private record Sockets(ServerSocket tcp, DatagramSocket udp) {
    }

    private static Sockets bind(InetSocketAddress at) {
        ServerSocket tcp = null;
        try {
            tcp = new ServerSocket();
            tcp.bind(at, MAX_TCP_CONNECTIONS);
        } catch (IOException e) {
            closeQuietly(tcp);
            throw cannotListen(at, "tcp", e);
        }
        InetSocketAddress sameForUdp = new InetSocketAddress(at.getAddress(), tcp.getLocalPort());
        try {
            return new Sockets(tcp, new DatagramSocket(sameForUdp));
        } catch (IOException e) {
            closeQuietly(tcp);
            throw cannotListen(sameForUdp, "udp", e);
        }
    }

    private static UncheckedIOException cannotListen(InetSocketAddress at, String protocol, IOException e) {
        String where = at.getAddress().getHostAddress() + ":" + at.getPort() + "/" + protocol;
        String why = e instanceof java.net.BindException && String.valueOf(e.getMessage()).contains("in use")
                ? "another program holds that port (stop it, or set dns_listen to a free address, or \"off\")"
                : "set dns_listen to an address of this host, or \"off\"";
        return new UncheckedIOException("cannot listen for DNS on " + where + ": " + e.getMessage() + "; " + why, e);
    }

    /** The address both sockets are bound to (the real port when 0 was asked for). */
    InetSocketAddress address() {
        return new InetSocketAddress(tcp.getInetAddress(), tcp.getLocalPort());
    }

    private void serveUdp() {
        byte[] buffer = new byte[MAX_UDP_QUERY];
        while (!udp.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                udp.receive(packet);
            } catch (IOException e) {
                if (!udp.isClosed()) {
                    LOG.debug("dns: udp receive failed: {}", e.getMessage());
                }
                continue;
            }
            if (!udpSlots.tryAcquire()) {
                continue; // as many queries in flight as we serve: a flood is dropped, as a busy server would
            }
            byte[] query = java.util.Arrays.copyOf(buffer, packet.getLength());
            var from = packet.getSocketAddress();
            var address = packet.getAddress();
            // A thread per query: a forwarded one waits for the upstream, and must not hold up the others.
            Thread.ofVirtual().name("dns-udp-query").start(() -> {
                try {
                    byte[] answer = respond(query, query.length, false, address);
                    if (answer != null) {
                        udp.send(new DatagramPacket(answer, answer.length, from));
                    }
                } catch (IOException e) {
                    LOG.debug("dns: cannot answer {}: {}", from, e.getMessage());
                } finally {
                    udpSlots.release();
                }
            });
        }
    }

    private void acceptTcp() {
        while (!tcp.isClosed()) {
            Socket s;
            try {
                s = tcp.accept();
            } catch (IOException e) {
                if (!tcp.isClosed()) {
                    LOG.debug("dns: tcp accept failed: {}", e.getMessage());
                }
                continue;
            }
            if (!connectionSlots.tryAcquire()) {
                closeQuietly(s); // a flood of idle connections must not starve the others
                continue;
            }
            connections.add(s);
            Thread.ofVirtual().name("dns-tcp").start(() -> {
                try {
                    serveTcp(s);
                } finally {
                    connections.remove(s);
                    closeQuietly(s);
                    connectionSlots.release();
                }
            });
        }
    }

    /** Length-prefixed queries, one after another, until the client hangs up, stays idle, or sends what has no id. */
    private void serveTcp(Socket s) {
        try {
            s.setSoTimeout((int) TCP_IDLE.toMillis());
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            while (true) {
                int length = in.readUnsignedShort();
                byte[] query = new byte[length];
                in.readFully(query);
                byte[] answer = respond(query, length, true, s.getInetAddress());
                if (answer == null) {
                    return;
                }
                out.writeShort(answer.length);
                out.write(answer);
                out.flush();
            }
        } catch (EOFException | SocketTimeoutException e) {
            // The client is done, or idle too long.
        } catch (SocketException e) {
            // Closed: by the client, or by close().
        } catch (IOException e) {
            LOG.debug("dns: tcp connection from {} failed: {}", s.getRemoteSocketAddress(), e.getMessage());
        }
    }

    /** The wire answer to {@code length} bytes of {@code packet}, or null to send nothing. */
    byte[] respond(byte[] packet, int length, boolean overTcp, java.net.InetAddress from) {
        Message query;
        try {
            query = new Message(java.util.Arrays.copyOf(packet, length));
        } catch (IOException | RuntimeException e) {
            return formErr(packet, length);
        }
        Message response;
        try {
            response = responder.answer(query, from);
        } catch (RuntimeException e) {
            LOG.warn("dns: cannot answer {}: {}", query.getQuestion(), e.toString());
            response = failure(query.getHeader().getID(), Rcode.SERVFAIL);
        }
        if (response == null) {
            return null;
        }
        return response.toWire(overTcp ? 0xFFFF : udpLimit(query));
    }

    /** 512 bytes, or what an EDNS query offers up to our own payload size; a longer answer is truncated (TC) for TCP. */
    private static int udpLimit(Message query) {
        return query.getOPT() == null ? PLAIN_UDP_ANSWER
                : Math.clamp(query.getOPT().getPayloadSize(), PLAIN_UDP_ANSWER, VmZone.EDNS_PAYLOAD);
    }

    /** FORMERR with the query's id; nothing for a packet too short to have one, or one that is itself a response. */
    private static byte[] formErr(byte[] packet, int length) {
        if (length < HEADER_BYTES || (packet[2] & 0x80) != 0) {
            return null;
        }
        return failure(((packet[0] & 0xff) << 8) | (packet[1] & 0xff), Rcode.FORMERR).toWire();
    }

    private static Message failure(int id, int rcode) {
        Message m = new Message(id);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setRcode(rcode);
        return m;
    }

    /** Stops both loops and every TCP connection; returns once the loops have ended. */
    @Override
    public void close() {
        closeQuietly(tcp);
        udp.close();
        connections.forEach(DnsListener::closeQuietly);
        try {
            udpLoop.join(Duration.ofSeconds(5));
            acceptLoop.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // Closing what is being given up: nothing to do about a failure.
            }
        }
    }
}
