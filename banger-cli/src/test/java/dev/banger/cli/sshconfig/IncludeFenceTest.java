package dev.banger.cli.sshconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.rpc.BangerException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fenced Include as text: at the top, once, removable to the exact original, refused when hand-edited. */
class IncludeFenceTest {

    private static final String BODY = "Include /home/u/.config/banger/ssh_config\n";
    private static final String USERS = "# mine\nHost *\n    ServerAliveInterval 30\n\tInclude other\nHost gh\n  HostName github.com"; // no final newline

    @Test
    void goesAtTheTopBeforeAnyHostBlockAndComesOffByteForByte() {
        String installed = IncludeFence.install(USERS, BODY, "~/.ssh/config");

        assertThat(installed).isEqualTo("# >>> banger >>>\n" + BODY + "# <<< banger <<<\n" + USERS);
        assertThat(IncludeFence.install(installed, BODY, "~/.ssh/config")).as("twice is once").isEqualTo(installed);
        assertThat(IncludeFence.installed(installed, "~/.ssh/config")).isTrue();
        assertThat(IncludeFence.uninstall(installed, "~/.ssh/config")).contains(USERS);
        assertThat(IncludeFence.uninstall(USERS, "~/.ssh/config")).as("nothing to remove").isEmpty();
        assertThat(IncludeFence.install("", BODY, "~/.ssh/config")).isEqualTo("# >>> banger >>>\n" + BODY + "# <<< banger <<<\n");
    }

    @Test
    void anOlderBlockIsReplacedWhereItIs() {
        String old = "Host a\n# >>> banger >>>\nInclude /old/path\n# <<< banger <<<\nHost b\n";

        assertThat(IncludeFence.install(old, BODY, "~/.ssh/config"))
                .isEqualTo("Host a\n# >>> banger >>>\n" + BODY + "# <<< banger <<<\nHost b\n");
        assertThat(IncludeFence.uninstall(old, "~/.ssh/config")).contains("Host a\nHost b\n");
    }

    @Test
    void aFenceEditedByHandIsRefusedSayingWhatIsWrong() {
        for (String config : List.of("# >>> banger >>>\nInclude x\n", "Include x\n# <<< banger <<<\n",
                "# <<< banger <<<\n# >>> banger >>>\n", "# >>> banger >>>\n# <<< banger <<<\n# >>> banger >>>\n# <<< banger <<<\n")) {
            for (Runnable edit : List.<Runnable>of(() -> IncludeFence.install(config, BODY, "~/.ssh/config"),
                    () -> IncludeFence.uninstall(config, "~/.ssh/config"))) {
                assertThatThrownBy(edit::run).as(config).isInstanceOf(BangerException.class)
                        .hasMessageContaining("~/.ssh/config has").hasMessageContaining("edited by hand")
                        .hasMessageContaining("nothing was changed");
            }
        }
    }
}
