package dev.banger.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.core.api.RpcMethod;
import dev.banger.core.api.Shape;
import dev.banger.core.model.DoctorCheck;
import dev.banger.core.rpc.Json;
import dev.banger.daemon.rpc.Method;
import dev.banger.daemon.rpc.Wire;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CLI's codec (core's {@link Shape}s on the streaming {@link Json}) and the daemon's Jackson
 * databind must agree on every params and result record of every method: the same JSON text from
 * both, and each reading what the other wrote back to an equal record. Records are filled once with
 * every field set and once with every nullable field null.
 */
class WireContractTest {

    private static final ObjectMapper MAPPER = Wire.mapper();
    /** Text components whose record accepts only some values. */
    private static final Map<String, String> VALID_TEXT = Map.of("status", DoctorCheck.WARN);

    static Stream<Shape<?>> shapes() {
        Set<Shape<?>> shapes = new LinkedHashSet<>();
        for (Method served : new Daemon().methods().all().values()) {
            RpcMethod<?, ?> m = served.contract();
            if (m == null) {
                continue;
            }
            if (m.takesParams()) {
                shapes.add(m.params());
            }
            shapes.add(m.result());
        }
        return shapes.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void bothCodecsWriteTheSameJsonAndReadEachOther(Shape<?> shape) throws Exception {
        for (boolean full : new boolean[] {true, false}) {
            check(shape, sample(shape.type(), full));
        }
    }

    private static <T> void check(Shape<T> shape, Object sample) throws Exception {
        T value = shape.type().cast(sample);
        String databind = MAPPER.writeValueAsString(value);
        String cli = Json.write(shape.write(value));

        assertThat(cli).as("the CLI's JSON for %s", shape.type().getSimpleName()).isEqualTo(databind);
        assertThat(shape.read(Json.parse(databind))).as("the CLI reading the daemon's JSON").isEqualTo(value);
        assertThat(MAPPER.readValue(Json.write(shape.params(value)), shape.type()))
                .as("the daemon reading the CLI's request (nulls left out)").isEqualTo(value);
    }

    /** A record with every component set ({@code full}) or every nullable one null; lists hold one element. */
    private static Object sample(Class<?> type, boolean full) throws Exception {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            args[i] = value(components[i].getName(), components[i].getGenericType(), full, i);
        }
        return type.getDeclaredConstructor(types).newInstance(args);
    }

    private static Object value(String name, Type generic, boolean full, int index) throws Exception {
        Class<?> raw = generic instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) generic;
        if (raw == int.class) return 3 + index;
        if (raw == long.class) return 5_000_000_000L + index;
        if (raw == boolean.class) return full;
        if (!full) return null;
        if (raw == String.class) return VALID_TEXT.getOrDefault(name, name + "-" + index);
        if (raw == Integer.class) return 40 + index;
        if (raw == Long.class) return 6_000_000_000L + index;
        if (raw == Boolean.class) return index % 2 == 0;
        if (raw == Instant.class) return Instant.parse("2026-12-07T06:44:31.123456Z").plusSeconds(index);
        if (raw == List.class) {
            Type element = ((ParameterizedType) generic).getActualTypeArguments()[0];
            List<Object> list = new ArrayList<>();
            list.add(value(name, element, true, index));
            return List.copyOf(list);
        }
        if (raw.isRecord()) return sample(raw, true);
        throw new IllegalArgumentException("no sample for " + generic + " (" + name + ")");
    }
}
