package dev.banger.daemon.image.oci;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How often and how patiently a registry request is tried again after a transient failure: a
 * connection reset or timeout, 429 Too Many Requests, or a 5xx. {@code attempts} counts the first
 * try. The wait before retry n is {@code baseDelay * 2^(n-1)}, at most {@code maxDelay}, jittered
 * into its upper half so parallel layer downloads do not retry in step; a 429's Retry-After
 * replaces it, capped at {@code maxRetryAfter} so a registry cannot park a pull for hours.
 */
public record RetryPolicy(int attempts, Duration baseDelay, Duration maxDelay, Duration maxRetryAfter) {

    public RetryPolicy {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, got " + attempts);
        }
    }

    /** Five tries over about 15 s of back-off; a Retry-After of up to a minute is honoured. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(5, Duration.ofMillis(500), Duration.ofSeconds(8), Duration.ofSeconds(60));
    }

    /** The wait before retry {@code retry} (1 for the first retry). */
    Duration backoff(int retry) {
        long max = Math.min(maxDelay.toMillis(), baseDelay.toMillis() << Math.min(retry - 1, 20));
        return Duration.ofMillis(max / 2 + ThreadLocalRandom.current().nextLong(max / 2 + 1));
    }

    /** The wait a {@code Retry-After} header asks for (seconds or an HTTP date), capped; empty when absent or unreadable. */
    Optional<Duration> retryAfter(Optional<String> header) {
        if (header.isEmpty()) {
            return Optional.empty();
        }
        String v = header.get().strip();
        Duration asked;
        try {
            asked = Duration.ofSeconds(Long.parseLong(v));
        } catch (NumberFormatException e) {
            try {
                asked = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
            } catch (DateTimeParseException e2) {
                return Optional.empty();
            }
        }
        if (asked.isNegative()) {
            asked = Duration.ZERO;
        }
        return Optional.of(asked.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : asked);
    }

    /** Sleeps {@code d}; an interrupt ends the pull. */
    static void sleep(Duration d, String what) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryCancelledException(what + " was cancelled");
        }
    }
}
