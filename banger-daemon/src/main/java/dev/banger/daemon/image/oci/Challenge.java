package dev.banger.daemon.image.oci;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One {@code WWW-Authenticate} challenge (RFC 9110 section 11.6.1), e.g.
 * {@code Bearer realm="https://auth.example/token",service="example",scope="repository:a/b:pull"}.
 * Scheme and parameter names are lower-cased; quoted values may contain commas.
 */
record Challenge(String scheme, Map<String, String> params) {

    static List<Challenge> parse(List<String> headerValues) {
        List<Challenge> out = new ArrayList<>();
        for (String v : headerValues) {
            parseInto(v, out);
        }
        return out;
    }

    String param(String name) {
        return params.get(name);
    }

    private static void parseInto(String s, List<Challenge> out) {
        int[] pos = {0};
        while (true) {
            skip(s, pos, " \t,");
            String scheme = token(s, pos);
            if (scheme.isEmpty()) {
                return;
            }
            Map<String, String> params = new LinkedHashMap<>();
            while (true) {
                skip(s, pos, " \t");
                int mark = pos[0];
                String name = token(s, pos);
                skip(s, pos, " \t");
                if (name.isEmpty() || pos[0] >= s.length() || s.charAt(pos[0]) != '=') {
                    pos[0] = mark; // the next challenge's scheme, or the end
                    break;
                }
                pos[0]++;
                skip(s, pos, " \t");
                params.put(name.toLowerCase(Locale.ROOT), s.startsWith("\"", pos[0]) ? quoted(s, pos) : token(s, pos));
                skip(s, pos, " \t");
                if (pos[0] < s.length() && s.charAt(pos[0]) == ',') {
                    pos[0]++;
                }
            }
            out.add(new Challenge(scheme.toLowerCase(Locale.ROOT), params));
            if (pos[0] >= s.length()) {
                return;
            }
        }
    }

    private static void skip(String s, int[] pos, String chars) {
        while (pos[0] < s.length() && chars.indexOf(s.charAt(pos[0])) >= 0) {
            pos[0]++;
        }
    }

    private static String token(String s, int[] pos) {
        int start = pos[0];
        while (pos[0] < s.length() && " \t,=\"".indexOf(s.charAt(pos[0])) < 0) {
            pos[0]++;
        }
        return s.substring(start, pos[0]);
    }

    private static String quoted(String s, int[] pos) {
        StringBuilder b = new StringBuilder();
        pos[0]++; // opening quote
        while (pos[0] < s.length()) {
            char c = s.charAt(pos[0]++);
            if (c == '"') {
                break;
            }
            if (c == '\\' && pos[0] < s.length()) {
                c = s.charAt(pos[0]++);
            }
            b.append(c);
        }
        return b.toString();
    }
}
