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
        String bad = fieldWithBadText(node, null);
        if (bad != null) {
            // No name, path, reference or size banger takes can hold these; refused here, before a
            // handler passes one to Path.of or a command line (which would fail without saying why).
            throw new InvalidParamsException(method + ": param '" + bad + "' is not valid text"
                    + " (it holds a NUL character or a lone UTF-16 surrogate)");
        }
        try {
            return mapper.treeToValue(node, type);
        } catch (UnrecognizedPropertyException e) {
            throw new InvalidParamsException(method + ": unknown param '" + e.getPropertyName() + "'");
        } catch (JacksonException e) {
            throw new InvalidParamsException(method + ": bad params: " + e.getOriginalMessage());
        }
    }

    /**
     * The first top-level field whose name, or any string inside it, holds a NUL or a lone
     * surrogate (JSON's \\u escapes can spell both; neither can be a file name or be encoded as
     * UTF-8); null when there is none. The name comes back printable.
     */
    private static String fieldWithBadText(JsonNode n, String field) {
        if (n.isTextual()) {
            return isBadText(n.textValue()) ? field : null;
        }
        for (var it = n.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            String top = field != null ? field : printable(e.getKey());
            if (isBadText(e.getKey())) {
                return top;
            }
            String found = fieldWithBadText(e.getValue(), top);
            if (found != null) {
                return found;
            }
        }
        if (n.isArray()) {
            for (JsonNode element : n) {
                String found = fieldWithBadText(element, field);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static boolean isBadText(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0 || Character.isLowSurrogate(c)) {
                return true;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return true;
                }
                i++;
            }
        }
        return false;
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        s.chars().forEach(c -> sb.append(c == 0 || Character.isSurrogate((char) c) ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return sb.toString();
    }

    /** For methods without params: any param given is a mistake worth reporting. */
    public void expectNone() {
        if (!(node.isObject() && node.isEmpty()) && !(node.isArray() && node.isEmpty())) {
            throw new InvalidParamsException(method + " takes no params");
        }
    }
}
