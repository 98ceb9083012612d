package dev.banger.daemon.image.oci;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private final RetryPolicy policy = RetryPolicy.defaults();

    @Test
    void backOffDoublesUpToTheCapAndIsJitteredIntoItsUpperHalf() {
        for (int i = 0; i < 50; i++) {
            assertThat(policy.backoff(1)).isBetween(Duration.ofMillis(250), Duration.ofMillis(500));
            assertThat(policy.backoff(3)).isBetween(Duration.ofMillis(1000), Duration.ofMillis(2000));
            assertThat(policy.backoff(30)).isBetween(Duration.ofSeconds(4), Duration.ofSeconds(8));
        }
    }

    @Test
    void retryAfterIsReadAsSecondsOrADateAndCapped() {
        assertThat(policy.retryAfter(Optional.of("2"))).contains(Duration.ofSeconds(2));
        assertThat(policy.retryAfter(Optional.of("86400"))).as("capped").contains(Duration.ofSeconds(60));
        String inTenSeconds = ZonedDateTime.now().plusSeconds(10).format(DateTimeFormatter.RFC_1123_DATE_TIME);
        assertThat(policy.retryAfter(Optional.of(inTenSeconds)).orElseThrow()).isBetween(Duration.ofSeconds(8), Duration.ofSeconds(10));
        assertThat(policy.retryAfter(Optional.of("-5"))).contains(Duration.ZERO);
        assertThat(policy.retryAfter(Optional.of("soon"))).isEmpty();
        assertThat(policy.retryAfter(Optional.empty())).isEmpty();
    }
}
