package dev.banger.core.api;

/**
 * A user name and password (or token) for one registry, resolved by the CLI as the invoking user
 * (docker config {@code auths}, {@code credsStore}, {@code credHelpers}) and passed with one
 * {@code image.pull}. Never logged: {@link #toString} hides the secret.
 */
public record RegistryLogin(String username, String password) {

    public static final Shape<RegistryLogin> SHAPE = Shape.of(RegistryLogin.class, v -> new RegistryLogin(v.next(), v.next()))
            .field("username", WireType.STRING, RegistryLogin::username)
            .field("password", WireType.STRING, RegistryLogin::password);

    @Override
    public String toString() {
        return "RegistryLogin[" + username + ", ***]";
    }
}
