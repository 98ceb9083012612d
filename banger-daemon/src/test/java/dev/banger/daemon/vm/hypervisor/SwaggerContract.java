package dev.banger.daemon.vm.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Firecracker's API contract (the Swagger 2.0 file in {@code ../shared/firecracker}) as a request
 * checker: the method and path must be an operation of the contract, path parameters present, and
 * the body must validate against the operation's body schema. The subset of Swagger schemas the
 * file uses is checked: {@code $ref}, {@code type}, {@code required}, {@code properties},
 * {@code additionalProperties}, {@code items}, {@code enum}, {@code minimum}, {@code maximum}.
 * A property a definition does not declare is a violation unless it states
 * {@code additionalProperties}: Firecracker's parser refuses unknown fields (serde's
 * deny_unknown_fields), so the contract is read that strictly.
 */
final class SwaggerContract {

    private final JsonNode spec;

    private SwaggerContract(JsonNode spec) {
        this.spec = spec;
    }

    static SwaggerContract load(Path yaml) throws IOException {
        return new SwaggerContract(new ObjectMapper(new YAMLFactory()).readTree(Files.readString(yaml)));
    }

    /** Names the contract file when it is not in {@code ../shared/firecracker} beside the project. */
    static final String LOCATION_PROPERTY = "banger.firecracker.api";

