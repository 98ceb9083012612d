package dev.banger.cli.commands;

import dev.banger.cli.client.ByteStream;
import dev.banger.cli.client.RpcClient;
import dev.banger.core.api.WorkspaceApi;
import dev.banger.core.api.WorkspaceApi.ExportInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "export", description = {"Print the guest's changes since the last ship as a binary git patch.",
        "It has new, modified, deleted and renamed files and mode changes: banger vm workspace export VM | git apply",
        "Needs git in the guest. Never stages anything in the guest. Nothing but the patch goes to stdout;",
        "no changes: an empty patch, exit 0."})
public final class VmWorkspaceExportCommand implements Callable<Integer>, PrintsNoData {

    private final Invocation inv;

    @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
    String vm;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the patch to FILE (whole or not at all) instead of stdout.")
    Path output;

    VmWorkspaceExportCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() throws IOException {
        if (output == null) {
            OutputStream stdout = new FileOutputStream(FileDescriptor.out);
            long bytes = export(stdout);
            stdout.flush();
            inv.terminal().hint("exported " + bytes + " bytes of patch from " + vm);
            return 0;
        }
        Path dir = output.toAbsolutePath().getParent();
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, "." + output.getFileName() + ".", ".part");
        } catch (IOException e) {
            throw new BangerException(ErrorCode.BAD_REQUEST, "cannot write " + output + " (" + e.getMessage() + "): choose a file you can write");
        }
        try {
            long bytes;
            try (OutputStream out = Files.newOutputStream(tmp)) {
                bytes = export(out);
            }
            Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            inv.terminal().hint("exported " + bytes + " bytes of patch from " + vm + " to " + output);
            return 0;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private long export(OutputStream sink) {
        try (RpcClient client = RpcClient.connect(inv.root().socket(), RpcClient.LONG_TIMEOUT);
             ByteStream down = client.download(sink)) {
            ExportInfo r = client.call(WorkspaceApi.EXPORT, new WorkspaceApi.ExportParams(vm, down.token()));
            try {
                down.await();
            } catch (IOException e) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "the patch from " + vm + " was cut short: " + e.getMessage());
            }
            return r.bytes();
        }
    }
}
