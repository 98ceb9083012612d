package dev.banger.cli.console;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The subset of Go templates that `docker ps --format` users write: {@code {{.Field}}} placeholders
 * between literal text, {@code \t} and {@code \n} as tab and newline. One line per row.
 */
public final class RowTemplate {

    /** Literal text, or the field a placeholder names. */
    private record Part(String text, boolean field) {
    }

    private final List<Part> parts;

    private RowTemplate(List<Part> parts) {
        this.parts = parts;
    }

    /** The template, its fields checked against {@code fields}; what is wrong named otherwise. */
    public static RowTemplate parse(String template, List<String> fields) {
        List<Part> parts = new ArrayList<>();
        String rest = template.replace("\\t", "\t").replace("\\n", "\n");
        while (!rest.isEmpty()) {
            int open = rest.indexOf("{{");
            if (open < 0) {
                parts.add(new Part(rest, false));
                break;
            }
            int close = rest.indexOf("}}", open);
            if (close < 0) {
                throw new IllegalArgumentException("--format '" + template + "': '{{' without '}}'");
            }
            parts.add(new Part(rest.substring(0, open), false));
            String name = rest.substring(open + 2, close).strip();
            String field = fields.stream().filter(f -> ("." + f).equalsIgnoreCase(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("--format '" + template + "': unknown field '" + name
                            + "'; the fields are ." + String.join(", .", fields)));
            parts.add(new Part(field, true));
            rest = rest.substring(close + 2);
        }
        return new RowTemplate(parts);
    }

    /** One row: {@code values} by field name; a missing value prints as an empty string. */
    public String render(Map<String, ?> values) {
        StringBuilder b = new StringBuilder();
        for (Part p : parts) {
            b.append(p.field() ? String.valueOf(values.get(p.text()) == null ? "" : values.get(p.text())) : p.text());
        }
        return b.toString();
    }
}
