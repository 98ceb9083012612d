package dev.banger.daemon.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.network.forward.PortForward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PortForwardTest {

    @Test
    void theHostAddressDefaultsToLoopbackAndTheProtocolToTcp() {
        assertThat(PortForward.parse("8080:80")).isEqualTo(new PortForward("tcp", "127.0.0.1", 8080, 80));
        assertThat(PortForward.parse("0.0.0.0:2222:22/TCP").spec()).isEqualTo("0.0.0.0:2222:22/tcp");
        assertThat(PortForward.parse("5353:53/udp").anyAddress()).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "80|is not [HOST_IP:]HOST_PORT:GUEST_PORT",
            "web:80:80|is not [HOST_IP:]HOST_PORT:GUEST_PORT",
            "8080:80/sctp|protocol sctp is neither tcp nor udp",
            "70000:80|host port 70000 is not between 1 and 65535",
            "8080:0|guest port 0 is not between 1 and 65535",
            "1.2.3:8080:80|1.2.3 is not an IPv4 address",
            "300.1.1.1:8080:80|300.1.1.1 is not an IPv4 address"})
    void aBadSpecIsRefusedNamingWhatIsWrong(String spec, String message) {
        assertThatThrownBy(() -> PortForward.parse(spec)).isInstanceOf(BangerException.class).hasMessageContaining(message)
                .hasMessageContaining(spec);
    }
}
