package dev.banger.daemon.image.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.banger.core.rpc.BangerException;
import java.util.Set;

/**
 * A bundle's {@code manifest.json}: {@code {"name", "distro", "arch", "kernel_ref"}}. Unknown keys
 * are refused (a misspelt {@code kernel_ref} would otherwise give an image without a kernel);
 * {@code arch} is amd64 (also spelt x86_64) or absent; {@code name} and {@code kernel_ref} are checked
 * by the importer, which knows the naming rules and the kernels.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BundleManifest(String name, String distro, String arch, String kernelRef) {

    public static final int MAX_BYTES = 64 * 1024;
    private static final Set<String> AMD64 = Set.of("amd64", "x86_64");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /** Parses and checks the architecture; a malformed manifest is {@code bad_request}. */
    public static BundleManifest parse(byte[] json) {
        BundleManifest m;
        try {
            m = JSON.readValue(json, BundleManifest.class);
        } catch (JacksonException e) {
            throw BangerException.badRequest("bundle manifest.json is not valid: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw BangerException.badRequest("bundle manifest.json cannot be read: " + e.getMessage());
        }
        if (m == null) {
            throw BangerException.badRequest("bundle manifest.json is empty");
        }
        if (m.arch() != null && !AMD64.contains(m.arch())) {
            throw BangerException.badRequest("bundle is for arch '" + m.arch() + "'; banger runs amd64 guests");
        }
        return m;
    }

    /** The architecture as images record it (OCI's spelling). */
    public String normalizedArch() {
        return "amd64";
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot write a manifest", e);
        }
    }
}
