package dev.banger.core.config;

/** A configuration problem, worded for the person who wrote the file. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
