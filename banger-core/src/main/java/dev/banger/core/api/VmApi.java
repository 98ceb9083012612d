package dev.banger.core.api;

import static dev.banger.core.api.WireType.BOOLEAN;
import static dev.banger.core.api.WireType.FLAG;
import static dev.banger.core.api.WireType.INSTANT;
import static dev.banger.core.api.WireType.INT;
import static dev.banger.core.api.WireType.INT_OR_ZERO;
import static dev.banger.core.api.WireType.LONG;
import static dev.banger.core.api.WireType.LONG_OR_ZERO;
import static dev.banger.core.api.WireType.STRING;
import static dev.banger.core.api.WireType.listOf;

import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.Methods;
import java.util.List;

/** The vm.* methods (but the workspace ones): their params and results (docs/rpc.md has the prose). */
public final class VmApi {

    private VmApi() {
    }

    /** {@code vm.list}: {@code templates} lists the hidden VMs of warm-start template builds too. */
    public record ListParams(Boolean templates) {
        public static final ListParams USERS = new ListParams(null);
    }

    /**
     * {@code ports}: host ports to publish, {@code [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|udp]} each;
     * {@code cold}: boot even where a warm-start template could be restored.
     */
    public record CreateParams(String name, String image, String kernel, Integer vcpu, String memory, String diskSize,
                               Boolean noStart, Boolean nat, Boolean isolate, List<String> ports, String fromSnapshot, Boolean cold) {
        /** Warm where a template fits. */
        public CreateParams(String name, String image, String kernel, Integer vcpu, String memory, String diskSize,
                            Boolean noStart, Boolean nat, Boolean isolate, List<String> ports, String fromSnapshot) {
            this(name, image, kernel, vcpu, memory, diskSize, noStart, nat, isolate, ports, fromSnapshot, null);
        }

        /** A VM that boots its image (no snapshot to start from), warm where a template fits. */
        public CreateParams(String name, String image, String kernel, Integer vcpu, String memory, String diskSize,
                            Boolean noStart, Boolean nat, Boolean isolate, List<String> ports) {
            this(name, image, kernel, vcpu, memory, diskSize, noStart, nat, isolate, ports, null);
        }

        /** A VM that publishes no port. */
        public CreateParams(String name, String image, String kernel, Integer vcpu, String memory, String diskSize,
                            Boolean noStart, Boolean nat, Boolean isolate) {
            this(name, image, kernel, vcpu, memory, diskSize, noStart, nat, isolate, null);
        }
    }

    public record SetParams(String name, Integer vcpu, String memory, String diskSize, Boolean nat, Boolean isolate) {
    }

    public record LogsParams(String name, Integer lines) {
    }

    /** {@code vm.delete}: a running VM only with {@code force} (it is killed first). */
    public record DeleteParams(String name, Boolean force) {
    }

    /** {@code vm.logs}: the serial console's last lines. */
    public record Logs(String name, String path, List<String> lines) {
    }

    /** {@code vm.list}: every VM, oldest first. */
    public record VmList(List<VmInfo> vms) {
    }

    /** {@code vm.prune}: the VMs deleted. */
    public record Pruned(List<VmInfo> deleted) {
    }

    /**
     * {@code identity_file} serves its owner (the daemon's user); members of group banger use {@code group_identity_file}.
     * {@code workspace} is the guest path of the last ship (null when none): {@code vm exec}'s default directory.
     */
    public record SshInfo(String name, String ip, int port, String user, String identityFile, String groupIdentityFile,
                          String knownHostsFile, String workspace) {
    }

    /**
     * One listening port. {@code endpoint} is {@code NAME.vm:PORT} when the host can reach it (bound
     * to a wildcard or a non-loopback address), else {@code ADDRESS:PORT} inside the guest;
     * {@code url} is {@code http://NAME.vm:PORT/} when it answered HTTP, else null.
     */
    public record Port(String proto, int port, List<String> addresses, String process, List<Long> pids, String endpoint,
                       String url) {
    }

    /** The listening ports of one running VM, and its published host ports ({@code 127.0.0.1:8080:80/tcp}). */
    public record PortsInfo(String name, List<Port> ports, List<String> forwards) {
    }

    /** {@code vm.forward.add} / {@code vm.forward.remove}: the VM and one {@code [HOST_IP:]HOST_PORT:GUEST_PORT[/proto]}. */
    public record ForwardParams(String name, String spec) {
    }

    /** A VM's published ports as {@code 127.0.0.1:8080:80/tcp}. */
    public record ForwardsInfo(String name, List<String> forwards) {
    }

