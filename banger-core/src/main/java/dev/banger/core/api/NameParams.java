package dev.banger.core.api;

/** The params of the methods that act on one named thing (a name, an id, or an id prefix where it says so). */
public record NameParams(String name) {

    public static final Shape<NameParams> SHAPE = Shape.of(NameParams.class, v -> new NameParams(v.next()))
            .field("name", WireType.STRING, NameParams::name);
}
