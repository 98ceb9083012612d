package dev.banger.daemon.image.rootfs;

import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.image.layers.Fixup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sets inside a built ext4 what the staging tree could not carry: owners when the daemon is not
 * root, and {@code security.*} xattrs (file capabilities), which Java cannot set on files. One
 * {@code debugfs -w -f SCRIPT} run for all of them; no mount.
 */
public final class DebugfsFixups {

    private DebugfsFixups() {
    }

    public static void apply(CommandRunner runner, Path image, List<Fixup> fixups) {
        Path work = null;
        try {
            work = Files.createTempDirectory(image.getParent(), "fixups-");
            StringBuilder script = new StringBuilder();
            int n = 0;
            for (Fixup f : fixups) {
                String path = Debugfs.quote("/" + f.path());
                if (f.uid() != null) {
                    script.append("set_inode_field ").append(path).append(" uid ").append(f.uid()).append('\n');
                }
                if (f.gid() != null) {
                    script.append("set_inode_field ").append(path).append(" gid ").append(f.gid()).append('\n');
                }
                for (Map.Entry<String, byte[]> x : f.xattrs().entrySet()) {
                    Path value = work.resolve("v" + n++);
                    Files.write(value, x.getValue());
                    script.append("ea_set -f ").append(value).append(' ').append(path).append(' ').append(x.getKey()).append('\n');
                }
            }
            Debugfs.run(runner, image, script.toString(), "setting owners and xattrs", Set.of());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare debugfs fixups: " + e.getMessage(), e);
        } finally {
            if (work != null) {
                FileTrees.deleteQuietly(work);
            }
        }
    }
}
