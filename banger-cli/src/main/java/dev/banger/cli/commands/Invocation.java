package dev.banger.cli.commands;

import dev.banger.cli.client.RpcClient;
import dev.banger.cli.console.ProgressPrinter;
import dev.banger.cli.console.Terminal;
import dev.banger.core.api.NameParams;
import dev.banger.core.api.RpcMethod;
import dev.banger.core.rpc.Json;
import java.util.function.BiConsumer;
import picocli.CommandLine.Model.CommandSpec;

/** What every subcommand needs from the root: the socket, --json, the terminal. */
record Invocation(RootCommand root) {

    static Invocation of(CommandSpec spec) {
        return new Invocation((RootCommand) spec.root().userObject());
    }

    Terminal terminal() {
        return root.terminal();
    }

    /** One request on a fresh connection. */
    <P, R> R call(RpcMethod<P, R> method, P params) {
        try (RpcClient client = RpcClient.connect(root.socket())) {
            return client.call(method, params);
        }
    }

    /** A long request: progress goes to stderr (a live line on a terminal) until the answer arrives. */
    <P, R> R callWithProgress(RpcMethod<P, R> method, P params) {
        ProgressPrinter printer = new ProgressPrinter(terminal());
        try (RpcClient client = RpcClient.connect(root.socket(), RpcClient.LONG_TIMEOUT)) {
            return client.call(method, params, root.json() ? RpcClient.ProgressListener.IGNORE : printer);
        } finally {
            printer.finish();
        }
    }

    /** A long request whose progress nobody watches, e.g. one of several VM boots at once. */
    <P, R> R callQuietly(RpcMethod<P, R> method, P params) {
        try (RpcClient client = RpcClient.connect(root.socket(), RpcClient.LONG_TIMEOUT)) {
            return client.call(method, params);
        }
    }

    /** The common shape of show/delete/promote/pull: one name to one method, the answer rendered. */
    <R> int callOnName(RpcMethod<NameParams, R> method, String name, boolean longRunning, BiConsumer<Invocation, R> human) {
        NameParams params = new NameParams(name);
        R r = longRunning ? callWithProgress(method, params) : call(method, params);
        render(method, r, () -> human.accept(this, r));
        return 0;
    }

    /** Prints the result as the daemon sent it under --json, else runs the human rendering. */
    <R> void render(RpcMethod<?, R> method, R result, Runnable human) {
        render(method.result().write(result), human);
    }

    /** Prints the JSON result under --json (a command's own object), else runs the human rendering. */
    void render(Object result, Runnable human) {
        if (root.json()) {
            terminal().println(Json.writePretty(result));
        } else {
            human.run();
        }
    }

    /** 3723000 ms as "1h2m3s"; short and unambiguous for uptimes. */
    static String duration(long millis) {
        long s = millis / 1000;
        if (s < 60) return s + "s";
        if (s < 3600) return (s / 60) + "m" + (s % 60) + "s";
        return (s / 3600) + "h" + (s % 3600 / 60) + "m";
    }
}
