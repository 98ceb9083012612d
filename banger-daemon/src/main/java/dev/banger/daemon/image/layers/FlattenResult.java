package dev.banger.daemon.image.layers;

import java.util.List;

/**
 * What the staging directory holds once every layer is applied; the counts describe the final tree
 * (entries that later layers deleted are not in them), for sizing the ext4.
 *
 * @param files          regular files, counted once per inode
 * @param directories    directories, the root not included
 * @param symlinks       symbolic links
 * @param hardlinks      names beyond the first of a regular file's inode
 * @param skippedSpecial device nodes and fifos met in any layer, never created
 * @param contentBytes   total size of the regular files, each inode once
 * @param inodes         files + directories + symlinks (the root not included)
 * @param fixups         what must be set later inside the ext4, sorted by path
 */
public record FlattenResult(long files, long directories, long symlinks, long hardlinks, long skippedSpecial,
                            long contentBytes, long inodes, List<Fixup> fixups) {

    public FlattenResult {
        fixups = List.copyOf(fixups);
    }
}