    static final Shape<VmInfo.Runtime> RUNTIME = Shape.of(VmInfo.Runtime.class, v -> new VmInfo.Runtime(v.next(), v.next(),
                    v.next(), v.next(), v.next(), v.next(), v.next(), v.next()))
            .field("hypervisor", STRING, VmInfo.Runtime::hypervisor)
            .field("accel", STRING, VmInfo.Runtime::accel)
            .field("pid", LONG_OR_ZERO, VmInfo.Runtime::pid)
            .field("tap", STRING, VmInfo.Runtime::tap)
            .field("console_log", STRING, VmInfo.Runtime::consoleLog)
            .field("root_disk", STRING, VmInfo.Runtime::rootDisk)
            .field("work_disk", STRING, VmInfo.Runtime::workDisk)
            .field("started_at", INSTANT, VmInfo.Runtime::startedAt);

    public static final Shape<VmInfo> VM = Shape.named("vm", VmInfo.class, v -> new VmInfo(v.next(), v.next(), v.next(), v.next(),
                    v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(),
                    v.next(), v.next()))
            .field("id", STRING, VmInfo::id)
            .field("name", STRING, VmInfo::name)
            .field("state", STRING, VmInfo::state)
            .field("image_id", STRING, VmInfo::imageId)
            .field("image_name", STRING, VmInfo::imageName)
            .field("vcpu", INT_OR_ZERO, VmInfo::vcpu)
            .field("memory_mib", INT_OR_ZERO, VmInfo::memoryMib)
            .field("disk_bytes", LONG_OR_ZERO, VmInfo::diskBytes)
            .field("guest_ip", STRING, VmInfo::guestIp)
            .field("mac", STRING, VmInfo::mac)
            .field("nat", FLAG, VmInfo::nat)
            .field("isolate", FLAG, VmInfo::isolate)
            .field("last_error", STRING, VmInfo::lastError)
            .field("created_at", INSTANT, VmInfo::createdAt)
            .field("updated_at", INSTANT, VmInfo::updatedAt)
            .field("runtime", RUNTIME, VmInfo::runtime)
            .optional("from_snapshot", STRING, VmInfo::fromSnapshot)
            .optional("template_id", STRING, VmInfo::templateId);

    static final Shape<CreateParams> CREATE_PARAMS = Shape.of(CreateParams.class, v -> new CreateParams(v.next(), v.next(),
                    v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next()))
            .optional("name", STRING, CreateParams::name)
            .optional("image", STRING, CreateParams::image)
            .optional("kernel", STRING, CreateParams::kernel)
            .optional("vcpu", INT, CreateParams::vcpu)
            .optional("memory", STRING, CreateParams::memory)
            .optional("disk_size", STRING, CreateParams::diskSize)
            .optional("no_start", BOOLEAN, CreateParams::noStart)
            .optional("nat", BOOLEAN, CreateParams::nat)
            .optional("isolate", BOOLEAN, CreateParams::isolate)
            .optional("ports", listOf(STRING), CreateParams::ports)
            .optional("from_snapshot", STRING, CreateParams::fromSnapshot)
            .optional("cold", BOOLEAN, CreateParams::cold);

    static final Shape<DeleteParams> DELETE_PARAMS = Shape.of(DeleteParams.class, v -> new DeleteParams(v.next(), v.next()))
            .field("name", STRING, DeleteParams::name)
            .optional("force", BOOLEAN, DeleteParams::force);

    static final Shape<SetParams> SET_PARAMS = Shape.of(SetParams.class, v -> new SetParams(v.next(), v.next(), v.next(), v.next(),
                    v.next(), v.next()))
            .field("name", STRING, SetParams::name)
            .optional("vcpu", INT, SetParams::vcpu)
            .optional("memory", STRING, SetParams::memory)
            .optional("disk_size", STRING, SetParams::diskSize)
            .optional("nat", BOOLEAN, SetParams::nat)
            .optional("isolate", BOOLEAN, SetParams::isolate);

    static final Shape<LogsParams> LOGS_PARAMS = Shape.of(LogsParams.class, v -> new LogsParams(v.next(), v.next()))
            .field("name", STRING, LogsParams::name)
            .optional("lines", INT, LogsParams::lines);

    static final Shape<Logs> LOGS_RESULT = Shape.of(Logs.class, v -> new Logs(v.next(), v.next(), v.next()))
            .field("name", STRING, Logs::name)
            .field("path", STRING, Logs::path)
            .field("lines", listOf(STRING), Logs::lines);

    static final Shape<ListParams> LIST_PARAMS = Shape.of(ListParams.class, v -> new ListParams(v.next()))
            .optional("templates", BOOLEAN, ListParams::templates);

    static final Shape<VmList> VM_LIST = Shape.of(VmList.class, v -> new VmList(v.next()))
            .field("vms", listOf(VM), VmList::vms);

    static final Shape<Pruned> PRUNED = Shape.of(Pruned.class, v -> new Pruned(v.next()))
            .field("deleted", listOf(VM), Pruned::deleted);

