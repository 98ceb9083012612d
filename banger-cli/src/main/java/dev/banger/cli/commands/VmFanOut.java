package dev.banger.cli.commands;

import dev.banger.core.api.NameParams;
import dev.banger.core.api.NoParams;
import dev.banger.core.api.RpcMethod;
import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.core.rpc.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Parameters;

/**
 * The shape of start/stop/restart/kill/delete/ports: several VM refs, resolved from one {@code vm list}
 * snapshot and deduplicated, acted on concurrently, results printed in the order given. A ref
 * that names no VM is reported in its place and fails the command (exit 1), but does not keep
 * the others from being acted on. One VM gets live progress; several get one line each.
 */
abstract class VmFanOut<P, R> implements Callable<Integer> {

    final Invocation inv;
    private final RpcMethod<P, R> method;
    private final String done;

    @Parameters(paramLabel = "VM", arity = "1..*", description = "VM names or ids.")
    List<String> refs;

    VmFanOut(RootCommand root, RpcMethod<P, R> method, String done) {
        this.inv = new Invocation(root);
        this.method = method;
        this.done = done;
    }

    /** The request for one VM, by id. */
    abstract P params(String id);

    /** The commands whose request is the VM's id alone. */
    abstract static class ByName<R> extends VmFanOut<NameParams, R> {

        ByName(RootCommand root, RpcMethod<NameParams, R> method, String done) {
            super(root, method, done);
        }

        @Override
        final NameParams params(String id) {
            return new NameParams(id);
        }
    }

    /** One ref as the snapshot resolved it: the VM's id and name, or why there is none. */
    private record Target(String name, String id, BangerException missing) {
    }

    /**
     * Why this command must not act on {@code vm} as written (a usage error), or null. Asked of
     * every VM before any is acted on, so a refused command line changes nothing.
     */
    String refusal(VmInfo vm) {
        return null;
    }

    @Override
    public Integer call() {
        List<Target> targets = resolve();
        if (targets.size() == 1 && targets.getFirst().missing() == null) {
            R vm = inv.callWithProgress(method, params(targets.getFirst().id()));
            inv.render(method, vm, () -> {
                printResult(targets.getFirst().name(), vm);
                printed();
            });
            return 0;
        }
        Map<String, Future<R>> results = new LinkedHashMap<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Target t : targets) {
                if (t.missing() == null) {
                    results.put(t.id(), pool.submit(() -> inv.callQuietly(method, params(t.id()))));
                }
            }
        }
        int failed = 0;
        List<Object> json = new ArrayList<>();
        for (Target t : targets) {
            try {
                R vm = outcomeOf(t, results);
                json.add(method.result().write(vm));
                if (!inv.root().json()) {
                    printResult(t.name(), vm);
                }
            } catch (BangerException e) {
                failed++;
                json.add(Map.of("name", t.name(), "error", e.getMessage()));
                if (!inv.root().json()) {
                    // A daemon failure may not say which VM it is about; "not found" already does.
                    inv.terminal().error(t.missing() != null ? e.getMessage() : t.name() + ": " + e.getMessage(), e.opId());
                }
            }
        }
        if (inv.root().json()) {
            inv.terminal().println(Json.writePretty(Map.of("results", json)));
        } else {
            printed();
        }
        return failed == 0 ? 0 : RootCommand.EXIT_FAILED;
    }

    /** The human output for one VM's result: "started NAME (running)" and the like. */
    void printResult(String name, R result) {
        inv.terminal().println(done + " " + name + outcome(result));
    }

    /** Called once every result was printed, for output that spans them all. */
    void printed() {
    }

    /** What follows "started NAME" and the like: the state the VM is in now. */
    String outcome(R result) {
        return result instanceof VmInfo vm ? " (" + vm.state() + ")" : "";
    }

    private static <R> R outcomeOf(Target t, Map<String, Future<R>> results) {
        if (t.missing() != null) {
            throw t.missing();
        }
        try {
            return results.get(t.id()).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof BangerException be ? be
                    : new BangerException(ErrorCode.OPERATION_FAILED, String.valueOf(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "interrupted");
        }
    }

    /** The refs in the order given, each VM once (a name and its id are the same VM). */
    private List<Target> resolve() {
        List<VmInfo> vms = inv.call(VmApi.LIST, VmApi.ListParams.USERS).vms();
        Map<String, Target> out = new LinkedHashMap<>();
        for (String ref : refs) {
            Optional<VmInfo> vm = vms.stream().filter(v -> ref.equals(v.name())).findFirst()
                    .or(() -> {
                        List<VmInfo> byId = vms.stream().filter(v -> v.id().startsWith(ref)).toList();
                        return byId.size() == 1 ? Optional.of(byId.getFirst()) : Optional.empty();
                    });
            String refused = vm.map(this::refusal).orElse(null);
            if (refused != null) {
                throw new UsageException(refused);
            }
            Target t = vm.map(v -> new Target(v.name(), v.id(), null))
                    .orElseGet(() -> new Target(ref, null, new BangerException(ErrorCode.NOT_FOUND, "VM '" + ref + "' not found")));
            out.putIfAbsent(t.id() != null ? t.id() : "\0" + ref, t);
        }
        return List.copyOf(out.values());
    }
}
