package dev.banger.daemon.rpc;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/** A request's params, bound on demand to the record a handler expects. */
public final class Params {

    private final String method;
    private final JsonNode node;
    private final ObjectMapper mapper;

    Params(String method, JsonNode node, ObjectMapper mapper) {
        this.method = method;
        this.node = node == null || node.isNull() ? JsonNodeFactory.instance.objectNode() : node;
        this.mapper = mapper;
    }

    /** Binds the params object to {@code type}; unknown or mistyped fields are invalid params. */
    public <T> T as(Class<T> type) {
        if (!node.isObject()) {
            throw new InvalidParamsException(method + ": params must be an object");
        }
        String withNul = fieldWithNul(node, null);
        if (withNul != null) {
            // No name, path, reference or size banger takes can hold a NUL; refused here, before any
            // handler passes it to Path.of or a command line.
            throw new InvalidParamsException(method + ": param '" + withNul + "' contains a NUL character");
        }
        try {
            return mapper.treeToValue(node, type);
        } catch (UnrecognizedPropertyException e) {
            throw new InvalidParamsException(method + ": unknown param '" + e.getPropertyName() + "'");
        } catch (JacksonException e) {
            throw new InvalidParamsException(method + ": bad params: " + e.getOriginalMessage());
        }
    }

    /** The first field (by its top-level name) whose name or any string inside holds a NUL, or null. */
    private static String fieldWithNul(JsonNode n, String field) {
        if (n.isTextual()) {
            return n.textValue().indexOf('\0') >= 0 ? field : null;
        }
        for (var it = n.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            String top = field != null ? field : e.getKey();
            if (e.getKey().indexOf('\0') >= 0) {
                return top.replace("\0", "\\0");
            }
            String found = fieldWithNul(e.getValue(), top);
            if (found != null) {
                return found;
            }
        }
        if (n.isArray()) {
            for (JsonNode element : n) {
                String found = fieldWithNul(element, field);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** For methods without params: any param given is a mistake worth reporting. */
    public void expectNone() {
        if (!(node.isObject() && node.isEmpty()) && !(node.isArray() && node.isEmpty())) {
            throw new InvalidParamsException(method + " takes no params");
        }
    }
}
