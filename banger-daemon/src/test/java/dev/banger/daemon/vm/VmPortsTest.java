package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.vm.ssh.ExecResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * vm.ports on a real busybox guest: servers started in it over SSH are listed with their
 * processes, and only the one that speaks HTTP on an address the host reaches gets a link.
 */
class VmPortsTest extends BusyboxVmTest {


    @Test
    void listsTcpAndUdpListenersWithProcessesAndLinksOnlyReachableHttp() {
        VmInfo vm = rig.vms.create(VmRig.create("ports", "bb"), rig.ctx("vm.create"));
        ExecResult servers = rig.ssh(vm, String.join("\n",
                "mkdir -p /tmp/www && echo hello > /tmp/www/index.html",
                "httpd -p 8080 -h /tmp/www",
                "httpd -p 127.0.0.1:9090 -h /tmp/www",
                "setsid nc -l -p 7000 </dev/null >/dev/null 2>&1 &",
                "printf 'interface eth0\\nstart 10.99.0.10\\nend 10.99.0.20\\nlease_file /tmp/leases\\npidfile /tmp/udhcpd.pid\\n' > /tmp/u.conf",
                "touch /tmp/leases && udhcpd /tmp/u.conf",
                "sleep 1"), Duration.ofSeconds(30));
        assertThat(servers.exitCode()).as(servers.stderr()).isZero();

        VmApi.PortsInfo info = rig.vms.ports("ports", rig.ctx("vm.ports"));

        assertThat(info.name()).isEqualTo("ports");
        Map<String, VmApi.Port> byKey = info.ports().stream()
                .collect(Collectors.toMap(p -> p.proto() + "/" + p.port(), Function.identity()));
        assertThat(byKey).containsKeys("tcp/22", "tcp/8080", "tcp/9090", "tcp/7000", "udp/67");

        assertThat(byKey.get("tcp/22").process()).isEqualTo("dropbear");
        assertThat(byKey.get("tcp/22").endpoint()).isEqualTo("ports.vm:22");
        assertThat(byKey.get("tcp/22").url()).as("the SSH port is not probed").isNull();

        VmApi.Port web = byKey.get("tcp/8080");
        assertThat(web.process()).isEqualTo("httpd");
        assertThat(web.pids()).isNotEmpty();
        assertThat(web.endpoint()).isEqualTo("ports.vm:8080");
        assertThat(web.url()).isEqualTo("http://ports.vm:8080/");

        VmApi.Port local = byKey.get("tcp/9090");
        assertThat(local.process()).isEqualTo("httpd");
        assertThat(local.endpoint()).as("loopback only: not reachable as ports.vm").isEqualTo("127.0.0.1:9090");
        assertThat(local.url()).isNull();

        assertThat(byKey.get("tcp/7000").process()).isEqualTo("nc");
        assertThat(byKey.get("tcp/7000").url()).as("answers, but not HTTP").isNull();

        assertThat(byKey.get("udp/67").process()).isEqualTo("udhcpd");
        assertThat(byKey.get("udp/67").endpoint()).isEqualTo("ports.vm:67");
        assertThat(byKey.get("udp/67").url()).isNull();

        List<String> order = info.ports().stream().map(p -> p.proto() + "/" + p.port()).toList();
        assertThat(order).as("TCP first, each by port").isSortedAccordingTo((a, b) -> {
            String[] x = a.split("/");
            String[] y = b.split("/");
            return x[0].equals(y[0]) ? Integer.compare(Integer.parseInt(x[1]), Integer.parseInt(y[1])) : x[0].compareTo(y[0]);
        });
        assertThat(rig.progress).anyMatch(p -> p.contains("list sockets")).anyMatch(p -> p.contains("probe http"));

        rig.vms.stop("ports", rig.ctx("vm.stop"));
        assertThatThrownBy(() -> rig.vms.ports("ports", rig.ctx("vm.ports")))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_RUNNING))
                .hasMessageContaining("ports is not running");
        rig.vms.delete("ports", rig.ctx("vm.delete"));
    }
}
