package dev.banger.daemon.vm.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * A stand-in for the {@code firecracker} and {@code jailer} executables, run as real processes by
 * the real driver through the wrapper scripts {@link FirecrackerDoubleRig} writes.
 *
 * <p>As {@code firecracker} it parses the argv as Firecracker does, serves HTTP/1.1 on
 * {@code --api-sock}, checks every request against the API contract ({@link SwaggerContract})
 * and against what Firecracker itself checks (the files it is told to open exist and, when
 * jailed, are open to the uid it runs as; the tap exists; pre-boot calls only before
 * {@code InstanceStart}), answers with the contract's status codes and {@code fault_message}
 * bodies, and appends every event (its argv, each request, each violation) as a JSON line to the
 * record file the test reads. As a snapshot it writes a JSON state file (its version, memory size,
 * drives, NICs, vsock) and the guest memory in full, zero pages written out as Firecracker does; a
 * load checks that state's files as Firecracker would open them, and a failed load ends the process
 * after its answer, as Firecracker's does. Its behaviour is set by a properties file: {@code version},
 * {@code refuse} + {@code refuse.message} (answer that request 400), {@code exit.on} +
 * {@code exit.message} (print to stderr and exit 1 on that request), {@code bind=false} (never
 * make the socket), {@code jailer.fail} (the jailer prints it and exits 1).
 *
 * <p>As {@code jailer} it checks the argv as docs/jailer.md states it, builds the chroot dir,
 * copies the exec file in and chowns the chroot as the jailer does, then prints the chroot dir
 * and the argv it would exec (one per line); the wrapper changes to that dir and execs the argv,
 * so the pid stays the same. A Java process
 * cannot chroot or drop privileges: the exec'd double gets the chroot and the uid/gid in its
 * environment and resolves and checks every path as the jailed Firecracker would see it.
 */
public final class FirecrackerDouble {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String ROOT_ENV = "FC_DOUBLE_ROOT";
    static final String UID_ENV = "FC_DOUBLE_UID";
    static final String GID_ENV = "FC_DOUBLE_GID";
    private static final Set<String> PRE_BOOT = Set.of("/logger", "/metrics", "/machine-config", "/boot-source", "/drives",
            "/network-interfaces", "/vsock");

    private final Properties config;
    private final Path record;
    private final Path root;
    private final Integer uid;
    private final Integer gid;
    private final Set<String> configured = new HashSet<>();
    /** What a snapshot saves: the machine's memory size, drives, NICs (id to tap) and vsock socket. */
    private final ObjectNode machine = JSON.createObjectNode();
    private boolean exitAfterAnswer;
    private String id = "anonymous-instance";
    private boolean started;
    private boolean paused;

    private FirecrackerDouble(Properties config) {
        this.config = config;
        this.record = Path.of(config.getProperty("record"));
        String r = System.getenv(ROOT_ENV);
        this.root = r == null ? null : Path.of(r);
        this.uid = System.getenv(UID_ENV) == null ? null : Integer.valueOf(System.getenv(UID_ENV));
        this.gid = System.getenv(GID_ENV) == null ? null : Integer.valueOf(System.getenv(GID_ENV));
    }

