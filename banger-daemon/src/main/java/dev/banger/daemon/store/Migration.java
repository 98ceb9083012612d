package dev.banger.daemon.store;

import java.util.List;

/** One forward-only schema step; applied in its own transaction together with its version bump. */
record Migration(int version, String description, List<String> statements) {
}
