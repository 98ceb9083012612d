package dev.banger.daemon.vm.ports;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The guest script's output as a Linux guest prints it, read into listening sockets and their owners. */
class ListeningSocketsTest {

    private static final String OUTPUT = """
            @net tcp
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
               1: 0100007F:2382 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0000000000000000 100 0 0 10 0
               2: 0200A8C0:0016 0100A8C0:D431 01 00000000:00000000 02:0009B2D0 00000000     0        0 1003 4 0000000000000000 20 4 30 10 -1
            @net tcp6
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1004 1 0000000000000000 100 0 0 10 0
               1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1005 1 0000000000000000 100 0 0 10 0
            @net udp
               sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
              10: 00000000:0043 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1006 2 0000000000000000 0
              11: 0200A8C0:8B2C 0101A8C0:0035 01 00000000:00000000 00:00000000 00000000     0        0 1007 2 0000000000000000 0
            @fd
            /proc/1/fd:
            lrwx------    1 root     root            64 Jan  1 00:00 0 -> /dev/console
            /proc/42/fd:
            lrwx------    1 root     root            64 Jan  1 00:00 3 -> socket:[1001]
            lrwx------    1 root     root            64 Jan  1 00:00 4 -> socket:[1004]
            /proc/43/fd:
            lrwx------ 1 root root 64 Jan  1 00:00 3 -> 'socket:[1001]'
            /proc/77/fd:
            lrwx------    1 root     root            64 Jan  1 00:00 5 -> socket:[1006]
            @comm
            1 banger-init
            42 dropbear
            43 dropbear
            77 udhcpd
            """;

    @Test
    void listeningTcpAndUnconnectedUdpSocketsWithTheirProcesses() {
        List<String> found = ListeningSockets.parse(OUTPUT).stream()
                .map(l -> l.proto() + " " + ListeningSockets.text(l.address()) + " " + l.port() + " "
                        + l.processes().stream().map(p -> p.name() + "/" + p.pid()).toList())
                .toList();

        assertThat(found).containsExactly(
                "tcp 0.0.0.0 22 [dropbear/42, dropbear/43]",
                "tcp 127.0.0.1 9090 []",
                "tcp :: 22 [dropbear/42]",
                "tcp ::1 8080 []",
                "udp 0.0.0.0 67 [udhcpd/77]");
    }

    @Test
    void addressesAreTheKernelsLittleEndianWords() {
        assertThat(ListeningSockets.text(ListeningSockets.address("0200A8C0"))).isEqualTo("192.168.0.2");
        assertThat(ListeningSockets.text(ListeningSockets.address("0000000000000000FFFF00000100007F")))
                .as("an IPv4-mapped IPv6 address").isEqualTo("127.0.0.1");
        assertThat(ListeningSockets.text(ListeningSockets.address("B80D0120000000000000000001000000"))).isEqualTo("2001:db8:0:0:0:0:0:1");
    }
}
