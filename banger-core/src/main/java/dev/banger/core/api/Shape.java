package dev.banger.core.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One wire record's JSON form without reflection (the CLI's start-up cannot afford databind): its
 * fields in component order, each a snake_case name, a {@link WireType} and the getter, plus the
 * canonical constructor fed the values in that same order. The daemon's Jackson writes and reads
 * the same records; WireContractTest checks both agree for every record.
 *
 * @param <T> the record
 */
public final class Shape<T> implements WireType<T> {

    /** One field: its JSON name, its type, how to get it, and whether a caller may leave it out. */
    public record Field<T>(String name, WireType<Object> type, Function<T, Object> getter, boolean optional) {
    }

    /** The field values in component order, for the record's constructor. */
    public static final class Values {
        private final Object[] values;
        private int next;

        private Values(Object[] values) {
            this.values = values;
        }

        /** The next component's value, typed by the constructor parameter it goes to. */
        @SuppressWarnings("unchecked")
        public <V> V next() {
            return (V) values[next++];
        }
    }

    private final Class<T> type;
    private final String docName;
    private final Function<Values, T> constructor;
    private final List<Field<T>> fields = new ArrayList<>();

    private Shape(Class<T> type, String docName, Function<Values, T> constructor) {
        this.type = type;
        this.docName = docName;
        this.constructor = constructor;
    }

    /** A record shown inline in docs/rpc.md ({@code {a, b?}}). */
    public static <T> Shape<T> of(Class<T> type, Function<Values, T> constructor) {
        return new Shape<>(type, null, constructor);
    }

    /** A record docs/rpc.md describes once under {@code docName} and names wherever it appears. */
    public static <T> Shape<T> named(String docName, Class<T> type, Function<Values, T> constructor) {
        return new Shape<>(type, docName, constructor);
    }

    /** Declares the next component (in the record's order). */
    public <F> Shape<T> field(String name, WireType<F> fieldType, Function<T, F> getter) {
        return add(name, fieldType, getter, false);
    }

    /** Declares the next component, one a request may leave out. */
    public <F> Shape<T> optional(String name, WireType<F> fieldType, Function<T, F> getter) {
        return add(name, fieldType, getter, true);
    }

    @SuppressWarnings("unchecked")
    private <F> Shape<T> add(String name, WireType<F> fieldType, Function<T, F> getter, boolean optional) {
        fields.add(new Field<>(name, (WireType<Object>) fieldType, (Function<T, Object>) getter, optional));
        return this;
    }

    public Class<T> type() {
        return type;
    }

    public List<Field<T>> fields() {
        return Collections.unmodifiableList(fields);
    }

    @Override
    public List<WireType<?>> parts() {
        List<WireType<?>> types = new ArrayList<>();
        for (Field<T> f : fields) {
            types.add(f.type());
        }
        return types;
    }

    /** The record as a JSON object, every field in order, nulls included (as the daemon writes it). */
    @Override
    public Map<String, Object> write(T value) {
        if (value == null) {
            return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Field<T> f : fields) {
            out.put(f.name(), f.type().write(f.getter().apply(value)));
        }
        return out;
    }

    /** The record as request params: fields left null are left out (the daemon reads both alike). */
    public Map<String, Object> params(T value) {
        Map<String, Object> out = write(value);
        out.values().removeIf(v -> v == null);
        return out;
    }

    /** Reads a JSON object; a field of the wrong JSON type is an {@link IllegalArgumentException} naming it. */
    @Override
    public T read(Object json) {
        if (json == null) {
            return null;
        }
        if (!(json instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("expected a JSON object for " + type.getSimpleName() + ", got " + json);
        }
        Object[] values = new Object[fields.size()];
        for (int i = 0; i < values.length; i++) {
            Field<T> f = fields.get(i);
            try {
                values[i] = f.type().read(map.get(f.name()));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("field '" + f.name() + "' of " + type.getSimpleName() + ": " + e, e);
            }
        }
        return constructor.apply(new Values(values));
    }

    @Override
    public String toString() {
        return type.getSimpleName();
    }

    /** In docs/rpc.md: the record's name when it has one, else its fields. */
    @Override
    public String doc() {
        return docName != null ? docName : fieldsDoc();
    }

    public String docName() {
        return docName;
    }

    /** {@code {ref, name?, auth?: {username, password}}}: each field, {@code ?} when optional, nested shapes spelled out. */
    public String fieldsDoc() {
        if (fields.isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder("{");
        for (Field<T> f : fields) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(f.name()).append(f.optional() ? "?" : "");
            String inner = f.type().doc();
            if (!inner.isEmpty()) {
                sb.append(": ").append(inner);
            }
        }
        return sb.append('}').toString();
    }
}
