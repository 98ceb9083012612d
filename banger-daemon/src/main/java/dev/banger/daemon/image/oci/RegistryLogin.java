package dev.banger.daemon.image.oci;

/**
 * A user name and password (or token) for one registry, resolved by the CLI as the invoking user
 * (docker config {@code auths}, {@code credsStore}, {@code credHelpers}) and passed with one
 * {@code image.pull}. Never logged: {@link #toString} hides the secret.
 */
public record RegistryLogin(String username, String password) {

    @Override
    public String toString() {
        return "RegistryLogin[" + username + ", ***]";
    }
}
