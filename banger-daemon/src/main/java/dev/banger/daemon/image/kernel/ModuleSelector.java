package dev.banger.daemon.image.kernel;

import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.kernel.ModulesDep.Module;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 2: picks the modules a microVM needs out of a package's {@code lib/modules/VERSION}
 * (virtio transports, block, net, console, vsock; ext4 and its helpers when they are modules),
 * closes the set over {@code modules.dep}, copies those files under their relative paths and runs
 * {@code depmod} on the copy. The package ships no {@code modules.dep}, so depmod runs on the
 * unpacked package first to learn the dependencies.
 */
final class ModuleSelector {

    private static final Logger log = LoggerFactory.getLogger(ModuleSelector.class);

    /** Without these (modules or built in) the kernel cannot boot a banger VM. */
    static final List<String> REQUIRED = List.of("virtio_ring", "virtio", "virtio_mmio", "virtio_blk", "virtio_net", "ext4");
    /**
     * Everything wanted, in the load order that works (host-facts: virtio_ring before virtio);
     * modules.dep enforces the dependencies, this order breaks the ties.
     */
    static final List<String> WANTED = List.of("virtio_ring", "virtio", "virtio_mmio", "virtio_pci_legacy_dev",
            "virtio_pci_modern_dev", "virtio_pci", "virtio_blk", "failover", "net_failover", "virtio_net",
            "virtio_console", "vsock", "vmw_vsock_virtio_transport_common", "vmw_vsock_virtio_transport",
            "crc16", "mbcache", "jbd2", "crc32c_generic", "ext4");
    /** depmod's inputs besides the modules themselves, copied when the package has them. */
    private static final List<String> DEPMOD_INPUTS = List.of("modules.order", "modules.builtin", "modules.builtin.modinfo");
    private static final Duration DEPMOD_TIMEOUT = Duration.ofMinutes(2);

    /** The chosen modules in load order, and where their copies are ({@code .../modules/VERSION}). */
    record Selection(List<Module> loadOrder, Path dir) {
    }

    private final CommandRunner runner;

    ModuleSelector(CommandRunner runner) {
        this.runner = runner;
    }

    /**
     * @param source the package's {@code lib/modules/VERSION}, or null when it has none
     * @param work   an empty scratch directory
     * @param out    where {@code VERSION/} with the chosen modules and their modules.dep goes
     */
    Selection select(String version, Path source, Path work, Path out) throws IOException {
        Path depmod = HostTools.find("depmod", "kmod");
        ModulesDep all = source == null ? ModulesDep.parse("", null) : indexPackage(depmod, version, source);
        List<String> missing = REQUIRED.stream().filter(m -> !all.isModule(m) && !all.isBuiltin(m)).toList();
        if (!missing.isEmpty()) {
            throw BangerException.badRequest("kernel " + version + " has neither built in nor as modules: "
                    + String.join(", ", missing) + " (a banger VM boots from virtio disks)");
        }
        List<String> absent = WANTED.stream().filter(m -> !all.isModule(m) && !all.isBuiltin(m)).toList();
        if (!absent.isEmpty()) {
            log.info("kernel {}: no {} (optional)", version, String.join(", ", absent));
        }
        List<Module> order = all.loadOrder(WANTED);

        // depmod -b BASE reads BASE/lib/modules/VERSION: build there, then move into place.
        Path base = work.resolve("depmod-base");
        Path copy = base.resolve("lib/modules").resolve(version);
        Files.createDirectories(copy);
        for (Module m : order) {
            Path to = copy.resolve(m.path());
            Files.createDirectories(to.getParent());
            Files.copy(source.resolve(m.path()), to, StandardCopyOption.COPY_ATTRIBUTES);
        }
        for (String f : DEPMOD_INPUTS) {
            if (source != null && Files.isRegularFile(source.resolve(f))) {
                Files.copy(source.resolve(f), copy.resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        if (source != null && Files.isRegularFile(source.resolve("modules.order"))) {
            // Only the chosen modules, so depmod does not warn about the others.
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(copy.resolve("modules.order"))) {
                if (order.stream().anyMatch(m -> m.path().equals(line.strip()) || stripCompression(m.path()).equals(line.strip()))) {
                    kept.add(line.strip());
                }
            }
            Files.write(copy.resolve("modules.order"), kept);
        }
        runner.run(Command.of(depmod.toString(), "-b", base.toString(), version).withTimeout(DEPMOD_TIMEOUT));
        Path dir = out.resolve(version);
        Files.createDirectories(out);
        Files.move(copy, dir, StandardCopyOption.ATOMIC_MOVE);
        return new Selection(order, dir);
    }

    /** Runs depmod on the unpacked package (it ships no modules.dep) and reads the result. */
    private ModulesDep indexPackage(Path depmod, String version, Path source) throws IOException {
        // source is ROOT/lib/modules/VERSION or ROOT/usr/lib/modules/VERSION: depmod wants the part before lib/.
        Path base = source.getParent().getParent().getParent();
        runner.run(Command.of(depmod.toString(), "-b", base.toString(), version).withTimeout(DEPMOD_TIMEOUT));
        Path builtin = source.resolve("modules.builtin");
        return ModulesDep.parse(Files.readString(source.resolve("modules.dep")),
                Files.isRegularFile(builtin) ? Files.readString(builtin) : null);
    }

    static String stripCompression(String path) {
        int ko = path.lastIndexOf(".ko");
        return ko >= 0 ? path.substring(0, ko + 3) : path;
    }
}
