package dev.banger.daemon.image;

import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;

/** An image and the kernel it boots, whose vmlinuz was there when it was looked up. */
public record BootableImage(ImageInfo image, KernelInfo kernel) {
}
