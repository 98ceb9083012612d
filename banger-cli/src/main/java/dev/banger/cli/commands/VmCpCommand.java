package dev.banger.cli.commands;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "cp", description = {"Copy files or directories between the host and a running VM (one side is VM:PATH).",
        "  banger vm cp ./notes.txt dev:/root/        banger vm cp dev:/root/repo/out ./out",
        "  tar -c dir | banger vm cp - dev:/srv       banger vm cp dev:/var/log - | tar -t",
        "Modes are kept; an existing directory receives the copy under its own name; directories merge.",
        "Host files are read and written by you, as you."})
public final class VmCpCommand implements Callable<Integer>, PrintsNoData {

    private static final Pattern VM_SIDE = Pattern.compile("([a-z0-9][a-z0-9-]*):(.*)");

    private final Invocation inv;

    @Spec
    CommandSpec commandSpec;

    @Parameters(index = "0", paramLabel = "SRC", description = "A host path, - (a tar stream on stdin), or VM:PATH.")
    String src;

    @Parameters(index = "1", paramLabel = "DST", description = "A host path, - (a tar stream on stdout), or VM:PATH.")
    String dst;

    VmCpCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        var from = VM_SIDE.matcher(src);
        var to = VM_SIDE.matcher(dst);
        boolean fromVm = from.matches() && !src.startsWith("/") && !src.startsWith(".");
        boolean toVm = to.matches() && !dst.startsWith("/") && !dst.startsWith(".");
        if (fromVm == toVm) {
            throw new picocli.CommandLine.ParameterException(commandSpec.commandLine(),
                    "exactly one of SRC and DST must be VM:PATH (got " + src + " and " + dst + ")");
        }
        if (toVm) {
            String guestPath = to.group(2).isEmpty() ? "/root" : to.group(2);
            if (src.equals("-")) {
                return GuestCopy.tarToGuest(inv, to.group(1), guestPath);
            }
            GuestCopy.toGuest(inv, to.group(1), Path.of(src), guestPath);
            return 0;
        }
        if (dst.equals("-")) {
            return GuestCopy.tarFromGuest(inv, from.group(1), from.group(2));
        }
        GuestCopy.fromGuest(inv, from.group(1), from.group(2), Path.of(dst));
        return 0;
    }
}
