package dev.banger.core.api;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * How one field's Java value is written as a plain JSON value (what core's {@code Json} reads
 * and writes: Map, List, String, Number, Boolean, null) and read back, and how docs/rpc.md names it.
 * The primitive kinds read a missing value as 0 or false, the boxed ones as null.
 */
public interface WireType<T> {

    Object write(T value);

    T read(Object json);

    /** The type as docs/rpc.md shows it after a field's name; empty for scalars. */
    default String doc() {
        return "";
    }

    /** The types this one is made of (a list's element, a record's fields), for docs/rpc.md to find the named records. */
    default List<WireType<?>> parts() {
        return List.of();
    }

    WireType<String> STRING = scalar(v -> (String) v);
    WireType<Integer> INT = scalar(v -> ((Number) v).intValue());
    WireType<Long> LONG = scalar(v -> ((Number) v).longValue());
    WireType<Boolean> BOOLEAN = scalar(v -> (Boolean) v);
    /** Primitive components: a missing number is 0, a missing flag false. */
    WireType<Integer> INT_OR_ZERO = new Primitive<>(INT, 0);
    WireType<Long> LONG_OR_ZERO = new Primitive<>(LONG, 0L);
    WireType<Boolean> FLAG = new Primitive<>(BOOLEAN, false);
    /** ISO-8601, as {@link Instant#toString()} writes it (and the daemon's Jackson does). */
    WireType<Instant> INSTANT = new WireType<>() {
        @Override
        public Object write(Instant value) {
            return value == null ? null : value.toString();
        }

        @Override
        public Instant read(Object json) {
            return json == null ? null : Instant.parse((String) json);
        }
    };

    static <E> WireType<List<E>> listOf(WireType<E> element) {
        return new WireType<>() {
            @Override
            public Object write(List<E> value) {
                if (value == null) {
                    return null;
                }
                List<Object> out = new ArrayList<>(value.size());
                for (E e : value) {
                    out.add(element.write(e));
                }
                return out;
            }

            @Override
            public List<E> read(Object json) {
                if (json == null) {
                    return null;
                }
                List<E> out = new ArrayList<>();
                for (Object e : (List<?>) json) {
                    out.add(element.read(e));
                }
                return List.copyOf(out);
            }

            @Override
            public List<WireType<?>> parts() {
                return List.of(element);
            }

            @Override
            public String doc() {
                String inner = element.doc();
                return inner.isEmpty() ? "" : "[" + inner + "]";
            }
        };
    }

    private static <T> WireType<T> scalar(java.util.function.Function<Object, T> read) {
        return new WireType<>() {
            @Override
            public Object write(T value) {
                return value;
            }

            @Override
            public T read(Object json) {
                return json == null ? null : read.apply(json);
            }
        };
    }

    /** A primitive component's type: absent reads as the default instead of a null that unboxing would trip on. */
    record Primitive<T>(WireType<T> boxed, T absent) implements WireType<T> {
        @Override
        public Object write(T value) {
            return value;
        }

        @Override
        public T read(Object json) {
            return json == null ? absent : boxed.read(json);
        }
    }
}
