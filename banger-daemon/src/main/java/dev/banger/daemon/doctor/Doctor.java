package dev.banger.daemon.doctor;

import dev.banger.core.Layout;
import dev.banger.core.api.SystemApi.DoctorReport;
import dev.banger.core.config.Config;
import dev.banger.core.model.DoctorCheck;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.kernel.KernelCatalog;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.network.dns.VmDns;
import dev.banger.daemon.network.guard.GuestGuard;
import dev.banger.daemon.network.nat.NatRules;
import dev.banger.daemon.system.Systemd;
import dev.banger.daemon.vm.hypervisor.FirecrackerProbe;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code banger doctor}'s host checks, in the order they print. Run by bangerd (as root, for the
 * {@code doctor} RPC) or by {@code bangerd doctor} in the user's own process when the daemon is
 * down; either way read-only: the store is opened read-only and never migrated, nothing is written.
 * The CLI adds its own rows (daemon reachable, versions, group, ssh-config).
 */
public final class Doctor {

    private final List<Check> checks;

    Doctor(List<Check> checks) {
        this.checks = List.copyOf(checks);
    }

    /**
     * The checks for this host under {@code config}; {@code root} is where /etc is ("/" but in tests).
     * {@code liveDns}: the running daemon's DNS server, which reports its own state; without it
     * (bangerd is down) the {@code dns_listen} port is looked at from outside.
     */
    public static Doctor forHost(Config config, CommandRunner runner, Path root, Optional<VmDns> liveDns) {
        Optional<VmDns> live = liveDns;
        Layout layout = Layout.of(config);
        ToolProbe tools = new ToolProbe(runner);
        StoreReading store = new StoreReading(layout.database());
        Supplier<KernelCatalog> catalog = () -> config.kernelCatalog() == null ? KernelCatalog.embedded()
                : KernelCatalog.load(config.kernelCatalog());
        List<Check> checks = new ArrayList<>(List.of(
                ArchitectureCheck.ofThisJvm(),
                new StoreCheck(store),
                new QemuCheck(config.vm(), tools),
                new FirecrackerCheck(config.vm(), FirecrackerProbe.forHost(config.vm().firecracker(), runner, layout.stateDir())),
                new VmmConfinementCheck(config.vm(), tools, runner),
                AccelerationCheck.forHost(layout.stateDir()),
                TunCheck.forHost(),
                new BridgeToolsCheck(config.vm(), tools),
                new NatCheck(new NatRules(runner, config.vm().bridgeName(), NatRules.Programs.DEFAULT)),
                new GuardCheck(new GuestGuard(runner, NatRules.Programs.DEFAULT.nft(), HostNetwork.TAP_PREFIX,
                        config.vm().bridgeAddress(), config.vm().cidr())),
                new CopyOnWriteCheck(config.vm(), layout.stateDir(), tools),
                new DiskToolsCheck(tools),
                live.<Check>map(LiveDnsCheck::new).orElseGet(() -> DnsListenerCheck.forHost(config.vm().dnsListen())),
                new DefaultImageCheck(config.vm(), store, catalog),
                new WorkDiskCheck(tools, store),
                new SocketCheck(layout.socketPath()),
                new SystemUnitCheck(root, new Systemd(runner))));
        return new Doctor(checks);
    }

    /** Every check's row; a check that throws is a FAIL naming the error, and the rest still run. */
    public List<DoctorCheck> run() {
        List<DoctorCheck> rows = new ArrayList<>();
        for (Check c : checks) {
            try {
                rows.add(c.run());
            } catch (Exception e) {
                rows.add(DoctorCheck.fail(c.name(), List.of("the check itself failed: " + e), "report this as a banger bug"));
            }
        }
        return rows;
    }

    public DoctorReport report() {
        return new DoctorReport(System.getProperty("user.name"), run());
    }
}
