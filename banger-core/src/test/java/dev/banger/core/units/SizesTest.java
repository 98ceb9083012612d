package dev.banger.core.units;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.rpc.BangerException;
import org.junit.jupiter.api.Test;

class SizesTest {

    @Test
    void parsesTheSuffixesUsersType() {
        assertThat(Sizes.parse("--size", "4G")).isEqualTo(4L << 30);
        assertThat(Sizes.parse("--size", "512m")).isEqualTo(512L << 20);
        assertThat(Sizes.parse("--size", "1T")).isEqualTo(1L << 40);
        assertThat(Sizes.parse("--size", "2048")).isEqualTo(2048);
    }

    @Test
    void rejectsWhatIsNotASizeNamingTheFlag() {
        for (String bad : new String[] {"4GiB", "-1G", "0", "lots", "", "4.5G", "99999999999999T"}) {
            assertThatThrownBy(() -> Sizes.parse("--disk-size", bad)).as(bad)
                    .isInstanceOf(BangerException.class).hasMessageStartingWith("--disk-size '" + bad + "'");
        }
    }

    @Test
    void formatsForTables() {
        assertThat(Sizes.format(1536L << 20)).isEqualTo("1.5G");
        assertThat(Sizes.format(4L << 30)).isEqualTo("4G");
        assertThat(Sizes.format(100)).isEqualTo("100B");
    }
}
