package dev.banger.daemon.image.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.daemon.image.kernel.ModulesDep.Module;
import java.util.List;
import org.junit.jupiter.api.Test;

/** modules.dep parsing and the insmod order it implies. */
class ModulesDepTest {

    /** Lines as depmod writes them for Debian 12's cloud kernel (6.1), shuffled, plus noise. */
    private static final String DEP = """
            kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko: kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko kernel/net/vmw_vsock/vsock.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/virtio/virtio_ring.ko:
            kernel/drivers/virtio/virtio_pci_modern_dev.ko:
            kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
            kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
            kernel/net/core/failover.ko:
            kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko: kernel/net/vmw_vsock/vsock.ko
            kernel/net/vmw_vsock/vsock.ko:
            kernel/net/vmw_vsock/vsock_diag.ko: kernel/net/vmw_vsock/vsock.ko
            kernel/drivers/gpu/drm/drm.ko:
            """;

    @Test
    void theWantedModulesLoadInTheOrderHostFactsDocuments() {
        ModulesDep dep = ModulesDep.parse(DEP, "kernel/fs/ext4/ext4.ko\nkernel/fs/jbd2/jbd2.ko\n");
        List<String> order = dep.loadOrder(ModuleSelector.WANTED).stream().map(Module::name).toList();
        assertThat(order).containsExactly("virtio_ring", "virtio", "virtio_mmio", "virtio_pci_legacy_dev",
                "virtio_pci_modern_dev", "virtio_pci", "virtio_blk", "failover", "net_failover", "virtio_net",
                "virtio_console", "vsock", "vmw_vsock_virtio_transport_common", "vmw_vsock_virtio_transport");
        assertThat(dep.isBuiltin("ext4")).isTrue();
        assertThat(dep.isModule("ext4")).isFalse();
        assertThat(dep.loadOrder(List.of("virtio_blk"))).extracting(Module::path)
                .containsExactly("kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko",
                        "kernel/drivers/block/virtio_blk.ko");
    }

    @Test
    void dependenciesComeFirstWhateverOrderTheRootsAreGivenIn() {
        ModulesDep dep = ModulesDep.parse(DEP, null);
        List<String> order = dep.loadOrder(List.of("virtio_net", "virtio_ring", "nonexistent")).stream().map(Module::name).toList();
        assertThat(order).containsExactly("virtio_ring", "virtio", "failover", "net_failover", "virtio_net");
    }

    @Test
    void namesDropCompressionAndTurnDashesIntoUnderscores() {
        assertThat(ModulesDep.nameOf("kernel/net/vmw_vsock/vsock-diag.ko.xz")).isEqualTo("vsock_diag");
        assertThat(ModulesDep.nameOf("kernel/drivers/block/virtio_blk.ko.zst")).isEqualTo("virtio_blk");
        ModulesDep dep = ModulesDep.parse("kernel/a/x-y.ko.xz: kernel/a/b-c.ko.xz\nkernel/a/b-c.ko.xz:\n", null);
        assertThat(dep.loadOrder(List.of("x_y"))).extracting(Module::path).containsExactly("kernel/a/b-c.ko.xz", "kernel/a/x-y.ko.xz");
    }

    @Test
    void aCycleIsReportedNotLooped() {
        ModulesDep dep = ModulesDep.parse("a.ko: b.ko\nb.ko: a.ko\n", null);
        assertThatThrownBy(() -> dep.loadOrder(List.of("a"))).hasMessageContaining("dependency cycle");
    }
}
