package dev.banger.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Version, commit and build time stamped into the jar by the build. */
public record BuildInfo(String version, String commit, String built) {

    private static final BuildInfo CURRENT = load();

    public static BuildInfo current() {
        return CURRENT;
    }

    /** The one-line form used by {@code --version}: {@code banger 0.1.0 (commit abcd1234, built ...)}. */
    public String oneLine(String program) {
        String shortCommit = commit.length() > 12 ? commit.substring(0, 12) : commit;
        return program + " " + version + " (commit " + shortCommit + ", built " + built + ")";
    }

    private static BuildInfo load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new BuildInfo(
                p.getProperty("version", "dev"),
                p.getProperty("commit", "unknown"),
                p.getProperty("built", "unknown"));
    }
}
