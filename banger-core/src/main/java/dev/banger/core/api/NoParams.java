package dev.banger.core.api;

/** The params of a method that takes none. */
public record NoParams() {

    public static final NoParams NONE = new NoParams();
    public static final Shape<NoParams> SHAPE = Shape.of(NoParams.class, v -> NONE);
}
