package dev.banger.daemon.vm.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.core.config.FirecrackerSettings;
import dev.banger.core.config.VmSettings;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Installs {@link FirecrackerDouble} in a directory as executables named {@code firecracker} and
 * {@code jailer} (shell wrappers that run it on this JVM's classpath), sets its behaviour and
 * reads what it recorded. Public for the VM service's tests, which drive a VM through
 * {@link #driver} on this host, whose KVM Firecracker cannot use.
 */
public final class FirecrackerDoubleRig {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Path record;
    private final Properties config = new Properties();

    public FirecrackerDoubleRig(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.record = dir.resolve("record.jsonl");
        config.setProperty("spec", SwaggerContract.locate().toString());
        config.setProperty("record", record.toString());
        config.setProperty("version", "1.10.1");
        save();
        String java = ProcessHandle.current().info().command().orElseThrow();
        String run = "'" + java + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xmx64m -cp '"
                + System.getProperty("java.class.path") + "' " + FirecrackerDouble.class.getName();
        Path configFile = dir.resolve("double.properties");
        script(firecrackerBin(), "#!/bin/sh\nexec " + run + " firecracker '" + configFile + "' \"$@\"\n");
        script(jailerBin(), "#!/bin/bash\n"
                + "plan=$(" + run + " jailer '" + configFile + "' \"$@\") || exit $?\n"
                + "mapfile -t argv <<< \"$plan\"\n"
                + "cd \"${argv[0]}\" || exit 1\n"
                + "exec \"${argv[@]:1}\"\n");
    }

    Path firecrackerBin() {
        return dir.resolve("bin").resolve("firecracker");
    }

    Path jailerBin() {
        return dir.resolve("bin").resolve("jailer");
    }

    public FirecrackerDoubleRig version(String version) {
        return set("version", version);
    }

    /** Answers this request ("PUT /machine-config") with 400 and {@code faultMessage}. */
    FirecrackerDoubleRig refuse(String request, String faultMessage) {
        set("refuse", request);
        return set("refuse.message", faultMessage);
    }

    /** Prints {@code stderr} and exits 1 when this request arrives. */
    FirecrackerDoubleRig exitOn(String request, String stderr) {
        set("exit.on", request);
        return set("exit.message", stderr);
    }

    /** The jailer prints {@code stderr} and exits 1 before it execs Firecracker. */
    FirecrackerDoubleRig jailerFails(String stderr) {
        return set("jailer.fail", stderr);
    }

    /** Never makes the API socket. */
    FirecrackerDoubleRig noSocket() {
        return set("bind", "false");
    }

    /** Every event recorded so far, oldest first. */
    List<JsonNode> events() {
        List<JsonNode> events = new ArrayList<>();
        try {
            if (Files.exists(record)) {
                for (String line : Files.readAllLines(record)) {
                    events.add(JSON.readTree(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return events;
    }

    public List<JsonNode> events(String kind) {
        return events().stream().filter(e -> kind.equals(e.path("event").asText())).toList();
    }

    /** The requests in order, as "METHOD /path". */
    public List<String> requests() {
        return events("request").stream().map(e -> e.get("method").asText() + " " + e.get("path").asText()).toList();
    }

    /** The body of the last request to {@code path}. */
    public JsonNode body(String path) {
        return events("request").stream().filter(e -> path.equals(e.get("path").asText())).reduce((a, b) -> b).orElseThrow()
                .get("body");
    }

    /** The real Firecracker driver running this double, jailed as {@code uid}:{@code gid}, on a KVM the probe finds usable. */
    public HypervisorDriver driver(CommandRunner runner, int uid, int gid) throws IOException {
        return new FirecrackerDriver(new FirecrackerSettings(firecrackerBin().toString(), jailerBin().toString(), true, uid, gid),
                runner, kvmProbe(), Duration.ofSeconds(30), VmSettings.DEFAULT_VMM_USER, new ConsoleLogCap());
    }

    /** An acceleration probe that finds a usable KVM (a device file and a CPU with vmx) in {@code dir}. */
    AccelerationProbe kvmProbe() throws IOException {
        Path kvm = dir.resolve("kvm");
        if (!Files.exists(kvm)) {
            Files.createFile(kvm);
        }
        Path cpuinfo = Files.writeString(dir.resolve("cpuinfo"), "cpu MHz\t\t: 2000.000\nflags\t\t: fpu vmx sse2\n");
        return new AccelerationProbe(kvm, cpuinfo, dir.resolve("hypervisor-probe.json"));
    }

    private FirecrackerDoubleRig set(String key, String value) {
        config.setProperty(key, value);
        save();
        return this;
    }

    private void save() {
        try (OutputStream out = Files.newOutputStream(dir.resolve("double.properties"))) {
            config.store(out, "FirecrackerDouble behaviour");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void script(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
