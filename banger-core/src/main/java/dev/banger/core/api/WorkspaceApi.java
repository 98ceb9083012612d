package dev.banger.core.api;

import static dev.banger.core.api.WireType.FLAG;
import static dev.banger.core.api.WireType.INSTANT;
import static dev.banger.core.api.WireType.LONG;
import static dev.banger.core.api.WireType.LONG_OR_ZERO;
import static dev.banger.core.api.WireType.STRING;
import static dev.banger.core.api.WireType.listOf;

import dev.banger.core.rpc.Methods;
import java.time.Instant;
import java.util.List;

/** The vm.workspace.* methods: their params and results (docs/rpc.md and docs/workspaces.md have the prose). */
public final class WorkspaceApi {

    private WorkspaceApi() {
    }

    /**
     * Params of {@code vm.workspace.prepare}.
     *
     * @param mode {@code full} (a fresh tree swapped in whole) or {@code update} (changed files and a deletion list)
     */
    public record PrepareParams(String name, String token, String guestPath, String mode, String head, String branch,
                                String manifestSha256, Long files) {
    }

    public record ExportParams(String name, String token) {
    }

    /**
     * What was last shipped into a VM (the daemon keeps it as {@code workspace.json} in the VM's dir).
     *
     * @param guestPath      the work tree in the guest
     * @param head           the host's HEAD commit shipped (the guest's HEAD)
     * @param branch         the branch HEAD named on the host, or null when detached
     * @param manifestSha256 SHA-256 of the manifest the CLI computed (path, mode, size, mtime of each file)
     * @param files          how many files the manifest lists
     * @param bytes          the size of the last ship's tar stream
     * @param git            whether the guest has git (export needs it)
     * @param shippedAt      when the last ship ended
     */
    public record ShipRecord(String guestPath, String head, String branch, String manifestSha256, long files, long bytes,
                             boolean git, Instant shippedAt) {
    }

    /** The last ship's manifest and what the guest changed since (for an incremental prepare). */
    public record ManifestInfo(String guestPath, String manifest, List<String> guestChanged, boolean headMoved) {
    }

    public record ExportInfo(String name, String guestPath, long bytes) {
    }

    static final Shape<PrepareParams> PREPARE_PARAMS = Shape.of(PrepareParams.class, v -> new PrepareParams(v.next(), v.next(),
                    v.next(), v.next(), v.next(), v.next(), v.next(), v.next()))
            .field("name", STRING, PrepareParams::name)
            .field("token", STRING, PrepareParams::token)
            .optional("guest_path", STRING, PrepareParams::guestPath)
            .optional("mode", STRING, PrepareParams::mode)
            .optional("head", STRING, PrepareParams::head)
            .optional("branch", STRING, PrepareParams::branch)
            .optional("manifest_sha256", STRING, PrepareParams::manifestSha256)
            .optional("files", LONG, PrepareParams::files);

    static final Shape<ExportParams> EXPORT_PARAMS = Shape.of(ExportParams.class, v -> new ExportParams(v.next(), v.next()))
            .field("name", STRING, ExportParams::name)
            .field("token", STRING, ExportParams::token);

    static final Shape<ShipRecord> SHIP_RECORD = Shape.of(ShipRecord.class, v -> new ShipRecord(v.next(), v.next(), v.next(),
                    v.next(), v.next(), v.next(), v.next(), v.next()))
            .field("guest_path", STRING, ShipRecord::guestPath)
            .field("head", STRING, ShipRecord::head)
            .field("branch", STRING, ShipRecord::branch)
            .field("manifest_sha256", STRING, ShipRecord::manifestSha256)
            .field("files", LONG_OR_ZERO, ShipRecord::files)
            .field("bytes", LONG_OR_ZERO, ShipRecord::bytes)
            .field("git", FLAG, ShipRecord::git)
            .field("shipped_at", INSTANT, ShipRecord::shippedAt);

    static final Shape<ManifestInfo> MANIFEST_INFO = Shape.of(ManifestInfo.class, v -> new ManifestInfo(v.next(), v.next(),
                    v.next(), v.next()))
            .field("guest_path", STRING, ManifestInfo::guestPath)
            .field("manifest", STRING, ManifestInfo::manifest)
            .field("guest_changed", listOf(STRING), ManifestInfo::guestChanged)
            .field("head_moved", FLAG, ManifestInfo::headMoved);

    static final Shape<ExportInfo> EXPORT_INFO = Shape.of(ExportInfo.class, v -> new ExportInfo(v.next(), v.next(), v.next()))
            .field("name", STRING, ExportInfo::name)
            .field("guest_path", STRING, ExportInfo::guestPath)
            .field("bytes", LONG_OR_ZERO, ExportInfo::bytes);

    public static final RpcMethod<PrepareParams, ShipRecord> PREPARE =
            RpcMethod.tracked(Methods.VM_WORKSPACE_PREPARE, PREPARE_PARAMS, SHIP_RECORD);
    public static final RpcMethod<NameParams, ManifestInfo> MANIFEST =
            RpcMethod.tracked(Methods.VM_WORKSPACE_MANIFEST, NameParams.SHAPE, MANIFEST_INFO);
    public static final RpcMethod<ExportParams, ExportInfo> EXPORT = RpcMethod.tracked(Methods.VM_WORKSPACE_EXPORT, EXPORT_PARAMS, EXPORT_INFO);
}
