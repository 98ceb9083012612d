package dev.banger.cli.sshconfig;

import dev.banger.core.GuestSshKex;
import dev.banger.core.rpc.BangerException;

/**
 * The text of {@code ~/.config/banger/ssh_config}: one {@code Host *.vm} block that makes plain
 * {@code ssh NAME.vm} log in as root with banger's key. Names need no DNS: the ProxyCommand asks
 * bangerd for the VM's address. Host keys are checked against banger's known_hosts, where bangerd
 * pins each guest's key under its address and {@code NAME.vm} at first boot, so there is never a
 * prompt, a changed key is refused, and nothing is written to the user's own known_hosts.
 */
public final class HostBlock {

    private HostBlock() {
    }

    /**
     * @param identityFile  the key file OpenSSH accepts for this user
     * @param knownHosts    banger's known_hosts
     * @param banger        the banger launcher and its options, as words for the user's shell, before {@code ssh-proxy HOST PORT}
     */
    public static String render(String user, String identityFile, String knownHosts, String banger) {
        if (banger.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw BangerException.badRequest("cannot write a ProxyCommand with a control character into ssh_config: " + banger);
        }
        return "# banger's settings for `ssh NAME.vm`, written by `banger ssh-config`; it rewrites this file,\n"
                + "# so put your own settings in ~/.ssh/config.\n"
                + "Host *.vm\n"
                + "    User " + user + "\n"
                + "    IdentityFile " + configWord(identityFile) + "\n"
                + "    IdentitiesOnly yes\n"
                + "    UserKnownHostsFile " + configWord(knownHosts) + "\n"
                + "    StrictHostKeyChecking yes\n"
                + "    UpdateHostKeys no\n"
                + "    KexAlgorithms " + GuestSshKex.ALGORITHMS + "\n"
                + "    ProxyCommand " + banger.replace("%", "%%") + " ssh-proxy %h %p\n";
    }

    /** A word of ssh_config: {@code %} starts a token there, so it is doubled; spaces need double quotes. */
    static String configWord(String word) {
        String escaped = checked(word).replace("%", "%%");
        return escaped.contains(" ") || escaped.contains("\t") ? "\"" + escaped + "\"" : escaped;
    }

    /** What no quoting in ssh_config can carry: a double quote, {@code ${} (environment expansion), control characters. */
    private static String checked(String word) {
        if (word.contains("\"") || word.contains("${") || word.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw BangerException.badRequest("cannot write '" + word + "' into ssh_config: it contains a double quote, '${' or a"
                    + " control character, which ssh_config cannot quote");
        }
        return word;
    }
}
