package dev.banger.daemon.vm;

import dev.banger.core.Layout;
import dev.banger.core.api.ImageApi;
import dev.banger.core.api.KernelApi;
import dev.banger.core.api.VmApi;
import dev.banger.core.config.Config;
import dev.banger.core.config.VmSettings;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.StateDirs;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.image.testing.TestRegistry;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.vm.ssh.ExecResult;
import dev.banger.daemon.vm.ssh.GuestSsh;
import dev.banger.daemon.vm.ssh.SshKeys;
import dev.banger.daemon.workspace.WorkspaceService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/**
 * A daemon's VM stack built from real parts (store, image service, host network, QEMU), on a
 * state dir of its own, with Debian's cloud kernel imported. {@link #restart} builds a fresh
 * VMService and host network (so a fresh .vm DNS server) on the same state, as a daemon restart
 * does. The DNS server listens on a free loopback port of its own, as the daemon starts it.
 */
final class VmRig implements AutoCloseable {

    final Path root;
    final Config config;
    final Layout layout;
    final CommandRunner runner = new CommandRunner();
    final Store store;
    final ImageService images;
    HostNetwork network;
    final List<String> progress = new CopyOnWriteArrayList<>();
    VMService vms;
    KernelInfo kernel;

    VmRig(Path root, Duration bootTimeout) {
        this(root, bootTimeout, UnaryOperator.identity());
    }

    /** {@code vmSettings}: changes to the VM keys of the config (the hypervisor, its binaries). */
    VmRig(Path root, Duration bootTimeout, UnaryOperator<VmSettings> vmSettings) {
        this(root, bootTimeout, vmSettings, UnaryOperator.identity());
    }

    /** {@code configure}: further changes to the config (say, where the built-in defaults come from). */
    VmRig(Path root, Duration bootTimeout, UnaryOperator<VmSettings> vmSettings, UnaryOperator<Config> configure) {
        this.root = root;
        Config base = Config.under(root);
        java.net.InetSocketAddress dns = dev.banger.daemon.network.dns.DnsClient.freeLoopbackPort();
        // Warm start off unless the test turns it on: a template build is a second boot in the background.
        this.config = configure.apply(base.withVm(vmSettings.apply(base.vm().withBootTimeout(bootTimeout).withWarmStart(false)
                .withDnsListen(dns.getAddress().getHostAddress() + ":" + dns.getPort()))));
        this.layout = Layout.of(config);
        this.store = Store.open(mkdirs(layout).database());
        this.images = new ImageService(store, runner, layout, config, Clock.systemUTC());
        this.network = new HostNetwork(config, runner);
        network.startDns();
        this.vms = newService();
    }

    /**
     * A rig with Debian's cloud kernel and the busybox+dropbear image {@code bb}, pulled from a
     * registry that is gone again once the pull is done.
     */
    static VmRig withBusybox(Path dir) {
        return withBusybox(dir, UnaryOperator.identity());
    }

    static VmRig withBusybox(Path dir, UnaryOperator<VmSettings> vmSettings) {
        TestKernelDeb.requireTools();
        TestKernelDeb.require();
        VmRig rig = new VmRig(dir.resolve("banger"), Duration.ofSeconds(90), vmSettings);
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"))) {
            rig.importKernel();
            rig.pull(registry, "bb", dev.banger.daemon.image.testing.TestGuestImages.busyboxImage());
        } catch (RuntimeException e) {
            rig.close();
            throw e;
        }
        return rig;
    }

    VMService newService() {
        return newService(UnaryOperator.identity());
    }

    /** A service on this rig's state whose parts {@code change} alters (a capability added, the boot plan replaced). */
    VMService newService(UnaryOperator<VMService.Parts> change) {
        return newService(config, network, runner, change);
    }

    /** Parts with {@code extra} after the host's capabilities. */
    static UnaryOperator<VMService.Parts> withCapability(dev.banger.daemon.vm.capability.Capability extra) {
        return p -> p.withCapabilities(new dev.banger.daemon.vm.capability.Capabilities(
                java.util.stream.Stream.concat(p.capabilities().all().stream(), java.util.stream.Stream.of(extra)).toList()));
    }

    /** A service on this rig's state with a config, host network or runner of its own. */
    VMService newService(Config config, HostNetwork network, CommandRunner runner, UnaryOperator<VMService.Parts> change) {
        return new VMService(store, layout, config, network, images, new WorkspaceService(runner, Clock.systemUTC()), Clock.systemUTC(),
                change.apply(VMService.Parts.forHost(config, layout, store, runner, network, images)));
    }

    /** A daemon restart: a new service and network on the same state, reconciled. */
    VMService restart() {
        network.close();
        network = new HostNetwork(config, runner);
        network.startDns();
        vms = newService();
        vms.reconcile();
        return vms;
    }

    KernelInfo importKernel() {
        kernel = images.importKernel(new KernelApi.KernelImportParams("cloud", null, null, null, TestKernelDeb.require().toString()),
                ctx("kernel.import"));
        return kernel;
    }

    ImageInfo pull(TestRegistry registry, String name, TestImage image) {
        registry.push(name, "v1", image);
        return images.pull(new ImageApi.PullParams(registry.host() + "/" + name + ":v1", name, kernel.name(), null), ctx("image.pull"));
    }

    OperationContext ctx(String method) {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), method, "test", false,
                e -> progress.add(String.valueOf(e)));
    }

    static VmApi.CreateParams create(String name, String image) {
        return new VmApi.CreateParams(name, image, null, 1, "256", "256M", false, null, null);
    }

    /** Runs {@code command} in the guest as root with banger's own key, as {@code banger vm ssh} would. */
    ExecResult ssh(VmInfo vm, String command, Duration timeout) {
        return new GuestSsh(SshKeys.ensure(layout.stateDir().resolve("ssh"), runner))
                .exec(vm.guestIp(), 22, command, Duration.ofSeconds(5), timeout);
    }

    /** Every banger tap on the host (this test's network namespace). */
    List<String> taps() {
        return dev.banger.daemon.network.HostTaps.all(runner);
    }

    /** QEMU processes working on this rig's VMs (their command lines name the VMs dir). */
    List<ProcessHandle> hypervisorProcesses() {
        return hypervisorProcesses(layout.vmsDir());
    }

    /** QEMU processes whose command lines name {@code vmsDir}, whoever started them. */
    static List<ProcessHandle> hypervisorProcesses(Path vmsDir) {
        String marker = vmsDir.toString();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.contains("qemu")).orElse(false))
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains(marker)).orElse(false))
                .toList();
    }

    /** The daemon's own directories with their modes (as Daemon.open makes them), and the runtime dir. */
    private static Layout mkdirs(Layout layout) {
        StateDirs.prepare(layout);
        try {
            Files.createDirectories(layout.runtimeDir());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return layout;
    }

    @Override
    public void close() {
        vms.close(); // a template build in progress undoes itself first
        for (var vm : store.vms().list()) {
            try {
                vms.delete(vm.id(), ctx("vm.delete"));
            } catch (RuntimeException ignored) {
                // Best effort: the leak checks of the test itself report what matters.
            }
        }
        network.close();
        store.close();
    }
}
