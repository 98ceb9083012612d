package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.vm.ssh.ExecResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Published ports with a real busybox guest serving HTTP on port 80: the host port reaches it on
 * 127.0.0.1 only unless 0.0.0.0 is written, through stop/start and a daemon restart; a taken host
 * port fails the create or start before anything boots; delete leaves no rule.
 */
class VmForwardTest extends BusyboxVmTest {

    private static final String MARKER = "banger-forward-page";


    @AfterEach
    void deleteVms() {
        deleteAllVms();
    }

    @Test
    void aPublishedPortReachesTheGuestOnLoopbackOnlyAndFollowsStopStartRestartAndDelete() throws Exception {
        int port = freePort();
        VmInfo vm = rig.vms.create(params("web", false, List.of(port + ":80")), rig.ctx("vm.create"));
        serve(vm);

        assertThat(get("127.0.0.1", port)).contains(MARKER);
        assertThatThrownBy(() -> get(bridge(), port)).as("the default bind is loopback only").isInstanceOf(ConnectException.class);
        assertThat(rig.vms.forwardList("web").forwards()).containsExactly("127.0.0.1:" + port + ":80/tcp");
        assertThat(rig.vms.ports("web", rig.ctx("vm.ports")).forwards()).containsExactly("127.0.0.1:" + port + ":80/tcp");

        int any = freePort();
        rig.vms.forwardAdd(new VmApi.ForwardParams("web", "0.0.0.0:" + any + ":80"));
        assertThat(get(bridge(), any)).as("0.0.0.0 reaches it on the host's other addresses too").contains(MARKER);
        rig.vms.forwardRemove(new VmApi.ForwardParams("web", Integer.toString(any)));
        assertThatThrownBy(() -> get(bridge(), any)).isInstanceOf(ConnectException.class);
        assertThat(count(ruleset(), "banger-fwd:" + vm.id())).as(ruleset()).isEqualTo(2);

        rig.vms.stop("web", rig.ctx("vm.stop"));
        assertThat(ruleset()).as("stop leaves no DNAT").doesNotContain("banger-fwd:" + vm.id());
        rig.vms.start("web", rig.ctx("vm.start"));
        serve(vm);
        assertThat(get("127.0.0.1", port)).as("the forward survives stop/start").contains(MARKER);

        rig.runner.run("nft", "delete", "table", "ip", "banger"); // a firewall reload while bangerd is down
        rig.restart();
        assertThat(get("127.0.0.1", port)).as("rebuilt when the restarted daemon adopts the VM").contains(MARKER);
        assertThat(count(ruleset(), "banger-fwd:" + vm.id())).isEqualTo(2);

        rig.vms.delete("web", rig.ctx("vm.delete"));
        assertThat(ruleset()).as("delete leaves no DNAT").doesNotContain("banger-fwd:" + vm.id());
        assertThat(rig.store.forwards().of(vm.id())).isEmpty();
        assertThatThrownBy(() -> get("127.0.0.1", port)).isInstanceOf(ConnectException.class);
    }

    @Test
    void aTakenHostPortFailsTheCreateOrStartBeforeAnythingBoots() throws Exception {
        try (ServerSocket held = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int taken = held.getLocalPort();
            assertThatThrownBy(() -> rig.vms.create(params("busy", false, List.of(taken + ":80")), rig.ctx("vm.create")))
                    .isInstanceOf(BangerException.class)
                    .hasMessageContaining("host port 127.0.0.1:" + taken + "/tcp is taken");
            assertThat(rig.store.vms().find("busy")).as("refused before anything is reserved").isEmpty();

            int later = freePort();
            VmInfo vm = rig.vms.create(params("later", true, List.of(later + ":80")), rig.ctx("vm.create"));
            assertThatThrownBy(() -> rig.vms.create(params("twice", true, List.of("0.0.0.0:" + later + ":22")), rig.ctx("vm.create")))
                    .isInstanceOf(BangerException.class).hasMessageContaining("already published by VM later")
                    .extracting(e -> ((BangerException) e).code()).isEqualTo(ErrorCode.ALREADY_EXISTS);
            try (ServerSocket squatter = new ServerSocket(later, 1, InetAddress.getLoopbackAddress())) {
                assertThatThrownBy(() -> rig.vms.start("later", rig.ctx("vm.start")))
                        .hasMessageContaining("host port 127.0.0.1:" + later + "/tcp is taken");
            }
            assertThat(rig.hypervisorProcesses()).as("no VM started").isEmpty();
            assertThat(rig.vms.show("later").state()).isEqualTo(VmInfo.ERROR);
            assertThat(ruleset()).doesNotContain("banger-fwd:" + vm.id());
        }
    }

    private static VmApi.CreateParams params(String name, boolean noStart, List<String> ports) {
        return new VmApi.CreateParams(name, "bb", null, 1, "256", "256M", noStart, null, null, ports);
    }

    /** busybox httpd on the guest's port 80, serving the marker page. */
    private void serve(VmInfo vm) {
        ExecResult r = rig.ssh(vm, "mkdir -p /tmp/www && echo " + MARKER + " > /tmp/www/index.html && httpd -p 80 -h /tmp/www",
                Duration.ofSeconds(30));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
    }

    private static String get(String host, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private String bridge() {
        return rig.config.vm().bridgeAddress().getHostAddress();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private String ruleset() {
        return rig.runner.runAllowingFailure(Command.of("nft", "list", "ruleset")).stdout();
    }

    private static int count(String text, String needle) {
        return (int) Pattern.compile(Pattern.quote(needle)).matcher(text).results().count();
    }
}
