package dev.banger.cli.commands;

import dev.banger.cli.client.DaemonUnreachableException;
import dev.banger.cli.client.RpcClient;
import dev.banger.cli.console.Terminal;
import dev.banger.cli.doctor.ClientChecks;
import dev.banger.cli.exec.ProcessLauncher;
import dev.banger.core.InstallRecord;
import dev.banger.core.api.NoParams;
import dev.banger.core.api.SystemApi;
import dev.banger.core.api.SystemApi.DoctorReport;
import dev.banger.core.model.DoctorCheck;
import dev.banger.core.model.VersionInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code banger doctor}: the user's side (daemon reachable, versions, group, ssh-config), then the
 * host checks: from the daemon ({@code doctor} RPC, as root) when it answers, else from
 * {@code bangerd doctor --json} run here as this user. Read-only throughout.
 */
@Command(name = "doctor", description = {"Check this host and this user for banger, read-only.",
        "One row per check, PASS, WARN or FAIL, with what was found and the fix. Works while bangerd is down."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:no check failed", "1:a check failed"})
public final class DoctorCommand implements Callable<Integer> {

    private static final Duration LOCAL_TIMEOUT = Duration.ofMinutes(2);
    private static final String GREEN = "\u001b[32m", YELLOW = "\u001b[33m", RED = "\u001b[31m", RESET = "\u001b[0m";

    private final Invocation inv;

    DoctorCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Option(names = "--config", paramLabel = "FILE",
            description = "The config of bangerd for the host checks when the daemon is down (default: the installed one, else built-in defaults).")
    Path config;

    /** The host checks when neither bangerd nor its local run could give them (a row says why). */
    private static final DoctorReport NO_HOST_CHECKS = new DoctorReport(null, List.of());

    @Override
    public Integer call() throws IOException {
        RootCommand root = inv.root();
        Path socket = root.socket();
        VersionInfo version = null;
        DoctorReport host = null;
        String unreachable = null;
        try (RpcClient c = RpcClient.connect(socket)) {
            version = c.call(SystemApi.VERSION, NoParams.NONE);
            host = c.call(SystemApi.DOCTOR, NoParams.NONE);
        } catch (DaemonUnreachableException e) {
            unreachable = e.getMessage();
        } catch (BangerException e) {
            if (version == null) {
                unreachable = e.getMessage(); // e.g. unauthorized: not in group banger
            } // else a daemon without `doctor` (older build): the host checks run locally
        }
        List<DoctorCheck> rows = new ArrayList<>();
        rows.add(ClientChecks.daemon(socket, version, unreachable));
        Optional<InstallRecord> installed = Optional.empty();
        try {
            installed = InstallRecord.read(Path.of("/"));
            rows.add(ClientChecks.versions(version, installed));
        } catch (IllegalStateException e) {
            rows.add(DoctorCheck.fail("banger version", List.of(e.getMessage()), "sudo banger system install"));
        }
        long uid = new com.sun.security.auth.module.UnixSystem().getUid();
        String user = System.getProperty("user.name");
        rows.add(ClientChecks.group(user, uid, Path.of("/etc/group"), Path.of("/proc/self/status")));
        rows.add(ClientChecks.sshConfig(Path.of(System.getProperty("user.home"))));
        String source = "daemon";
        if (host == null) {
            source = "local";
            host = localHostChecks(root, config != null ? config.toAbsolutePath() : installed.map(InstallRecord::config).orElse(null), rows);
        }
        rows.addAll(host.checks());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("source", source);
        out.put("ran_as", host.ranAs());
        out.put("ok", rows.stream().noneMatch(DoctorCheck::failed));
        out.put("checks", rows.stream().map(DoctorCommand::asJson).toList());
        String from = source.equals("daemon") ? "bangerd (as " + host.ranAs() + ")" : "this process (as " + host.ranAs() + "; bangerd is down)";
        inv.render(out, () -> print(inv.terminal(), rows, from));
        return rows.stream().anyMatch(DoctorCheck::failed) ? RootCommand.EXIT_FAILED : 0;
    }

    /** {@code bangerd doctor --json} in a child process, as this user; a row saying why when it cannot run. */
    private static DoctorReport localHostChecks(RootCommand root, Path configFile, List<DoctorCheck> rows) {
        List<String> argv = new ArrayList<>();
        try {
            argv.add(DaemonStartCommand.locateDaemon(root).toString());
        } catch (BangerException e) {
            rows.add(DoctorCheck.fail("host checks", List.of(e.getMessage()), "run bangerd's doctor where it is installed: bangerd doctor"));
            return NO_HOST_CHECKS;
        }
        argv.addAll(List.of("doctor", "--json"));
        if (configFile != null) {
            argv.addAll(List.of("--config", configFile.toString()));
        }
        try {
            ProcessLauncher.Captured r = ProcessLauncher.runCapturing(argv, LOCAL_TIMEOUT);
            return SystemApi.DOCTOR.result().read(Json.parse(r.stdout()));
        } catch (IOException | IllegalArgumentException e) { // no JSON, or not a doctor report
            rows.add(DoctorCheck.fail("host checks", List.of(String.join(" ", argv) + ": " + e.getMessage()),
                    "run it yourself to see why: " + String.join(" ", argv)));
            return NO_HOST_CHECKS;
        }
    }

    private static void print(Terminal t, List<DoctorCheck> rows, String from) {
        for (DoctorCheck c : rows) {
            t.println(paint(t, c.status()) + "  " + c.name());
            c.details().forEach(d -> t.println("      - " + d));
            c.fix().forEach(f -> t.println("      fix: " + f));
        }
        long fails = rows.stream().filter(DoctorCheck::failed).count();
        long warns = rows.stream().filter(c -> c.status().equals(DoctorCheck.WARN)).count();
        t.println("");
        t.println(rows.size() + " checks: " + fails + " failed, " + warns + " warned; host checks ran in " + from);
    }

    private static String paint(Terminal t, String status) {
        if (!t.colourOut()) {
            return status;
        }
        String colour = switch (status) {
            case DoctorCheck.PASS -> GREEN;
            case DoctorCheck.WARN -> YELLOW;
            default -> RED;
        };
        return colour + status + RESET;
    }

    private static Map<String, Object> asJson(DoctorCheck c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", c.name());
        m.put("status", c.status());
        m.put("details", c.details());
        m.put("fix", c.fix());
        return m;
    }
}
