package dev.banger.daemon.vm.hypervisor;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the guest from filling the host disk through its serial console. The VMM appends to
 * {@code console.log} (QEMU's {@code -chardev file,append=on}, Firecracker's stdout opened with
 * O_APPEND), so the file can be cut under it: every {@link #PERIOD} a watcher thread copies a log
 * that passed {@link #CAP_BYTES} to {@code console.log.1} (replacing the older one) and truncates
 * it; the VMM's next write lands at offset 0. A log thus stays under the cap plus what the guest
 * writes in one period (the slack; docs/privileges.md has the measured figure), and bytes the guest
 * writes between the copy and the truncation are lost. The files keep the VMM's fd and owner, so a
 * VM that outlives bangerd goes on writing; the cap resumes when a new bangerd adopts it.
 */
public final class ConsoleLogCap {

    static final long CAP_BYTES = 8L << 20;
    static final Duration PERIOD = Duration.ofMillis(200);
    static final String ROTATED_SUFFIX = ".1";
    private static final Logger log = LoggerFactory.getLogger(ConsoleLogCap.class);

    private final long capBytes;
    /** Running VMMs by console log; the watcher ends when none is left. */
    private final Map<Path, MachineProcess> watched = new ConcurrentHashMap<>();
    private Thread watcher;

    ConsoleLogCap() {
        this(CAP_BYTES);
    }

    /** A smaller cap, for tests that would otherwise write megabytes. */
    ConsoleLogCap(long capBytes) {
        this.capBytes = capBytes;
    }

    /** Caps {@code p}'s console log while its process runs. */
    synchronized void watch(MachineProcess p) {
        if (p.consoleLog() == null) {
            return;
        }
        watched.put(p.consoleLog(), p);
        if (watcher == null) {
            watcher = Thread.ofPlatform().daemon().name("console-log-cap").start(this::run);
        }
    }

    private void run() {
        while (true) {
            synchronized (this) {
                if (watched.isEmpty()) {
                    watcher = null;
                    return;
                }
            }
            for (MachineProcess p : watched.values()) {
                boolean alive = VmmProcesses.isAlive(p);
                enforce(p.consoleLog());
                if (!alive) {
                    watched.remove(p.consoleLog(), p);
                }
            }
            try {
                Thread.sleep(PERIOD);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Where {@code console}'s older part goes: {@code console.log.1}. */
    public static Path rotated(Path console) {
        return console.resolveSibling(console.getFileName() + ROTATED_SUFFIX);
    }

    /** Rotates {@code console} once when it is over the cap. */
    void enforce(Path console) {
        try {
            if (Files.size(console) <= capBytes) {
                return;
            }
            Files.copy(console, rotated(console), StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel ch = FileChannel.open(console, StandardOpenOption.WRITE)) {
                ch.truncate(0);
            }
        } catch (NoSuchFileException e) {
            // Not written yet, or the VM was deleted.
        } catch (IOException e) {
            log.warn("cannot rotate {}: {}", console, e.toString());
        }
    }
}
