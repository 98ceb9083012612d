package dev.banger.daemon.image.oci;

/** An OCI content descriptor: what a manifest says about a blob. */
public record Descriptor(String mediaType, String digest, long size) {
}
