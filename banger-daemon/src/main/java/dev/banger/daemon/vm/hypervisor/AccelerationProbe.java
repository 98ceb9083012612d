package dev.banger.daemon.vm.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides between KVM and TCG for this host. A {@code /dev/kvm} that opens is not enough: on a
 * software KVM (PVM: no vmx/svm CPU flag) stock guest kernels die with "KVM internal error", so the
 * CPU flags decide too, and a KVM that already failed a launch is remembered in
 * {@code hypervisor-probe.json} under the state directory. Also reads the host's clock rate, which
 * TCG guests need on their command line.
 */
public final class AccelerationProbe {

    private static final Logger log = LoggerFactory.getLogger(AccelerationProbe.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CPU_MHZ = Pattern.compile("(?m)^cpu MHz\\s*:\\s*([0-9.]+)");
    private static final Pattern FLAGS = Pattern.compile("(?m)^flags\\s*:(.*)$");
    /** When /proc/cpuinfo gives no rate: any fixed value spares TCG guests the calibration hang. */
    static final long FALLBACK_TSC_KHZ = 2_000_000;

    private final Path kvmDevice;
    private final Path cpuinfo;
    private final Path record;

    /** {@code record}: the file that remembers a KVM that failed ({@code STATE_DIR/hypervisor-probe.json}). */
    public AccelerationProbe(Path kvmDevice, Path cpuinfo, Path record) {
        this.kvmDevice = kvmDevice;
        this.cpuinfo = cpuinfo;
        this.record = record;
    }

    public static AccelerationProbe forHost(Path stateDir) {
        return new AccelerationProbe(Path.of("/dev/kvm"), Path.of("/proc/cpuinfo"), stateDir.resolve("hypervisor-probe.json"));
    }

    public Acceleration probe() {
        if (!Files.exists(kvmDevice)) {
            return tcg("there is no " + kvmDevice + " (KVM is not available on this host)");
        }
        if (!Files.isReadable(kvmDevice) || !Files.isWritable(kvmDevice)) {
            return tcg(kvmDevice + " is not readable and writable by the daemon's user");
        }
        List<String> flags = List.of(match(FLAGS, "").strip().split("\\s+"));
        if (!flags.contains("vmx") && !flags.contains("svm")) {
            return tcg(kvmDevice + " exists but " + cpuinfo + " shows neither the vmx nor the svm CPU flag: this is a "
                    + "software KVM (such as PVM) under which stock guest kernels crash with \"KVM internal error\"");
        }
        String failure = recordedKvmFailure();
        if (failure != null) {
            return tcg("KVM failed here before (" + failure + "); delete " + record + " to try KVM again");
        }
        return new Acceleration(Acceleration.KVM, kvmDevice + " is usable and the CPU has "
                + (flags.contains("vmx") ? "vmx" : "svm"));
    }

    /** The host's TSC rate in kHz, from the first "cpu MHz" line of cpuinfo. */
    public long tscKhz() {
        String mhz = match(CPU_MHZ, null);
        return mhz == null ? FALLBACK_TSC_KHZ : Math.round(Double.parseDouble(mhz) * 1000);
    }

    /** Remembers that KVM could not run a VM here, so later probes (also after a restart) choose TCG. */
    public void recordKvmFailure(String why) {
        try {
            Files.createDirectories(record.getParent());
            Files.writeString(record, JSON.writeValueAsString(Map.of("kvm_failed", why, "at", Instant.now().toString())));
        } catch (IOException e) {
            log.warn("cannot remember the KVM failure in {}: {}", record, e.toString());
        }
    }

    private String recordedKvmFailure() {
        if (!Files.exists(record)) {
            return null;
        }
        try {
            JsonNode r = JSON.readTree(record.toFile());
            return r.path("kvm_failed").asText(null);
        } catch (IOException e) {
            log.warn("ignoring unreadable {}: {}", record, e.toString());
            return null;
        }
    }

    private String match(Pattern pattern, String otherwise) {
        try {
            Matcher m = pattern.matcher(Files.readString(cpuinfo));
            return m.find() ? m.group(1) : otherwise;
        } catch (IOException e) {
            log.warn("cannot read {}: {}", cpuinfo, e.toString());
            return otherwise;
        }
    }

    private static Acceleration tcg(String why) {
        return new Acceleration(Acceleration.TCG, why + "; QEMU emulates the CPU (TCG), about 20x slower");
    }
}
