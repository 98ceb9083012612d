package dev.banger.core.api;

import static dev.banger.core.api.WireType.BOOLEAN;
import static dev.banger.core.api.WireType.FLAG;
import static dev.banger.core.api.WireType.INSTANT;
import static dev.banger.core.api.WireType.INT_OR_ZERO;
import static dev.banger.core.api.WireType.LONG_OR_ZERO;
import static dev.banger.core.api.WireType.STRING;
import static dev.banger.core.api.WireType.listOf;

import dev.banger.core.model.SnapshotInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.Methods;
import java.util.List;

/** The vm.snapshot.* methods and vm.restore: live snapshots of running VMs (docs/rpc.md has the prose). */
public final class SnapshotApi {

    private SnapshotApi() {
    }

    /** {@code name}: the VM; {@code snapshot}: the snapshot's name (create: optional, made from the VM's name and the time). */
    public record SnapshotParams(String name, String snapshot) {
    }

    /** {@code name}: one VM's snapshots (optional); {@code templates}: list the warm-start templates too. */
    public record ListParams(String name, Boolean templates) {
    }

    /** {@code vm.snapshot.list}: every snapshot, or one VM's, oldest first. */
    public record SnapshotList(List<SnapshotInfo> snapshots) {
    }

    public static final Shape<SnapshotInfo> SNAPSHOT = Shape.named("snapshot", SnapshotInfo.class, v -> new SnapshotInfo(v.next(),
                    v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(),
                    v.next(), v.next(), v.next()))
            .field("id", STRING, SnapshotInfo::id)
            .field("name", STRING, SnapshotInfo::name)
            .field("vm_id", STRING, SnapshotInfo::vmId)
            .field("vm_name", STRING, SnapshotInfo::vmName)
            .field("image_id", STRING, SnapshotInfo::imageId)
            .field("vcpu", INT_OR_ZERO, SnapshotInfo::vcpu)
            .field("memory_mib", INT_OR_ZERO, SnapshotInfo::memoryMib)
            .field("disk_bytes", LONG_OR_ZERO, SnapshotInfo::diskBytes)
            .field("hypervisor", STRING, SnapshotInfo::hypervisor)
            .field("state_format", STRING, SnapshotInfo::stateFormat)
            .field("state_bytes", LONG_OR_ZERO, SnapshotInfo::stateBytes)
            .field("size_bytes", LONG_OR_ZERO, SnapshotInfo::sizeBytes)
            .field("pause_millis", LONG_OR_ZERO, SnapshotInfo::pauseMillis)
            .field("created_at", INSTANT, SnapshotInfo::createdAt)
            .field("vm_deleted", FLAG, SnapshotInfo::vmDeleted);

    static final Shape<SnapshotParams> CREATE_PARAMS = Shape.of(SnapshotParams.class, v -> new SnapshotParams(v.next(), v.next()))
            .field("name", STRING, SnapshotParams::name)
            .optional("snapshot", STRING, SnapshotParams::snapshot);

    static final Shape<SnapshotParams> RESTORE_PARAMS = Shape.of(SnapshotParams.class, v -> new SnapshotParams(v.next(), v.next()))
            .field("name", STRING, SnapshotParams::name)
            .field("snapshot", STRING, SnapshotParams::snapshot);

    /** The VM is optional here: without it, every VM's snapshots. */
    static final Shape<ListParams> LIST_PARAMS = Shape.of(ListParams.class, v -> new ListParams(v.next(), v.next()))
            .optional("name", STRING, ListParams::name)
            .optional("templates", BOOLEAN, ListParams::templates);

    static final Shape<SnapshotList> SNAPSHOT_LIST = Shape.of(SnapshotList.class, v -> new SnapshotList(v.next()))
            .field("snapshots", listOf(SNAPSHOT), SnapshotList::snapshots);

    public static final RpcMethod<SnapshotParams, SnapshotInfo> CREATE =
            RpcMethod.tracked(Methods.VM_SNAPSHOT_CREATE, CREATE_PARAMS, SNAPSHOT);
    public static final RpcMethod<ListParams, SnapshotList> LIST =
            RpcMethod.untracked(Methods.VM_SNAPSHOT_LIST, LIST_PARAMS, SNAPSHOT_LIST);
    public static final RpcMethod<NameParams, SnapshotInfo> DELETE =
            RpcMethod.tracked(Methods.VM_SNAPSHOT_DELETE, NameParams.SHAPE, SNAPSHOT);
    public static final RpcMethod<SnapshotParams, VmInfo> RESTORE =
            RpcMethod.tracked(Methods.VM_RESTORE, RESTORE_PARAMS, VmApi.VM);
}
