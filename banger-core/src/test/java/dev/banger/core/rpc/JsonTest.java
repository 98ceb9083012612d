package dev.banger.core.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

    @Test
    void nestedValuesSurviveARoundTrip() throws IOException {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("empty_map", Map.of());
        inner.put("empty_list", List.of());
        inner.put("nothing", null);
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("name", "héllo wörld ☃ 😀 日本");
        value.put("escapes", "quote \" backslash \\ newline \n tab \t nul \u0000 bell \u0007");
        value.put("int", 42);
        value.put("negative", -7);
        value.put("long", 12_345_678_901L);
        value.put("huge", new BigInteger("123456789012345678901234567890"));
        value.put("double", 3.25);
        value.put("tiny", 1.0e-300);
        value.put("yes", true);
        value.put("no", false);
        value.put("null", null);
        value.put("list", new ArrayList<>(Arrays.asList(1, "two", null, List.of(3.5, Map.of("k", "v")))));
        value.put("nested", inner);

        Object back = Json.parse(Json.write(value));

        assertThat(back).isEqualTo(value);
        assertThat(new ArrayList<Object>(((Map<?, ?>) back).keySet())).containsExactlyElementsOf(value.keySet());
    }

    @Test
    void prettyOutputParsesToTheSameValue() throws IOException {
        Map<String, Object> value = Map.of("a", List.of(1, 2), "b", Map.of("c", "ü"));

        String pretty = Json.writePretty(value);

        assertThat(pretty).contains("\n");
        assertThat(Json.parse(pretty)).isEqualTo(value);
    }

    @Test
    void topLevelScalarsAreDocumentsToo() throws IOException {
        assertThat(Json.parse("\"x\"")).isEqualTo("x");
        assertThat(Json.parse("7")).isEqualTo(7);
        assertThat(Json.parse(" null ")).isNull();
        assertThat(Json.parse("true")).isEqualTo(true);
    }

    @Test
    void unicodeEscapesAreDecoded() throws IOException {
        assertThat(Json.parse("\"\\u00e9\\ud83d\\ude00\"")).isEqualTo("é😀");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "'single'", "{a:1}", "[1 2]", "nul", "\"open"})
    void malformedInputThrows(String text) {
        assertThatThrownBy(() -> Json.parse(text)).isInstanceOf(IOException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{} x", "{}{}", "[1] [2]", "1 2", "{\"a\":1}}", "\"a\" \"b\"", "null null"})
    void trailingDataAfterTheDocumentThrows(String text) {
        assertThatThrownBy(() -> Json.parse(text)).isInstanceOf(IOException.class);
    }

    @Test
    void trailingWhitespaceIsFine() throws IOException {
        assertThat(Json.parse("{\"a\":1}\n  \t")).isEqualTo(Map.of("a", 1));
    }
}
