package dev.banger.cli.doctor;

import dev.banger.core.BuildInfo;
import dev.banger.core.InstallRecord;
import dev.banger.core.model.DoctorCheck;
import dev.banger.core.model.VersionInfo;
import dev.banger.core.rpc.Protocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The rows of {@code banger doctor} that only the user's side can tell: is the daemon reachable,
 * do the CLI, the daemon and the install record agree, is this user in group banger, is banger's
 * ssh_config included. Plain file reads: the CLI starts no tool for them.
 */
public final class ClientChecks {

    /** The markers {@code banger ssh-config --install} fences its Include with in ~/.ssh/config. */
    public static final String SSH_MARKER_BEGIN = "# >>> banger >>>";
    public static final String SSH_MARKER_END = "# <<< banger <<<";
    static final String GROUP = "banger";

    private ClientChecks() {
    }

    /** {@code daemonVersion} is the {@code version} answer, or null with {@code unreachable} saying why. */
    public static DoctorCheck daemon(Path socket, VersionInfo daemonVersion, String unreachable) {
        if (daemonVersion == null) {
            return DoctorCheck.fail("daemon", List.of("bangerd on " + socket + ": " + unreachable,
                            "the host rows below ran in this process, as " + System.getProperty("user.name")),
                    "sudo systemctl start bangerd (system install), else `banger daemon start`");
        }
        return DoctorCheck.pass("daemon", "bangerd " + daemonVersion.version() + " answers on " + socket);
    }

    /** CLI, daemon and install record: a different protocol is a FAIL, a different build a WARN (except dev builds). */
    public static DoctorCheck versions(VersionInfo daemonVersion, Optional<InstallRecord> installed) {
        BuildInfo cli = BuildInfo.current();
        List<String> found = new ArrayList<>();
        found.add("banger (CLI) " + cli.version() + " (commit " + shortCommit(cli.commit()) + ", protocol " + Protocol.VERSION + ")");
        String status = DoctorCheck.PASS;
        List<String> fix = new ArrayList<>();
        if (daemonVersion != null) {
            found.add("bangerd " + daemonVersion.version() + " (commit " + shortCommit(String.valueOf(daemonVersion.commit()))
                    + ", protocol " + daemonVersion.protocol() + ")");
            if (Protocol.VERSION != daemonVersion.protocol()) {
                status = DoctorCheck.FAIL;
                fix.add("run the CLI and the daemon of one build: sudo banger system install, then sudo banger system restart");
            } else if (!cli.commit().equals(daemonVersion.commit()) && !cli.version().equals("dev")) {
                status = DoctorCheck.WARN;
                fix.add("restart bangerd so it runs this build: sudo banger system restart (or banger daemon stop && banger daemon start)");
            }
        }
        if (installed.isPresent()) {
            InstallRecord r = installed.get();
            found.add("install record " + InstallRecord.PATH + ": " + r.version() + " (commit " + shortCommit(r.commit()) + ")");
            if (!r.commit().equals(cli.commit()) && !cli.version().equals("dev") && status.equals(DoctorCheck.PASS)) {
                status = DoctorCheck.WARN;
                fix.add("this CLI is not the installed build: use " + r.prefix().resolve("bin/banger") + ", or install this build (sudo banger system install)");
            }
        } else {
            found.add("install record: none (no system install)");
        }
        return new DoctorCheck("banger version", status, found, fix);
    }

    /**
     * Group {@code banger} grants the socket. Read from {@code groupFile} (/etc/group) and this
     * process's groups ({@code /proc/self/status}), so "added, but not logged in again" shows.
     */
    public static DoctorCheck group(String user, long uid, Path groupFile, Path procStatus) throws IOException {
        if (uid == 0) {
            return DoctorCheck.pass("group banger", "root: needs no group");
        }
        Optional<String[]> entry = Files.readAllLines(groupFile).stream().map(l -> l.split(":", -1))
                .filter(f -> f.length >= 4 && f[0].equals(GROUP)).findFirst();
        if (entry.isEmpty()) {
            return DoctorCheck.fail("group banger", List.of("there is no group banger on this host"),
                    "sudo banger system install --owner " + user + " (creates it), or: sudo groupadd --system banger && sudo usermod -aG banger " + user);
        }
        String gid = entry.get()[2];
        boolean listed = Arrays.asList(entry.get()[3].split(",")).contains(user);
        boolean inProcess = Files.readAllLines(procStatus).stream().filter(l -> l.startsWith("Groups:") || l.startsWith("Gid:"))
                .flatMap(l -> Arrays.stream(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))).anyMatch(gid::equals);
        if (inProcess) {
            return DoctorCheck.pass("group banger", user + " is a member (gid " + gid + ")");
        }
        if (listed) {
            return DoctorCheck.warn("group banger", List.of(user + " was added to banger (gid " + gid + ") after this session began"),
                    "log out and in again (or run `newgrp banger`)");
        }
        return DoctorCheck.fail("group banger", List.of(user + " is not in group banger, so bangerd refuses " + user),
                "sudo usermod -aG banger " + user + ", then log out and in again");
    }

    /** Whether ~/.ssh/config includes banger's ssh_config (between the markers), so `ssh NAME.vm` works. */
    public static DoctorCheck sshConfig(Path home) throws IOException {
        Path userConfig = home.resolve(".ssh/config");
        Path bangerConfig = home.resolve(".config/banger/ssh_config");
        boolean included = Files.isReadable(userConfig) && Files.readAllLines(userConfig).stream().anyMatch(l -> l.strip().equals(SSH_MARKER_BEGIN));
        if (included) {
            return DoctorCheck.pass("ssh-config", userConfig + " includes banger's ssh_config");
        }
        if (Files.exists(bangerConfig)) {
            return DoctorCheck.warn("ssh-config", List.of(bangerConfig + " exists but " + userConfig + " does not include it, so `ssh NAME.vm` does not work"),
                    "banger ssh-config --install");
        }
        return DoctorCheck.pass("ssh-config", "not included in " + userConfig + " (optional: `banger ssh-config --install` lets `ssh NAME.vm` work)");
    }

    private static String shortCommit(String commit) {
        return commit.length() > 12 ? commit.substring(0, 12) : commit;
    }
}