    /**
     * The contract file: the system property {@value #LOCATION_PROPERTY} or the environment variable
     * {@code BANGER_FIRECRACKER_API}, else {@code ../shared/firecracker/firecracker-api.yaml} beside the
     * project's root. Where there is none (a plain clone of the repository), the calling test is
     * skipped with the reason, not failed: the contract is Firecracker's file, not the project's.
     */
    static Path locate() {
        String named = System.getProperty(LOCATION_PROPERTY, System.getenv("BANGER_FIRECRACKER_API"));
        if (named != null && !named.isBlank()) {
            Path file = Path.of(named);
            if (!Files.isRegularFile(file)) {
                throw new IllegalStateException(LOCATION_PROPERTY + "/BANGER_FIRECRACKER_API names " + file + ", which is not a file");
            }
            return file;
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolveSibling("shared").resolve("firecracker").resolve("firecracker-api.yaml");
            if (Files.exists(dir.resolve("ARCHITECTURE.md")) && Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        Assumptions.abort("Firecracker's API contract (firecracker-api.yaml) is not in ../shared/firecracker beside "
                + "the project: the Firecracker contract tests are skipped. Point BANGER_FIRECRACKER_API (or -D"
                + LOCATION_PROPERTY + ") at a copy of Firecracker's src/firecracker/swagger/firecracker.yaml to run them.");
        throw new AssertionError("unreachable");
    }

    /** The operation for this request, or empty when the contract has none. */
    Optional<JsonNode> operation(String method, String path) {
        for (Iterator<Map.Entry<String, JsonNode>> it = spec.path("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            String regex = p.getKey().replaceAll("\\{[^}]+}", "[^/]+");
            if (path.matches(regex) && p.getValue().has(method.toLowerCase(Locale.ROOT))) {
                return Optional.of(p.getValue().get(method.toLowerCase(Locale.ROOT)));
            }
        }
        return Optional.empty();
    }

    /** What the contract has against this request; empty when it accepts it. {@code body} null when none was sent. */
    List<String> violations(String method, String path, JsonNode body) {
        List<String> errors = new ArrayList<>();
        Optional<JsonNode> op = operation(method, path);
        if (op.isEmpty()) {
            errors.add(method + " " + path + " is not an operation of the contract");
            return errors;
        }
        JsonNode bodyParam = null;
        for (JsonNode param : op.get().path("parameters")) {
            if ("body".equals(param.path("in").asText())) {
                bodyParam = param;
            }
        }
        if (bodyParam == null) {
            if (body != null) {
                errors.add(method + " " + path + " takes no body");
            }
            return errors;
        }
        if (body == null) {
            if (bodyParam.path("required").asBoolean(false)) {
                errors.add(method + " " + path + " needs a body");
            }
            return errors;
        }
        validate(bodyParam.get("schema"), body, "body", errors);
        return errors;
    }

    /** The fields a definition ("SnapshotLoadParams") lists as required. */
    List<String> required(String definition) {
        List<String> fields = new ArrayList<>();
        spec.path("definitions").path(definition).path("required").forEach(f -> fields.add(f.asText()));
        return fields;
    }

    /** The success status of an operation: 204 for a PUT or PATCH that declares it, else 200. */
    int successStatus(JsonNode operation) {
        return operation.path("responses").has("204") ? 204 : 200;
    }

    private void validate(JsonNode schema, JsonNode value, String where, List<String> errors) {
        schema = resolve(schema);
        String type = schema.path("type").asText(schema.has("properties") ? "object" : "");
        switch (type) {
            case "object" -> {
                if (!value.isObject()) {
                    errors.add(where + " must be an object, got " + value.getNodeType());
                    return;
                }
                for (JsonNode required : schema.path("required")) {
                    if (!value.has(required.asText())) {
                        errors.add(where + " lacks the required field " + required.asText());
                    }
                }
                JsonNode properties = schema.path("properties");
                for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    if (properties.has(f.getKey())) {
                        validate(properties.get(f.getKey()), f.getValue(), where + "." + f.getKey(), errors);
                    } else if (schema.has("additionalProperties")) {
                        validate(schema.get("additionalProperties"), f.getValue(), where + "." + f.getKey(), errors);
                    } else {
                        errors.add(where + " has the field " + f.getKey() + ", which the contract does not declare");
                    }
                }
            }
            case "array" -> {
                if (!value.isArray()) {
                    errors.add(where + " must be an array, got " + value.getNodeType());
                    return;
                }
                for (int i = 0; i < value.size(); i++) {
                    validate(schema.path("items"), value.get(i), where + "[" + i + "]", errors);
                }
            }
            case "string" -> {
                if (!value.isTextual()) {
                    errors.add(where + " must be a string, got " + value.getNodeType());
                }
            }
            case "integer" -> {
                if (!value.isIntegralNumber()) {
                    errors.add(where + " must be an integer, got " + value.getNodeType());
                    return;
                }
                if (schema.has("minimum") && value.asLong() < schema.get("minimum").asLong()) {
                    errors.add(where + " is " + value.asLong() + ", below the minimum " + schema.get("minimum").asLong());
                }
                if (schema.has("maximum") && value.asLong() > schema.get("maximum").asLong()) {
                    errors.add(where + " is " + value.asLong() + ", above the maximum " + schema.get("maximum").asLong());
                }
            }
            case "number" -> {
                if (!value.isNumber()) {
                    errors.add(where + " must be a number, got " + value.getNodeType());
                }
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    errors.add(where + " must be a boolean, got " + value.getNodeType());
                }
            }
            default -> {
                // No type: anything goes (the contract has no such schema today).
            }
        }
        if (schema.has("enum")) {
            boolean listed = false;
            for (JsonNode allowed : schema.get("enum")) {
                listed |= allowed.asText().equals(value.asText());
            }
            if (!listed) {
                errors.add(where + " is " + value + ", not one of " + schema.get("enum"));
            }
        }
    }

    private JsonNode resolve(JsonNode schema) {
        while (schema.has("$ref")) {
            String ref = schema.get("$ref").asText();
            if (!ref.startsWith("#/definitions/")) {
                throw new IllegalStateException("unsupported $ref " + ref);
            }
            schema = spec.path("definitions").path(ref.substring("#/definitions/".length()));
            if (schema.isMissingNode()) {
                throw new IllegalStateException("the contract has no definition " + ref);
            }
        }
        return schema;
    }
}
