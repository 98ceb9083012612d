package dev.banger.daemon.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.InstallRecord;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** system install into a scratch root: every file, its mode, install.toml, the group, the unit verified by systemd-analyze. */
class SystemInstallerTest {

    private static final CommandRunner RUNNER = new CommandRunner();
    private static final Path PREFIX = Path.of("/usr/local");

    @TempDir
    Path tmp;
    Path root;
    Path build;
    final List<String> said = new ArrayList<>();
    SystemInstaller installer;
    SystemInstaller.Target target;

    @BeforeEach
    void scratchRootAndBuild() throws Exception {
        root = Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nalice:x:1500:1600::/home/alice:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\nalice:x:1600:\n");
        build = tmp.resolve("build");
        executable(build.resolve("bin/banger"), "#!/bin/sh\necho banger\n");
        executable(build.resolve("bin/bangerd"), "#!/bin/sh\necho bangerd\n");
        Files.createDirectories(build.resolve("lib/cli"));
        Files.writeString(build.resolve("lib/cli/banger-cli.jar"), "jar");
        Files.writeString(build.resolve("lib/find-java.sh"), "find_java() { :; }\n");
        Files.createDirectories(build.resolve("completion"));
        Files.writeString(build.resolve("completion/banger.bash"), "complete");
        installer = new SystemInstaller(RUNNER, new Systemd(RUNNER, tmp.resolve("not-systemd")), said::add,
                Clock.fixed(Instant.parse("2026-11-27T10:00:00Z"), ZoneOffset.UTC));
        target = new SystemInstaller.Target(root, PREFIX);
    }

