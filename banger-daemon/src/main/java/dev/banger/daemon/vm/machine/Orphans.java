package dev.banger.daemon.vm.machine;

import dev.banger.core.config.VmSettings;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.DaemonUser;
import dev.banger.daemon.vm.hypervisor.VmmUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the hypervisor processes that still use a VM's directory (one launched just before the
 * daemon died, before its pid reached handles.json) by their command line, and ends them. Only
 * what banger could have started: the executable is a VMM binary (qemu-system-*, or the
 * configured QEMU, Firecracker or jailer) and it runs as root, bangerd's uid, the VMM user or the
 * jailer's uid. Any other process naming the directory (a user's {@code tail -f} of the console
 * log, a backup) is left alone. Each kill is logged.
 */
public final class Orphans {

    private static final Logger LOG = LoggerFactory.getLogger(Orphans.class);
    private static final Path PROC = Path.of("/proc");

    private final VmSettings settings;
    private final CommandRunner runner;

    public Orphans(VmSettings settings, CommandRunner runner) {
        this.settings = settings;
        this.runner = runner;
    }

    public void kill(Path vmDir) {
        String marker = vmDir.toAbsolutePath() + "/";
        Set<String> vmmNames = vmmNames();
        Set<Long> owners = null;
        for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
            if (p.pid() == ProcessHandle.current().pid()
                    || !p.info().arguments().map(args -> String.join(" ", args).contains(marker)).orElse(false)) {
                continue;
            }
            Optional<String> exe = p.info().command().map(c -> Path.of(c).getFileName().toString());
            if (exe.isEmpty() || !(exe.get().startsWith("qemu-system-") || vmmNames.contains(exe.get()))) {
                LOG.warn("not killing pid {} ({}): it names {} but is not a VMM binary", p.pid(), exe.orElse("?"), vmDir);
                continue;
            }
            owners = owners != null ? owners : vmmOwners();
            Optional<Long> uid = uid(p.pid());
            if (uid.isEmpty() || !owners.contains(uid.get())) {
                LOG.warn("not killing pid {} ({}): it names {} but runs as uid {}, not one banger starts VMMs as",
                        p.pid(), exe.get(), vmDir, uid.map(String::valueOf).orElse("?"));
                continue;
            }
            LOG.warn("killing orphan VMM pid {} ({}, uid {}) still using {}", p.pid(), exe.get(), uid.get(), vmDir);
            killAndWait(p);
        }
    }

    private Set<String> vmmNames() {
        Set<String> names = new HashSet<>();
        for (String bin : new String[] {settings.qemuBin(), settings.firecracker().firecrackerBin(), settings.firecracker().jailerBin()}) {
            if (bin != null && !bin.isBlank()) {
                names.add(Path.of(bin).getFileName().toString());
            }
        }
        return names;
    }

    /** Root, bangerd's own uid, the VMM user's and the jailer's. */
    private Set<Long> vmmOwners() {
        Set<Long> uids = new HashSet<>(List.of(0L, DaemonUser.uid()));
        try {
            uids.add((long) VmmUser.lookUp(settings.vmmUser(), runner).uid());
        } catch (RuntimeException e) {
            LOG.debug("no VMM user: {}", e.getMessage());
        }
        if (settings.firecracker().jailerUid() != null) {
            uids.add(settings.firecracker().jailerUid().longValue());
        }
        return uids;
    }

    /** The effective uid of the process: the owner of its /proc entry. */
    private static Optional<Long> uid(long pid) {
        try {
            return Optional.of(((Number) Files.getAttribute(PROC.resolve(Long.toString(pid)), "unix:uid", LinkOption.NOFOLLOW_LINKS))
                    .longValue());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void killAndWait(ProcessHandle p) {
        p.destroyForcibly();
        try {
            p.onExit().get(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception ignored) {
            // A zombie waiting for its reaper is dead enough.
        }
    }
}
