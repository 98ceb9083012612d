package dev.banger.daemon;

import dev.banger.core.api.SystemApi.DoctorReport;
import dev.banger.core.config.Config;
import dev.banger.core.model.DoctorCheck;
import dev.banger.daemon.doctor.Doctor;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.rpc.Wire;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bangerd doctor [--json]}: the host checks in this process, as whoever runs it. The CLI
 * runs it when the daemon does not answer; with the daemon up, the {@code doctor} RPC runs the
 * same checks as root. Exit 1 when a check FAILs.
 */
@Command(name = "doctor", description = "Check this host for banger, read-only (the same checks as `banger doctor`'s host rows).")
final class DoctorCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "bangerd's TOML config (default: built-in defaults).")
    Path configFile;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--root", hidden = true, defaultValue = "/", description = "Where /etc is (tests).")
    Path root;

    @Override
    public Integer call() throws Exception {
        Optional<Config> loaded = Bangerd.loadConfig(configFile);
        if (loaded.isEmpty()) {
            return 2;
        }
        Config config = loaded.get();
        DoctorReport report = Doctor.forHost(config, new CommandRunner(), root, Optional.empty()).report();
        if (json) {
            System.out.println(Wire.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
        } else {
            for (DoctorCheck c : report.checks()) {
                System.out.println(c.status() + "  " + c.name());
                c.details().forEach(d -> System.out.println("      - " + d));
                c.fix().forEach(f -> System.out.println("      fix: " + f));
            }
        }
        return report.checks().stream().anyMatch(DoctorCheck::failed) ? 1 : 0;
    }
}
