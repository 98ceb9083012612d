package dev.banger.core.api;

import static dev.banger.core.api.WireType.FLAG;
import static dev.banger.core.api.WireType.INSTANT;
import static dev.banger.core.api.WireType.INT;
import static dev.banger.core.api.WireType.INT_OR_ZERO;
import static dev.banger.core.api.WireType.LONG_OR_ZERO;
import static dev.banger.core.api.WireType.STRING;
import static dev.banger.core.api.WireType.listOf;

import dev.banger.core.model.DoctorCheck;
import dev.banger.core.model.OperationInfo;
import dev.banger.core.model.PingResult;
import dev.banger.core.model.VersionInfo;
import dev.banger.core.rpc.Methods;
import java.util.List;

/** The daemon's own methods (ping, version, shutdown, operations, doctor, ssh.config): params and results. */
public final class SystemApi {

    private SystemApi() {
    }

    /** {@code shutdown}: always true; the daemon stops after answering. */
    public record Stopping(boolean stopping) {
    }

    public record OperationsListParams(Integer limit) {
    }

    /** {@code daemon.operations.list}: running first, then newest first. */
    public record OperationList(List<OperationInfo> operations) {
    }

    /** The answer of {@code doctor} and {@code bangerd doctor --json}: the rows and who ran them. */
    public record DoctorReport(String ranAs, List<DoctorCheck> checks) {
    }

    /** What a {@code Host *.vm} block in the user's ssh_config needs: banger's key (two copies, as in vm.ssh) and known_hosts. */
    public record SshConfigInfo(String user, String identityFile, String groupIdentityFile, String knownHostsFile) {
    }

    static final Shape<PingResult> PING_RESULT = Shape.of(PingResult.class, v -> new PingResult(v.next(), v.next(), v.next()))
            .field("version", STRING, PingResult::version)
            .field("pid", LONG_OR_ZERO, PingResult::pid)
            .field("uptime_ms", LONG_OR_ZERO, PingResult::uptimeMs);

    static final Shape<VersionInfo> VERSION_INFO = Shape.of(VersionInfo.class, v -> new VersionInfo(v.next(), v.next(), v.next(),
                    v.next()))
            .field("version", STRING, VersionInfo::version)
            .field("commit", STRING, VersionInfo::commit)
            .field("built", STRING, VersionInfo::built)
            .field("protocol", INT_OR_ZERO, VersionInfo::protocol);

    static final Shape<Stopping> STOPPING = Shape.of(Stopping.class, v -> new Stopping(v.next()))
            .field("stopping", FLAG, Stopping::stopping);

    static final Shape<OperationsListParams> OPERATIONS_PARAMS = Shape.of(OperationsListParams.class,
                    v -> new OperationsListParams(v.next()))
            .optional("limit", INT, OperationsListParams::limit);

    static final Shape<OperationInfo> OPERATION = Shape.of(OperationInfo.class, v -> new OperationInfo(v.next(), v.next(), v.next(),
                    v.next(), v.next(), v.next(), v.next()))
            .field("id", STRING, OperationInfo::id)
            .field("method", STRING, OperationInfo::method)
            .field("state", STRING, OperationInfo::state)
            .field("peer", STRING, OperationInfo::peer)
            .field("started_at", INSTANT, OperationInfo::startedAt)
            .field("finished_at", INSTANT, OperationInfo::finishedAt)
            .field("error", STRING, OperationInfo::error);

    static final Shape<OperationList> OPERATION_LIST = Shape.of(OperationList.class, v -> new OperationList(v.next()))
            .field("operations", listOf(OPERATION), OperationList::operations);

    static final Shape<DoctorCheck> CHECK = Shape.of(DoctorCheck.class, v -> new DoctorCheck(v.next(), v.next(), v.next(), v.next()))
            .field("name", STRING, DoctorCheck::name)
            .field("status", STRING, DoctorCheck::status)
            .field("details", listOf(STRING), DoctorCheck::details)
            .field("fix", listOf(STRING), DoctorCheck::fix);

    static final Shape<DoctorReport> DOCTOR_REPORT = Shape.of(DoctorReport.class, v -> new DoctorReport(v.next(), v.next()))
            .field("ran_as", STRING, DoctorReport::ranAs)
            .field("checks", listOf(CHECK), DoctorReport::checks);

    static final Shape<SshConfigInfo> SSH_CONFIG_INFO = Shape.of(SshConfigInfo.class, v -> new SshConfigInfo(v.next(), v.next(),
                    v.next(), v.next()))
            .field("user", STRING, SshConfigInfo::user)
            .field("identity_file", STRING, SshConfigInfo::identityFile)
            .field("group_identity_file", STRING, SshConfigInfo::groupIdentityFile)
            .field("known_hosts_file", STRING, SshConfigInfo::knownHostsFile);

    public static final RpcMethod<NoParams, PingResult> PING = RpcMethod.untracked(Methods.PING, NoParams.SHAPE, PING_RESULT);
    public static final RpcMethod<NoParams, VersionInfo> VERSION = RpcMethod.untracked(Methods.VERSION, NoParams.SHAPE, VERSION_INFO);
    public static final RpcMethod<NoParams, Stopping> SHUTDOWN = RpcMethod.tracked(Methods.SHUTDOWN, NoParams.SHAPE, STOPPING);
    public static final RpcMethod<OperationsListParams, OperationList> OPERATIONS_LIST =
            RpcMethod.untracked(Methods.OPERATIONS_LIST, OPERATIONS_PARAMS, OPERATION_LIST);
    public static final RpcMethod<NoParams, DoctorReport> DOCTOR = RpcMethod.untracked(Methods.DOCTOR, NoParams.SHAPE, DOCTOR_REPORT);
    public static final RpcMethod<NoParams, SshConfigInfo> SSH_CONFIG =
            RpcMethod.untracked(Methods.SSH_CONFIG, NoParams.SHAPE, SSH_CONFIG_INFO);
}
