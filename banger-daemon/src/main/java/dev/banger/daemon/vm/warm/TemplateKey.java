package dev.banger.daemon.vm.warm;

import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.daemon.fs.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a warm-start template must match to be restored in place of a boot: the image (id and
 * content), the kernel, the guest init banger injects, the machine (vCPUs, memory, work disk), the
 * hypervisor with its saved-state format, and banger's snapshot format. Any change gives another
 * key, so a stale template is never restored: a new one is built instead.
 *
 * @param digest the key as stored ({@code snapshots.template_key}): SHA-256 of the inputs, hex
 * @param inputs the inputs, one per line, for the log
 */
public record TemplateKey(String digest, String inputs) {

    public static TemplateKey of(ImageInfo image, KernelInfo kernel, String guestFiles, int vcpu, int memoryMib, long diskBytes,
                                 String hypervisor, String stateFormat, int snapshotFormat) {
        String inputs = String.join("\n",
                "image " + image.id() + " " + imageContent(image),
                "kernel " + kernel.id() + " " + kernel.sha256() + " " + kernel.vmlinuzPath() + " " + kernel.vmlinuxPath() + " "
                        + kernel.initrdPath(),
                "guest-files " + guestFiles,
                "machine " + vcpu + " vcpu " + memoryMib + " MiB " + diskBytes + " disk bytes",
                "hypervisor " + hypervisor + " " + stateFormat,
                "snapshot-format " + snapshotFormat);
        return new TemplateKey(Sha256.hex(inputs), inputs);
    }

    /**
     * The image's content: its digest where it has one (pulled, built); a registered image's
     * rootfs can change under the same id, so its size and modification time stand in.
     */
    private static String imageContent(ImageInfo image) {
        if (image.digest() != null && !image.digest().isBlank()) {
            return image.digest();
        }
        Path rootfs = Path.of(image.rootfsPath());
        try {
            return "rootfs " + Files.size(rootfs) + " " + Files.getLastModifiedTime(rootfs).toMillis();
        } catch (IOException e) {
            return "rootfs unreadable"; // the boot says why; a template of it is never restored
        }
    }
}
