package dev.banger.core.api;

import static dev.banger.core.api.WireType.FLAG;
import static dev.banger.core.api.WireType.INSTANT;
import static dev.banger.core.api.WireType.LONG;
import static dev.banger.core.api.WireType.STRING;
import static dev.banger.core.api.WireType.listOf;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.Methods;
import java.util.List;

/** The kernel.* methods: their params and results (docs/rpc.md has the prose). */
public final class KernelApi {

    private KernelApi() {
    }

    /**
     * {@code kernel.import} params: exactly one of {@code from}, a prepared kernel directory (vmlinuz,
     * optional vmlinux, initrd.img, modules/), {@code deb}, a Debian linux-image package (both host
     * paths: root only), {@code from_stream}, the token of an uploaded tar of such a directory, and
     * {@code deb_stream}, the token of an uploaded package. {@code label}: with a stream, how its
     * source is recorded (the path the user named; never opened).
     */
    public record KernelImportParams(String name, String from, String version, String distro, String deb,
                                     String fromStream, String debStream, String label) {
        public KernelImportParams(String name, String from, String version, String distro, String deb) {
            this(name, from, version, distro, deb, null, null, null);
        }

        public KernelImportParams(String name, String from, String version, String distro) {
            this(name, from, version, distro, null);
        }
    }

    /** {@code kernel.list}: every kernel, by name. */
    public record KernelList(List<KernelInfo> kernels) {
    }

    /** {@code kernel.catalog}: {@code catalog} is "embedded" or the {@code kernel_catalog} file. */
    public record KernelCatalogList(String catalog, List<CatalogKernel> kernels) {
    }

    /**
     * A catalog entry; {@code imported}: a kernel of that name exists ({@code importedSha256} its sha256,
     * which differs when it is another build); {@code cached}: the artifact is in the download cache;
     * {@code package}: what apt fetches, for kind apt (which has no url or sha256).
     */
    public record CatalogKernel(String name, String kind, String version, String distro, String arch, String url,
                                String sha256, Long sizeBytes, String description, boolean imported, String importedSha256,
                                boolean cached, @JsonProperty("package") String aptPackage) {
    }

    public static final Shape<KernelInfo> KERNEL = Shape.named("kernel", KernelInfo.class, v -> new KernelInfo(v.next(), v.next(),
                    v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next()))
            .field("id", STRING, KernelInfo::id)
            .field("name", STRING, KernelInfo::name)
            .field("version", STRING, KernelInfo::version)
            .field("distro", STRING, KernelInfo::distro)
            .field("arch", STRING, KernelInfo::arch)
            .field("dir", STRING, KernelInfo::dir)
            .field("vmlinuz_path", STRING, KernelInfo::vmlinuzPath)
            .field("vmlinux_path", STRING, KernelInfo::vmlinuxPath)
            .field("initrd_path", STRING, KernelInfo::initrdPath)
            .field("modules_path", STRING, KernelInfo::modulesPath)
            .field("managed", FLAG, KernelInfo::managed)
            .field("source", STRING, KernelInfo::source)
            .field("sha256", STRING, KernelInfo::sha256)
            .field("created_at", INSTANT, KernelInfo::createdAt);

    static final Shape<KernelImportParams> IMPORT_PARAMS = Shape.of(KernelImportParams.class,
                    v -> new KernelImportParams(v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next()))
            .field("name", STRING, KernelImportParams::name)
            .optional("from", STRING, KernelImportParams::from)
            .optional("version", STRING, KernelImportParams::version)
            .optional("distro", STRING, KernelImportParams::distro)
            .optional("deb", STRING, KernelImportParams::deb)
            .optional("from_stream", STRING, KernelImportParams::fromStream)
            .optional("deb_stream", STRING, KernelImportParams::debStream)
            .optional("label", STRING, KernelImportParams::label);

    static final Shape<KernelList> KERNEL_LIST = Shape.of(KernelList.class, v -> new KernelList(v.next()))
            .field("kernels", listOf(KERNEL), KernelList::kernels);

    static final Shape<CatalogKernel> CATALOG_KERNEL = Shape.of(CatalogKernel.class, v -> new CatalogKernel(v.next(), v.next(),
                    v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next()))
            .field("name", STRING, CatalogKernel::name)
            .field("kind", STRING, CatalogKernel::kind)
            .field("version", STRING, CatalogKernel::version)
            .field("distro", STRING, CatalogKernel::distro)
            .field("arch", STRING, CatalogKernel::arch)
            .field("url", STRING, CatalogKernel::url)
            .field("sha256", STRING, CatalogKernel::sha256)
            .field("size_bytes", LONG, CatalogKernel::sizeBytes)
            .field("description", STRING, CatalogKernel::description)
            .field("imported", FLAG, CatalogKernel::imported)
            .field("imported_sha256", STRING, CatalogKernel::importedSha256)
            .field("cached", FLAG, CatalogKernel::cached)
            .field("package", STRING, CatalogKernel::aptPackage);

    static final Shape<KernelCatalogList> CATALOG = Shape.of(KernelCatalogList.class, v -> new KernelCatalogList(v.next(), v.next()))
            .field("catalog", STRING, KernelCatalogList::catalog)
            .field("kernels", listOf(CATALOG_KERNEL), KernelCatalogList::kernels);

    public static final RpcMethod<KernelImportParams, KernelInfo> IMPORT = RpcMethod.tracked(Methods.KERNEL_IMPORT, IMPORT_PARAMS, KERNEL);
    public static final RpcMethod<NoParams, KernelList> LIST = RpcMethod.untracked(Methods.KERNEL_LIST, NoParams.SHAPE, KERNEL_LIST);
    public static final RpcMethod<NameParams, KernelInfo> SHOW = RpcMethod.untracked(Methods.KERNEL_SHOW, NameParams.SHAPE, KERNEL);
    public static final RpcMethod<NameParams, KernelInfo> DELETE = RpcMethod.tracked(Methods.KERNEL_DELETE, NameParams.SHAPE, KERNEL);
    public static final RpcMethod<NoParams, KernelCatalogList> CATALOG_LIST =
            RpcMethod.untracked(Methods.KERNEL_CATALOG, NoParams.SHAPE, CATALOG);
    public static final RpcMethod<NameParams, KernelInfo> PULL = RpcMethod.tracked(Methods.KERNEL_PULL, NameParams.SHAPE, KERNEL);
}
