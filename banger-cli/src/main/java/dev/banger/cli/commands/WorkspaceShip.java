package dev.banger.cli.commands;

import dev.banger.cli.client.ByteStream;
import dev.banger.cli.client.RpcClient;
import dev.banger.cli.console.ProgressPrinter;
import dev.banger.cli.exec.ProcessLauncher;
import dev.banger.cli.workspace.Shipment;
import dev.banger.cli.workspace.WorkspaceException;
import dev.banger.core.api.NameParams;
import dev.banger.core.api.WorkspaceApi;
import dev.banger.core.api.WorkspaceApi.ManifestInfo;
import dev.banger.core.api.WorkspaceApi.ShipRecord;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Sends a {@link Shipment} into a running VM: in full, or (update) only the files that changed
 * since the last ship, the deletions, and a pack of new objects. The CLI reads every file as the
 * user; bangerd only forwards the tar stream to the guest.
 */
final class WorkspaceShip {

    private WorkspaceShip() {
    }

    /** What a ship did, for the one-line summary. */
    record Result(Map<String, Object> record, int sent, int deleted, boolean full, double seconds, long bytes) {
        String summary(String vm) {
            String what = full ? sent + " files" : sent + " changed, " + deleted + " removed";
            return String.format("shipped %s into %s:%s (%.1f MB) in %.1f s", what, vm, record.get("guest_path"), bytes / 1e6, seconds);
        }
    }

    static Result ship(Invocation inv, String vm, Shipment s, String guestPath, boolean update, boolean force) {
        long t0 = System.nanoTime();
        Shipment.Delta delta = null;
        if (update) {
            delta = delta(inv, vm, s, guestPath, force);
            if (delta != null && delta.empty(s)) {
                Map<String, Object> same = Map.of("guest_path", guestPath == null ? "/root/repo" : guestPath, "head", s.head());
                return new Result(same, 0, 0, false, (System.nanoTime() - t0) / 1e9, 0);
            }
        }
        boolean guestGit = delta == null && guestHasGit(inv, vm);
        ProgressPrinter printer = new ProgressPrinter(inv.terminal());
        try (RpcClient client = RpcClient.connect(inv.root().socket(), RpcClient.LONG_TIMEOUT);
             ByteStream up = client.upload(s.stream(delta, guestGit))) {
            ShipRecord r;
            try {
                r = client.call(WorkspaceApi.PREPARE, new WorkspaceApi.PrepareParams(vm, up.token(), guestPath,
                        delta == null ? "full" : "update", s.head(), s.branch(), s.manifestSha256(), (long) s.files()),
                        inv.root().json() ? RpcClient.ProgressListener.IGNORE : printer);
            } catch (BangerException e) {
                up.close();
                producerFailure(up); // the real cause when the stream was cut short on our side
                throw e;
            }
            producerFailure(up);
            int sent = delta == null ? s.files() : delta.send().size();
            int deleted = delta == null ? 0 : delta.delete().size();
            return new Result(WorkspaceApi.PREPARE.result().write(r), sent, deleted, delta == null, (System.nanoTime() - t0) / 1e9,
                    up.bytes());
        } finally {
            printer.finish();
        }
    }

    /**
     * Whether the guest has git (one ssh as the user): then a full ship sends the files the index
     * describes only inside the compressed pack, and the guest checks them out of it.
     */
    private static boolean guestHasGit(Invocation inv, String vm) {
        List<String> argv = GuestShell.argv(GuestShell.info(inv, vm), List.of("-n", "-T"), "command -v git >/dev/null 2>&1");
        try {
            return ProcessLauncher.run(argv, null, Map.of(), new byte[0], Duration.ofMinutes(1)).exitCode() == 0;
        } catch (IOException e) {
            throw GuestShell.missingSsh(e);
        }
    }

    /** Null (ship in full) when the VM has no usable last ship at this guest path. */
    private static Shipment.Delta delta(Invocation inv, String vm, Shipment s, String guestPath, boolean force) {
        String shipped = GuestShell.info(inv, vm).workspace();
        if (shipped == null || guestPath != null && !guestPath.equals(shipped)) {
            return null; // never prepared, or into another path: a full ship
        }
        ManifestInfo m = inv.call(WorkspaceApi.MANIFEST, new NameParams(vm));
        List<String> changed = m.guestChanged() == null ? List.of() : m.guestChanged();
        boolean headMoved = m.headMoved();
        if ((!changed.isEmpty() || headMoved) && !force) {
            String which = changed.isEmpty() ? "" : ": " + String.join(", ", changed.subList(0, Math.min(5, changed.size())))
                    + (changed.size() > 5 ? ", ..." : "");
            throw new BangerException(ErrorCode.BAD_REQUEST, "the guest changed " + changed.size() + " file(s)"
                    + (headMoved ? " and committed" : "") + " since the last ship" + which
                    + "; keep them with `banger vm workspace export " + vm + "`, or prepare with --force to overwrite them");
        }
        return s.against(String.valueOf(m.manifest()), changed);
    }

    /** Throws what stopped the producer of the tar (a file that changed or could not be read), if that is what happened. */
    /** Said once per ship when the guest has no git: the files are there, export is not possible. */
    static void noGitHint(Invocation inv, Result r) {
        if (Boolean.FALSE.equals(r.record().get("git"))) {
            inv.terminal().hint("the guest has no git: the files were shipped without history, and"
                    + " `banger vm workspace export` needs git in the guest (the built-in debian-bookworm image has it)");
        }
    }

    private static void producerFailure(ByteStream up) {
        try {
            up.await();
        } catch (IOException e) {
            if (e.getCause() instanceof WorkspaceException w) {
                throw w;
            }
            if (e.getCause() != null) {
                throw new WorkspaceException("reading the work tree failed: " + e.getMessage());
            }
        }
    }
}