    private static void executable(Path p, String text) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxrwxr-x"));
    }

    private InstallRecord install() throws Exception {
        return installer.install(build, target, "alice", null, Config.defaults(), true);
    }

    @Test
    void installWritesEveryFileWithItsModeTheRecordAndTheGroup() throws Exception {
        InstallRecord rec = install();

        Path tree = root.resolve("usr/local/lib/banger");
        assertThat(mode(tree.resolve("bin/bangerd"))).isEqualTo("rwxr-xr-x"); // group write dropped
        assertThat(mode(tree.resolve("lib/cli/banger-cli.jar"))).isEqualTo("rw-r--r--");
        assertThat(tree.resolve("completion/banger.bash")).hasContent("complete");
        assertThat(Files.readSymbolicLink(root.resolve("usr/local/bin/banger"))).isEqualTo(Path.of("../lib/banger/bin/banger"));
        assertThat(Files.readSymbolicLink(root.resolve("usr/local/bin/bangerd"))).isEqualTo(Path.of("../lib/banger/bin/bangerd"));
        assertThat(root.resolve("usr/local/bin/bangerd")).hasContent("#!/bin/sh\necho bangerd");
        assertThat(root.resolve("var/lib/banger")).isDirectory();
        assertThat(root.resolve("var/cache/banger")).isDirectory();

        Path unit = root.resolve("etc/systemd/system/bangerd.service");
        assertThat(mode(unit)).isEqualTo("rw-r--r--");
        Map<String, String> s = UnitFile.serviceSettings(Files.readString(unit));
        assertThat(s).containsEntry("Type", "notify").containsEntry("KillMode", "process").containsEntry("TasksMax", "infinity")
                .containsEntry("RuntimeDirectory", "banger").containsEntry("RuntimeDirectoryPreserve", "yes")
                .containsEntry("ExecStart", "/usr/local/lib/banger/bin/bangerd")
                .containsEntry("ReadWritePaths", "/var/lib/banger /var/cache/banger /run/banger")
                .containsAllEntriesOf(UnitFile.HARDENING).doesNotContainKey("RestrictSUIDSGID")
                .containsEntry("UMask", "0077").containsEntry("DevicePolicy", "closed").containsEntry("ProtectKernelModules", "yes")
                .containsEntry("ProtectKernelLogs", "yes").containsEntry("ProtectControlGroups", "yes")
                .containsEntry("RestrictNamespaces", "mnt").containsEntry("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6 AF_NETLINK")
                .containsEntry("SystemCallArchitectures", "native");
        assertThat(s.get("CapabilityBoundingSet").split(" ")).contains("CAP_NET_ADMIN", "CAP_SYS_CHROOT", "CAP_SETUID", "CAP_KILL")
                .doesNotContain("CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO", "CAP_SYS_BOOT", "CAP_BPF", "CAP_SYS_TIME");
        assertThat(Files.readAllLines(unit)).as("systemd takes DeviceAllow many times")
                .contains("DeviceAllow=/dev/kvm rw", "DeviceAllow=/dev/net/tun rw");

        Path toml = root.resolve("etc/banger/install.toml");
        assertThat(mode(toml)).isEqualTo("rw-r--r--");
        InstallRecord read = InstallRecord.read(root).orElseThrow();
        assertThat(read).isEqualTo(rec);
        assertThat(read.owner()).isEqualTo("alice");
        assertThat(read.uid()).isEqualTo(1500);
        assertThat(read.gid()).isEqualTo(1600);
        assertThat(read.installedAt()).isEqualTo("2026-11-27T10:00:00Z");
        assertThat(read.version()).isEqualTo(dev.banger.core.BuildInfo.current().version());
        assertThat(read.files()).contains(Path.of("/usr/local/lib/banger"), Path.of("/usr/local/bin/banger"), Path.of("/usr/local/bin/bangerd"),
                Path.of("/etc/systemd/system/bangerd.service"), Path.of("/etc/banger/install.toml"), Path.of("/etc/banger"));

        assertThat(Files.readAllLines(root.resolve("etc/group"))).anySatisfy(l -> assertThat(l).matches("banger:x:\\d+:alice"));
        assertThat(Files.readAllLines(root.resolve("etc/passwd"))).as("the VMM user: a system account, no login, no home")
                .anySatisfy(l -> assertThat(l).matches("banger-vmm:[^:]*:\\d{1,3}:\\d+:[^:]*:/nonexistent:/usr/sbin/nologin"));
        assertThat(read.createdVmmUser()).isEqualTo("banger-vmm");
    }

    @Test
    void systemdAnalyzeSecurityRatesTheUnitAtMostMedium() throws Exception {
        install();
        CommandResult r = RUNNER.run(Command.of("systemd-analyze", "security", "--offline=yes", "--no-pager",
                root.resolve("etc/systemd/system/bangerd.service").toString()));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Overall exposure level for bangerd.service: (\\d+\\.\\d)")
                .matcher(r.stdout());
        assertThat(m.find()).as(r.stdout()).isTrue();
        // 8.9 (EXPOSED) before the capability, device, kernel, namespace and address family settings; docs/privileges.md.
        assertThat(Double.parseDouble(m.group(1))).isLessThanOrEqualTo(5.5);
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void systemdAnalyzeVerifiesTheUnit() throws Exception {
        install();
        // verify resolves the unit's dependencies (sysinit.target, ...) under --root: give it the host's units.
        RUNNER.run("cp", "-a", "/usr/lib/systemd/system", Files.createDirectories(root.resolve("usr/lib/systemd")).toString());
        CommandResult ok = verify();
        assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        assertThat(ok.stdout() + ok.stderr()).isEmpty();

        // The tool is really checking: a bad key is reported.
        Path unit = root.resolve("etc/systemd/system/bangerd.service");
        Files.writeString(unit, Files.readString(unit).replace("KillMode=process", "KillMode=process\nKillModus=process"));
        assertThat(verify().stderr()).contains("Unknown key 'KillModus'");
    }

    private CommandResult verify() {
        return RUNNER.runAllowingFailure(Command.of("systemd-analyze", "verify", "--root=" + root, "/etc/systemd/system/bangerd.service"));
    }

    @Test
    void uninstallRemovesExactlyWhatInstallWroteAndPurgeAlsoTheState() throws Exception {
        List<Path> before = listing(root, true);
        install();
        Files.writeString(root.resolve("var/lib/banger/banger.db"), "state");
        installer.uninstall(target, Layout.of(Config.defaults()), true);
        assertThat(listing(root, true)).isEqualTo(before);
        assertThat(Files.readString(root.resolve("etc/group"))).contains("banger:x:"); // the group stays
        assertThat(Files.readString(root.resolve("etc/passwd"))).as("purge removes the VMM user install made").doesNotContain("banger-vmm");
        assertThat(Files.readString(root.resolve("etc/group"))).doesNotContain("banger-vmm");

        // A VMM user that was there before the install is not the install's to remove.
        Files.writeString(root.resolve("etc/passwd"), "banger-vmm:x:990:990::/nonexistent:/usr/sbin/nologin\n", StandardOpenOption.APPEND);
        install();
        assertThat(InstallRecord.read(root).orElseThrow().createdVmmUser()).isNull();
        installer.uninstall(target, Layout.of(Config.defaults()), true);
        assertThat(Files.readString(root.resolve("etc/passwd"))).contains("banger-vmm:x:990:990:");

        install();
        Files.writeString(root.resolve("var/lib/banger/banger.db"), "state");
        installer.uninstall(target, Layout.of(Config.defaults()), false);
        assertThat(root.resolve("var/lib/banger/banger.db")).hasContent("state"); // state kept without --purge
        assertThat(root.resolve("usr")).doesNotExist();
        assertThat(root.resolve("etc/banger")).doesNotExist();
        assertThat(root.resolve("etc/systemd")).doesNotExist();
    }

    @Test
    void aFailedInstallLeavesNothingBehind() throws Exception {
        List<Path> before = listing(root, true);
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/systemd"), "a file where the unit's directory must go");
        assertThatThrownBy(this::install).isInstanceOf(BangerException.class).hasMessageContaining("nothing was left behind");
        Files.delete(root.resolve("etc/systemd"));
        assertThat(listing(root, true)).isEqualTo(before);
    }

    @Test
    void aReinstallReplacesTheTreeAndKeepsTheRecordOfEverything() throws Exception {
        install();
        Files.writeString(build.resolve("lib/cli/banger-cli.jar"), "jar v2");
        InstallRecord again = install();
        assertThat(root.resolve("usr/local/lib/banger/lib/cli/banger-cli.jar")).hasContent("jar v2");
        assertThat(root.resolve("usr/local/lib/banger.previous")).doesNotExist();
        assertThat(again.files()).contains(Path.of("/etc/banger"), Path.of("/usr/local/lib/banger"));
    }

    @Test
    void badInputsAreRefusedBeforeAnythingIsWritten() throws Exception {
        List<Path> before = listing(root, false);
        assertThatThrownBy(() -> installer.install(build, target, "nobody-here", null, Config.defaults(), true))
                .hasMessageContaining("no user 'nobody-here'");
        assertThatThrownBy(() -> installer.install(build, target, null, null, Config.defaults(), true))
                .hasMessageContaining("--owner USER");
        assertThatThrownBy(() -> installer.install(tmp.resolve("nope"), target, "alice", null, Config.defaults(), true))
                .hasMessageContaining("is not a banger build");
        assertThat(listing(root, false)).isEqualTo(before);
    }

    @Test
    void withoutSystemdRestartAndStatusSaySoAndPointToDaemonStart() throws Exception {
        install();
        assertThatThrownBy(() -> installer.restart(target, tmp.resolve("no.sock")))
                .hasMessageContaining("PID 1 is not systemd").hasMessageContaining("banger daemon start");
        said.clear();
        assertThat(installer.status(target, tmp.resolve("no.sock"))).isFalse();
        assertThat(said).anySatisfy(l -> assertThat(l).contains("bangerd.service unknown: PID 1 is not systemd"))
                .anySatisfy(l -> assertThat(l).contains("owner      alice (uid 1500)"));
        said.clear();
        assertThat(installer.status(target, tmp.resolve("no.sock"), true)).isFalse();
        assertThat(said).hasSize(1);
        assertThat(dev.banger.core.rpc.Json.parse(said.getFirst())).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP).containsEntry("owner", "alice")
                .containsEntry("unit_state", "unknown: " + Systemd.NOT_PID1)
                .containsEntry("daemon_answers", false).containsEntry("ok", false);
        installer.uninstall(target, Layout.of(Config.defaults()), true);
        assertThatThrownBy(() -> installer.uninstall(target, Layout.of(Config.defaults()), true))
                .hasMessageContaining("banger is not installed");
    }

    /** Every path under {@code dir}; the shadow tools' backups (group-) and the group file's content aside. */
    private static List<Path> listing(Path dir, boolean ignoreGroupBackups) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !ignoreGroupBackups || !p.getFileName().toString().endsWith("-")).sorted().toList();
        }
    }
}