    public static void main(String[] args) throws Exception {
        Properties config = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(args[1]))) {
            config.load(in);
        }
        FirecrackerDouble d = new FirecrackerDouble(config);
        List<String> argv = List.of(args).subList(2, args.length);
        int status = "jailer".equals(args[0]) ? d.jailer(argv) : d.firecracker(argv);
        System.exit(status);
    }

    // ---- jailer ----

    private int jailer(List<String> argv) throws IOException {
        record(event("jailer").set("argv", JSON.valueToTree(argv)));
        if (config.getProperty("jailer.fail") != null) {
            return fail(config.getProperty("jailer.fail"));
        }
        Map<String, String> opts = new java.util.LinkedHashMap<>();
        List<String> extra = new ArrayList<>();
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("--")) {
                extra.addAll(argv.subList(i + 1, argv.size()));
                break;
            }
            switch (a) {
                case "--daemonize", "--new-pid-ns" -> opts.put(a, "");
                case "--id", "--exec-file", "--uid", "--gid", "--chroot-base-dir", "--netns", "--cgroup", "--cgroup-version",
                     "--parent-cgroup", "--resource-limit" -> {
                    if (i + 1 >= argv.size()) {
                        return fail("jailer: " + a + " needs a value");
                    }
                    opts.put(a, argv.get(++i));
                }
                default -> {
                    return fail("jailer: unexpected argument " + a);
                }
            }
        }
        for (String required : List.of("--id", "--exec-file", "--uid", "--gid")) {
            if (!opts.containsKey(required)) {
                return fail("jailer: missing required argument " + required);
            }
        }
        String jailId = opts.get("--id");
        if (!jailId.matches("[A-Za-z0-9-]{1,64}")) {
            return fail("jailer: invalid id " + jailId);
        }
        Path exec = Path.of(opts.get("--exec-file"));
        String execName = exec.getFileName().toString();
        if (!execName.contains("firecracker")) {
            return fail("jailer: exec file name must contain firecracker: " + execName);
        }
        if (!Files.isRegularFile(exec)) {
            return fail("jailer: exec file " + exec + " does not exist");
        }
        int jailUid;
        int jailGid;
        try {
            jailUid = Integer.parseInt(opts.get("--uid"));
            jailGid = Integer.parseInt(opts.get("--gid"));
        } catch (NumberFormatException e) {
            return fail("jailer: uid and gid must be numbers");
        }
        Path chroot = Path.of(opts.getOrDefault("--chroot-base-dir", "/srv/jailer")).resolve(execName).resolve(jailId).resolve("root");
        Files.createDirectories(chroot);
        Path copy = chroot.resolve(execName);
        Files.copy(exec, copy, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
        Files.setAttribute(chroot, "unix:uid", jailUid);
        Files.setAttribute(chroot, "unix:gid", jailGid);
        List<String> plan = new ArrayList<>(List.of(chroot.toString(), "env", ROOT_ENV + "=" + chroot, UID_ENV + "=" + jailUid, GID_ENV + "=" + jailGid,
                copy.toString(), "--id=" + jailId, "--start-time-us=1", "--start-time-cpu-us=1"));
        plan.addAll(extra);
        System.out.print(String.join("\n", plan));
        return 0;
    }

    // ---- firecracker ----

    private int firecracker(List<String> argv) throws IOException {
        record(event("start").put("root", root == null ? null : root.toString()).put("uid", uid).put("gid", gid)
                .set("argv", JSON.valueToTree(argv)));
        String apiSock = "/run/firecracker.socket";
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            switch (name) {
                case "--version" -> {
                    System.out.println("Firecracker v" + config.getProperty("version"));
                    return 0;
                }
                case "--api-sock", "--id", "--start-time-us", "--start-time-cpu-us", "--parent-cpu-time-us" -> {
                    String value;
                    if (a.contains("=")) {
                        value = a.substring(a.indexOf('=') + 1);
                    } else if (i + 1 < argv.size()) {
                        value = argv.get(++i);
                    } else {
                        return fail("firecracker: " + a + " needs a value");
                    }
                    if (name.equals("--api-sock")) {
                        apiSock = value;
                    } else if (name.equals("--id")) {
                        id = value;
                    }
                }
                default -> {
                    return fail("firecracker: unexpected argument " + a);
                }
            }
        }
        if (!Boolean.parseBoolean(config.getProperty("bind", "true"))) {
            sleepForever();
        }
        SwaggerContract contract = SwaggerContract.load(Path.of(config.getProperty("spec")));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(socketAddress(apiSock));
            while (true) {
                try (SocketChannel client = server.accept()) {
                    serve(contract, Channels.newInputStream(client), Channels.newOutputStream(client));
                } catch (IOException e) {
                    // The client hung up mid-request: the next one is served.
                }
            }
        }
    }

    private void serve(SwaggerContract contract, InputStream in, OutputStream out) throws IOException {
        while (true) {
            String head = readHead(in);
            if (head == null) {
                return;
            }
            String[] lines = head.split("\r\n");
            String[] requestLine = lines[0].split(" ");
            String method = requestLine[0];
            String path = requestLine[1];
            int length = 0;
            boolean close = false;
            for (String line : lines) {
                String lower = line.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    close = true;
                }
            }
            byte[] bodyBytes = in.readNBytes(length);
            JsonNode body = length == 0 ? null : JSON.readTree(bodyBytes);
            record(event("request").put("method", method).put("path", path).set("body", body));
            Answer answer = answer(contract, method, path, body);
            String reason = answer.status == 200 ? "OK" : answer.status == 204 ? "No Content" : "Bad Request";
            byte[] payload = answer.body == null ? new byte[0] : JSON.writeValueAsBytes(answer.body);
            StringBuilder response = new StringBuilder("HTTP/1.1 ").append(answer.status).append(' ').append(reason).append("\r\n")
                    .append("Server: Firecracker API\r\n");
            if (answer.status != 204) {
                response.append("Content-Type: application/json\r\nContent-Length: ").append(payload.length).append("\r\n");
            }
            out.write(response.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.flush();
            if (exitAfterAnswer) {
                System.exit(1);
            }
            if (close) {
                return;
            }
        }
    }

    private record Answer(int status, JsonNode body) {
    }

    private Answer answer(SwaggerContract contract, String method, String path, JsonNode body) throws IOException {
        List<String> violations = contract.violations(method, path, body);
        if (!violations.isEmpty()) {
            record(event("violation").put("request", method + " " + path).set("violations", JSON.valueToTree(violations)));
            return fault("contract violation: " + String.join("; ", violations));
        }
        String request = method + " " + path;
        if (request.equals(config.getProperty("exit.on"))) {
            System.err.println(config.getProperty("exit.message", "exiting"));
            System.err.flush();
            System.exit(1);
        }
        if (request.equals(config.getProperty("refuse"))) {
            exitAfterAnswer = path.equals("/snapshot/load"); // a failed load ends Firecracker
            return fault(config.getProperty("refuse.message", "refused"));
        }
        if (method.equals("GET")) {
            ObjectNode b = JSON.createObjectNode();
            switch (path) {
                case "/version" -> b.put("firecracker_version", config.getProperty("version"));
                case "/" -> b.put("app_name", "Firecracker").put("id", id).put("state", !started ? "Not started" : paused ? "Paused" : "Running")
                        .put("vmm_version", config.getProperty("version"));
                default -> {
                    return fault("the double does not answer GET " + path);
                }
            }
            return new Answer(200, b);
        }
        String resource = "/" + path.split("/")[1];
        if (PRE_BOOT.contains(resource) && started) {
            return fault("The requested operation is not supported after starting the microVM.");
        }
        String problem = switch (resource) {
            case "/logger" -> writable(body.path("log_path").asText());
            case "/metrics" -> writable(body.path("metrics_path").asText());
            case "/boot-source" -> firstProblem(readable(body.path("kernel_image_path").asText()),
                    body.has("initrd_path") ? readable(body.get("initrd_path").asText()) : null);
            case "/drives" -> body.path("is_read_only").asBoolean(false) ? readable(body.path("path_on_host").asText())
                    : writable(body.path("path_on_host").asText());
            case "/network-interfaces" -> tapExists(body.path("host_dev_name").asText())
                    ? null : "Open tap device failed: " + body.path("host_dev_name").asText() + " does not exist";
            case "/vsock" -> bindVsock(body.path("uds_path").asText());
            case "/actions" -> action(body.path("action_type").asText());
            case "/vm" -> vmState(body.path("state").asText());
            case "/snapshot" -> path.equals("/snapshot/create") ? createSnapshot(body) : loadSnapshot(body);
            default -> null;
        };
        if (problem == null) {
            remember(resource, body);
        }
        if (problem != null) {
            return fault(problem);
        }
        configured.add(resource);
        return new Answer(contract.successStatus(contract.operation(method, path).orElseThrow()), null);
    }

    private void remember(String resource, JsonNode body) {
        switch (resource) {
            case "/machine-config" -> machine.put("mem_size_mib", body.get("mem_size_mib").asInt());
            case "/drives" -> machine.with("drives").put(body.get("drive_id").asText(), body.get("path_on_host").asText());
            case "/network-interfaces" -> machine.with("nics").put(body.get("iface_id").asText(), body.get("host_dev_name").asText());
            case "/vsock" -> machine.put("vsock", body.get("uds_path").asText());
            default -> {
            }
        }
    }

    /** PUT /snapshot/create: the state as JSON, the memory in full (every zero page written), the VM paused. */
    private String createSnapshot(JsonNode body) throws IOException {
        if (!started || !paused) {
            return "Operation not allowed: the microVM must be paused to create a snapshot";
        }
        String statePath = body.get("snapshot_path").asText();
        String memPath = body.get("mem_file_path").asText();
        String access = firstProblem(creatable(statePath), creatable(memPath));
        if (access != null) {
            return "Cannot create snapshot: " + access;
        }
        ObjectNode state = machine.deepCopy().put("version", config.getProperty("version")).put("id", id);
        try (java.nio.channels.FileChannel ch = openForWrite(statePath)) {
            ch.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(state)));
        }
        byte[] chunk = new byte[1 << 20];
        try (java.nio.channels.FileChannel ch = openForWrite(memPath)) {
            for (int mib = 0; mib < machine.path("mem_size_mib").asInt(); mib++) {
                java.util.Arrays.fill(chunk, (byte) 0);
                if (mib == 0 || mib == 3) { // a page of the guest's own data; the rest of guest memory is zero
                    byte[] mark = ("guest memory of " + id + " at MiB " + mib).getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(mark, 0, chunk, 0, mark.length);
                }
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(chunk);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
        }
        record(event("snapshot").put("state", statePath).put("memory", memPath));
        return null;
    }

    /** Created or truncated in place (the same inode), as Firecracker opens them; a new file is the jail uid's. */
    private java.nio.channels.FileChannel openForWrite(String path) throws IOException {
        Path p = seen(path);
        boolean existed = Files.exists(p);
        java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        if (!existed && uid != null) {
            Files.setAttribute(p, "unix:uid", uid);
            Files.setAttribute(p, "unix:gid", gid);
        }
        return ch;
    }

    /** A file Firecracker will create or truncate: writable if there, else its directory writable. */
    private String creatable(String path) {
        Path p = seen(path);
        return Files.exists(p) ? writable(path) : writable(p.getParent(), path);
    }

    /**
     * PUT /snapshot/load: only on a fresh process (the logger and metrics may be configured); the
     * state and memory readable, the memory the machine's size, the drives writable at the paths the
     * state names, each NIC's tap (or its override) there, the vsock socket bindable. Any failure
     * ends the process after the answer.
     */
    private String loadSnapshot(JsonNode body) throws IOException {
        exitAfterAnswer = true;
        if (started || configured.stream().anyMatch(r -> !r.equals("/logger") && !r.equals("/metrics"))) {
            exitAfterAnswer = false;
            return "Loading a microVM snapshot not allowed after configuring boot-specific resources.";
        }
        String statePath = body.get("snapshot_path").asText();
        String problem = readable(statePath);
        if (problem == null && !body.has("mem_backend")) {
            problem = "the double takes the memory through mem_backend only";
        }
        String memPath = body.path("mem_backend").path("backend_path").asText();
        if (problem == null && !"File".equals(body.path("mem_backend").path("backend_type").asText())) {
            problem = "the double serves the File backend only";
        }
        problem = problem != null ? problem : readable(memPath);
        if (problem != null) {
            return "Load snapshot error: " + problem;
        }
        JsonNode state = JSON.readTree(Files.readAllBytes(seen(statePath)));
        if (!config.getProperty("version").equals(state.path("version").asText())) {
            return "Load snapshot error: Cannot deserialize the microVM state: the snapshot's data format is not this version's "
                    + "(taken by " + state.path("version").asText() + ")";
        }
        long expected = state.path("mem_size_mib").asLong() << 20;
        if (Files.size(seen(memPath)) != expected) {
            return "Load snapshot error: the memory file is " + Files.size(seen(memPath)) + " bytes, the guest has " + expected;
        }
        for (var drive : (Iterable<java.util.Map.Entry<String, JsonNode>>) () -> state.path("drives").fields()) {
            problem = firstProblem(problem, writable(drive.getValue().asText()));
        }
        java.util.Map<String, String> overrides = new java.util.HashMap<>();
        for (JsonNode o : body.path("network_overrides")) {
            overrides.put(o.get("iface_id").asText(), o.get("host_dev_name").asText());
        }
        for (var nic : (Iterable<java.util.Map.Entry<String, JsonNode>>) () -> state.path("nics").fields()) {
            String tap = overrides.getOrDefault(nic.getKey(), nic.getValue().asText());
            if (problem == null && !tapExists(tap)) {
                problem = "Open tap device failed: " + tap + " does not exist";
            }
        }
        if (problem == null && state.has("vsock")) {
            problem = bindVsock(state.get("vsock").asText());
        }
        if (problem != null) {
            return "Load snapshot error: " + problem;
        }
        byte[] head = new byte[64];
        try (InputStream in = Files.newInputStream(seen(memPath))) {
            in.readNBytes(head, 0, head.length);
        }
        exitAfterAnswer = false;
        started = true;
        paused = !body.path("resume_vm").asBoolean(false);
        machine.setAll((ObjectNode) ((ObjectNode) state.deepCopy()).without(List.of("version", "id")));
        record(event("loaded").put("memory_head", new String(head, StandardCharsets.US_ASCII).replace("\0", ""))
                .set("overrides", JSON.valueToTree(overrides)));
        System.out.println("[double] guest " + state.path("id").asText() + " restored");
        System.out.flush();
        return null;
    }

    /** PATCH /vm: Firecracker refuses it before the guest started. */
    private String vmState(String state) {
        if (!started) {
            return "The requested operation is not supported before starting the microVM.";
        }
        paused = "Paused".equals(state);
        return null;
    }

    private String action(String type) {
        switch (type) {
            case "InstanceStart" -> {
                if (started) {
                    return "The microVM is already running.";
                }
                if (!configured.contains("/boot-source")) {
                    return "Cannot start microvm without kernel configuration.";
                }
                started = true;
                System.out.println("[double] guest " + id + " started"); // the guest's serial console, on stdout
                System.out.flush();
                return null;
            }
            case "SendCtrlAltDel" -> {
                if (!started) {
                    return "The requested operation is not supported before starting the microVM.";
                }
                System.out.println("[double] Ctrl+Alt+Del: the guest reboots, Firecracker exits");
                System.out.flush();
                System.exit(0);
                return null;
            }
            default -> {
                return "unsupported action " + type;
            }
        }
    }

    /** In this process's network namespace: /proc/self/net/dev (sysfs shows the namespace that mounted it). */
    private static boolean tapExists(String name) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/net/dev")).stream().anyMatch(l -> l.strip().startsWith(name + ":"));
    }

    private String bindVsock(String udsPath) {
        Path p = seen(udsPath);
        String dir = writable(p.getParent(), udsPath);
        if (dir != null) {
            return dir;
        }
        try {
            ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(socketAddress(udsPath)); // held until exit
            return null;
        } catch (IOException e) {
            return "Cannot create vsock backend at " + udsPath + ": " + e.getMessage();
        }
    }

    private String readable(String path) {
        return access(seen(path), path, false);
    }

    private String writable(String path) {
        return access(seen(path), path, true);
    }

    private String writable(Path dir, String asSeen) {
        return access(dir, asSeen, true);
    }

    /** Firecracker opens the file as the jail's uid: it must exist and its mode bits must let that uid in. */
    private String access(Path p, String asSeen, boolean write) {
        if (!Files.exists(p)) {
            return "No such file or directory (os error 2): " + asSeen;
        }
        if (uid == null) {
            return null; // not jailed: Firecracker runs as root
        }
        try {
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid");
            int mode = (Integer) a.get("mode");
            int shift = (Integer) a.get("uid") == uid.intValue() ? 6 : (Integer) a.get("gid") == gid.intValue() ? 3 : 0;
            int need = write ? 6 : 4;
            return ((mode >> shift) & need) == need ? null
                    : "Permission denied (os error 13): " + asSeen + " as uid " + uid + " (mode " + Integer.toOctalString(mode & 07777)
                    + ", owner " + a.get("uid") + ":" + a.get("gid") + ")";
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** A path as the (possibly jailed) process sees it, on the host. */
    private Path seen(String path) {
        if (root == null) {
            return Path.of(path);
        }
        if (!path.startsWith("/")) {
            return root.resolve(path);
        }
        return root.resolve(path.substring(1));
    }

    /**
     * Where to bind a socket Firecracker is told to make. Jailed, relative to the working
     * directory, which the jailer wrapper set to the chroot: the host path of a socket deep in a
     * chroot can exceed the 108 bytes of a socket address, the path the jailed process uses cannot.
     */
    private UnixDomainSocketAddress socketAddress(String path) {
        return UnixDomainSocketAddress.of(root == null ? Path.of(path) : Path.of(path.replaceFirst("^/+", "")));
    }

    private static String firstProblem(String a, String b) {
        return a != null ? a : b;
    }

    private static Answer fault(String message) {
        return new Answer(400, JSON.createObjectNode().put("fault_message", message));
    }

    private static ObjectNode event(String kind) {
        return JSON.createObjectNode().put("event", kind).put("pid", ProcessHandle.current().pid());
    }

    /** Appends one event to the record file, a JSON line. */
    private void record(JsonNode event) throws IOException {
        Files.writeString(record, JSON.writeValueAsString(event) + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private int fail(String message) {
        System.err.println(message);
        return 1;
    }

    private static void sleepForever() {
        while (true) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException ignored) {
                // keep sleeping: only a signal ends this double
            }
        }
    }


    /** The request line and headers, or null at the end of the connection. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        String end = "\r\n\r\n";
        while (matched < end.length()) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = b == end.charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String text = head.toString(StandardCharsets.US_ASCII);
        return text.substring(0, text.length() - end.length());
    }
}
