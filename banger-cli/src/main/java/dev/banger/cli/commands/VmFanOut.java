package dev.banger.cli.commands;

import dev.banger.cli.Banger;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Parameters;

/**
 * The shape of start/stop/restart/kill/delete: several VM refs, resolved from one {@code vm list}
 * snapshot and deduplicated, acted on concurrently, results printed in the order given. One VM
 * gets live progress; several get one line each.
 */
abstract class VmFanOut implements Callable<Integer> {

    private final Invocation inv;
    private final String method;
    private final String done;

    @Parameters(paramLabel = "VM", arity = "1..*", description = "VM names or ids.")
    List<String> refs;

    VmFanOut(Banger root, String method, String done) {
        this.inv = new Invocation(root);
        this.method = method;
        this.done = done;
    }

    @Override
    public Integer call() throws Exception {
        Map<String, String> byId = resolve();
        if (byId.size() == 1) {
            Map<String, Object> vm = inv.callWithProgress(method, Map.of("name", byId.keySet().iterator().next()));
            inv.render(vm, () -> inv.terminal().println(done + " " + vm.get("name") + line(vm)));
            return 0;
        }
        List<Future<Map<String, Object>>> results = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String id : byId.keySet()) {
                results.add(pool.submit(() -> inv.call(method, Map.of("name", id))));
            }
        }
        int failed = 0;
        List<Object> json = new ArrayList<>();
        int i = 0;
        for (String name : byId.values()) {
            try {
                Map<String, Object> vm = results.get(i++).get();
                json.add(vm);
                if (!inv.root().json()) {
                    inv.terminal().println(done + " " + name + line(vm));
                }
            } catch (ExecutionException e) {
                failed++;
                String message = e.getCause() instanceof BangerException be ? be.getMessage() : String.valueOf(e.getCause());
                json.add(Map.of("name", name, "error", message));
                if (!inv.root().json()) {
                    inv.terminal().error(name + ": " + message, e.getCause() instanceof BangerException be ? be.opId() : null);
                }
            }
        }
        if (inv.root().json()) {
            inv.terminal().println(dev.banger.core.rpc.Json.writePretty(Map.of("results", json)));
        }
        return failed == 0 ? 0 : Banger.EXIT_FAILED;
    }

    /** Ids of the refs in first-seen order, with the name each was given as. */
    private Map<String, String> resolve() {
        List<Map<String, Object>> vms = Invocation.asList(inv.call(dev.banger.core.rpc.Methods.VM_LIST, null).get("vms"));
        Map<String, String> out = new LinkedHashMap<>();
        for (String ref : refs) {
            Map<String, Object> vm = vms.stream().filter(v -> ref.equals(v.get("name"))).findFirst()
                    .or(() -> {
                        List<Map<String, Object>> byId = vms.stream().filter(v -> String.valueOf(v.get("id")).startsWith(ref)).toList();
                        return byId.size() == 1 ? java.util.Optional.of(byId.getFirst()) : java.util.Optional.empty();
                    })
                    .orElseThrow(() -> new BangerException(ErrorCode.NOT_FOUND, "VM '" + ref + "' not found"));
            out.putIfAbsent((String) vm.get("id"), (String) vm.get("name"));
        }
        return out;
    }

    private static String line(Map<String, Object> vm) {
        return vm.get("state") == null ? "" : " (" + vm.get("state") + ")";
    }
}
