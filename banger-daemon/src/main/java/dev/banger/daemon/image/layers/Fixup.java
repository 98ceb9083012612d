package dev.banger.daemon.image.layers;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the staging directory cannot carry and must be set later inside the ext4 (debugfs).
 *
 * @param path   relative to the image root, '/'-separated, never starting with '/' or "./";
 *               "." is the root itself. Names come from the image: quote them for any tool.
 * @param uid    the owner to set, or null to leave it (both null when the flattener applied
 *               ownership itself, or the entry's owner is the daemon's own)
 * @param gid    the group to set, or null (null exactly when {@code uid} is)
 * @param xattrs extended attributes from the layer's PAX headers (e.g. {@code security.capability}),
 *               name to raw value, sorted by name; empty when there are none
 */
public record Fixup(String path, Integer uid, Integer gid, Map<String, byte[]> xattrs) {

    public Fixup {
        xattrs = Collections.unmodifiableMap(new TreeMap<>(xattrs));
    }

    Fixup at(String otherPath) {
        return new Fixup(otherPath, uid, gid, xattrs);
    }
}