    static final Shape<SshInfo> SSH_INFO = Shape.of(SshInfo.class, v -> new SshInfo(v.next(), v.next(), v.next(), v.next(),
                    v.next(), v.next(), v.next(), v.next()))
            .field("name", STRING, SshInfo::name)
            .field("ip", STRING, SshInfo::ip)
            .field("port", INT_OR_ZERO, SshInfo::port)
            .field("user", STRING, SshInfo::user)
            .field("identity_file", STRING, SshInfo::identityFile)
            .field("group_identity_file", STRING, SshInfo::groupIdentityFile)
            .field("known_hosts_file", STRING, SshInfo::knownHostsFile)
            .field("workspace", STRING, SshInfo::workspace);

    static final Shape<Port> PORT = Shape.of(Port.class, v -> new Port(v.next(), v.next(), v.next(), v.next(), v.next(), v.next(),
                    v.next()))
            .field("proto", STRING, Port::proto)
            .field("port", INT_OR_ZERO, Port::port)
            .field("addresses", listOf(STRING), Port::addresses)
            .field("process", STRING, Port::process)
            .field("pids", listOf(LONG), Port::pids)
            .field("endpoint", STRING, Port::endpoint)
            .field("url", STRING, Port::url);

    static final Shape<PortsInfo> PORTS = Shape.of(PortsInfo.class, v -> new PortsInfo(v.next(), v.next(), v.next()))
            .field("name", STRING, PortsInfo::name)
            .field("ports", listOf(PORT), PortsInfo::ports)
            .field("forwards", listOf(STRING), PortsInfo::forwards);

    static final Shape<ForwardParams> FORWARD_PARAMS = Shape.of(ForwardParams.class, v -> new ForwardParams(v.next(), v.next()))
            .field("name", STRING, ForwardParams::name)
            .field("spec", STRING, ForwardParams::spec);

    static final Shape<ForwardsInfo> FORWARDS = Shape.of(ForwardsInfo.class, v -> new ForwardsInfo(v.next(), v.next()))
            .field("name", STRING, ForwardsInfo::name)
            .field("forwards", listOf(STRING), ForwardsInfo::forwards);

    public static final RpcMethod<CreateParams, VmInfo> CREATE = RpcMethod.tracked(Methods.VM_CREATE, CREATE_PARAMS, VM);
    public static final RpcMethod<NameParams, VmInfo> START = RpcMethod.tracked(Methods.VM_START, NameParams.SHAPE, VM);
    public static final RpcMethod<NameParams, VmInfo> STOP = RpcMethod.tracked(Methods.VM_STOP, NameParams.SHAPE, VM);
    public static final RpcMethod<NameParams, VmInfo> RESTART = RpcMethod.tracked(Methods.VM_RESTART, NameParams.SHAPE, VM);
    public static final RpcMethod<NameParams, VmInfo> KILL = RpcMethod.tracked(Methods.VM_KILL, NameParams.SHAPE, VM);
    public static final RpcMethod<NameParams, VmInfo> PAUSE = RpcMethod.tracked(Methods.VM_PAUSE, NameParams.SHAPE, VM);
    public static final RpcMethod<NameParams, VmInfo> RESUME = RpcMethod.tracked(Methods.VM_RESUME, NameParams.SHAPE, VM);
    public static final RpcMethod<DeleteParams, VmInfo> DELETE = RpcMethod.tracked(Methods.VM_DELETE, DELETE_PARAMS, VM);
    public static final RpcMethod<ListParams, VmList> LIST = RpcMethod.untracked(Methods.VM_LIST, LIST_PARAMS, VM_LIST);
    public static final RpcMethod<NameParams, VmInfo> SHOW = RpcMethod.untracked(Methods.VM_SHOW, NameParams.SHAPE, VM);
    public static final RpcMethod<LogsParams, Logs> LOGS = RpcMethod.untracked(Methods.VM_LOGS, LOGS_PARAMS, LOGS_RESULT);
    public static final RpcMethod<SetParams, VmInfo> SET = RpcMethod.tracked(Methods.VM_SET, SET_PARAMS, VM);
    public static final RpcMethod<NoParams, Pruned> PRUNE = RpcMethod.tracked(Methods.VM_PRUNE, NoParams.SHAPE, PRUNED);
    public static final RpcMethod<NameParams, SshInfo> SSH = RpcMethod.untracked(Methods.VM_SSH, NameParams.SHAPE, SSH_INFO);
    public static final RpcMethod<NameParams, PortsInfo> PORTS_LIST = RpcMethod.tracked(Methods.VM_PORTS, NameParams.SHAPE, PORTS);
    public static final RpcMethod<ForwardParams, ForwardsInfo> FORWARD_ADD =
            RpcMethod.tracked(Methods.VM_FORWARD_ADD, FORWARD_PARAMS, FORWARDS);
    public static final RpcMethod<ForwardParams, ForwardsInfo> FORWARD_REMOVE =
            RpcMethod.tracked(Methods.VM_FORWARD_REMOVE, FORWARD_PARAMS, FORWARDS);
    public static final RpcMethod<NameParams, ForwardsInfo> FORWARD_LIST =
            RpcMethod.untracked(Methods.VM_FORWARD_LIST, NameParams.SHAPE, FORWARDS);
}
