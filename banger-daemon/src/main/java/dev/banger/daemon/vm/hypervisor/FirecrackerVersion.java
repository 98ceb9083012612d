package dev.banger.daemon.vm.hypervisor;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Firecracker release number and the range banger drives. The range is the one place to change
 * when a Firecracker release changes the API banger speaks: every request body the driver sends
 * (logger, metrics, machine-config, boot-source, drives, network-interfaces, vsock, InstanceStart)
 * has had this shape since 1.4 and is checked against the 1.x contract in the tests; a 2.0 may
 * change it. Snapshots need {@link #SNAPSHOTS_SINCE}.
 */
record FirecrackerVersion(int major, int minor, int patch) implements Comparable<FirecrackerVersion> {

    static final FirecrackerVersion MIN_SUPPORTED = new FirecrackerVersion(1, 4, 0);
    /** Exclusive. */
    static final FirecrackerVersion MAX_SUPPORTED = new FirecrackerVersion(2, 0, 0);
    static final String SUPPORTED_RANGE = ">= " + MIN_SUPPORTED + " and < " + MAX_SUPPORTED;
    /**
     * The first release that takes every field banger sends to the snapshot endpoints: 1.12.0 added
     * {@code network_overrides} to {@code PUT /snapshot/load} (Firecracker's CHANGELOG); an older one
     * refuses the field, so its VMs take no snapshots banger could restore.
     */
    static final FirecrackerVersion SNAPSHOTS_SINCE = new FirecrackerVersion(1, 12, 0);

    private static final Pattern NUMBER = Pattern.compile("v?(\\d+)\\.(\\d+)\\.(\\d+)");

    /** The first x.y.z in {@code text} ("1.10.1", "v1.7.0", "Firecracker v1.12.0-dev"), if any. */
    static Optional<FirecrackerVersion> find(String text) {
        Matcher m = NUMBER.matcher(text == null ? "" : text);
        return m.find() ? Optional.of(new FirecrackerVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)))) : Optional.empty();
    }

    boolean supported() {
        return compareTo(MIN_SUPPORTED) >= 0 && compareTo(MAX_SUPPORTED) < 0;
    }

    @Override
    public int compareTo(FirecrackerVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}
