package dev.banger.daemon.image.kernel;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed {@code modules.dep} (as depmod writes it: {@code kernel/a/b.ko: kernel/c.ko ...}, each
 * line listing every module the first one needs, directly or not), plus the names in
 * {@code modules.builtin}. Answers which modules a set needs and in which order to load them.
 */
final class ModulesDep {

    /** A loadable module: its name (dashes as underscores) and its path under lib/modules/VERSION. */
    record Module(String name, String path) {
    }

    private final Map<String, Module> modules = new LinkedHashMap<>();
    private final Map<String, List<String>> deps = new LinkedHashMap<>();
    private final Set<String> builtin = new HashSet<>();

    static ModulesDep parse(String modulesDep, String modulesBuiltin) {
        ModulesDep d = new ModulesDep();
        for (String line : modulesDep.split("\n")) {
            int colon = line.indexOf(':');
            if (line.isBlank() || colon < 0) {
                continue;
            }
            String path = line.substring(0, colon).strip();
            Module m = new Module(nameOf(path), path);
            List<String> needs = new ArrayList<>();
            for (String dep : line.substring(colon + 1).strip().split("\\s+")) {
                if (!dep.isEmpty()) {
                    needs.add(nameOf(dep));
                }
            }
            d.modules.put(m.name(), m);
            d.deps.put(m.name(), needs);
        }
        if (modulesBuiltin != null) {
            for (String line : modulesBuiltin.split("\n")) {
                if (!line.isBlank()) {
                    d.builtin.add(nameOf(line.strip()));
                }
            }
        }
        return d;
    }

    /** {@code kernel/drivers/net/virtio_net.ko.xz} -> {@code virtio_net}; {@code vsock-diag} -> {@code vsock_diag}. */
    static String nameOf(String path) {
        String f = path.substring(path.lastIndexOf('/') + 1);
        int ko = f.indexOf(".ko");
        return (ko >= 0 ? f.substring(0, ko) : f).replace('-', '_');
    }

    boolean isModule(String name) {
        return modules.containsKey(name);
    }

    boolean isBuiltin(String name) {
        return builtin.contains(name);
    }

    /**
     * The given modules and everything they need, each after all of its dependencies (the order
     * insmod needs: virtio_ring before virtio). Roots keep their given order where the
     * dependencies allow it; names that are not modules are ignored.
     */
    List<Module> loadOrder(Collection<String> roots) {
        LinkedHashSet<String> done = new LinkedHashSet<>();
        for (String root : roots) {
            visit(root, done, new HashSet<>());
        }
        return done.stream().map(modules::get).toList();
    }

    private void visit(String name, Set<String> done, Set<String> path) {
        if (done.contains(name) || !modules.containsKey(name)) {
            return;
        }
        if (!path.add(name)) {
            throw new IllegalStateException("modules.dep has a dependency cycle through " + name);
        }
        // depmod lists the most basic dependencies last: visit them first, so ties keep that order.
        List<String> needs = deps.getOrDefault(name, List.of());
        for (int i = needs.size() - 1; i >= 0; i--) {
            visit(needs.get(i), done, path);
        }
        path.remove(name);
        done.add(name);
    }
}
