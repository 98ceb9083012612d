package dev.banger.cli.commands;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "install", description = {"Install this build as a systemd service (as root).",
        "It puts launchers and jars under PREFIX/lib/banger, links in PREFIX/bin and man pages in PREFIX/share/man,",
        "writes /etc/banger/install.toml, makes group banger with the owner in it and bangerd.service,",
        "then starts it and waits up to 15 s for ping. Where PID 1 is not systemd, it says so."})
public final class SystemInstallCommand implements Callable<Integer>, PrintsNoData {

    private final RootCommand root;

    SystemInstallCommand(RootCommand root) {
        this.root = root;
    }

    @Option(names = "--owner", paramLabel = "USER", description = "The user banger is for (default: $SUDO_USER).")
    String owner;

    @Option(names = "--prefix", paramLabel = "DIR", description = "Install under DIR (default: /usr/local).")
    Path prefix;

    @Option(names = "--config", paramLabel = "FILE", description = "A bangerd config file for the unit (default: built-in defaults).")
    Path config;

    @Option(names = "--release-key", paramLabel = "PEM", description = "The Ed25519 public key `banger update` checks release bundles against.")
    Path releaseKey;

    @Option(names = "--root", paramLabel = "DIR", hidden = true, description = "Install into DIR instead of / (tests); no systemctl.")
    Path scratchRoot;

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>(List.of("install"));
        if (owner != null) args.addAll(List.of("--owner", owner));
        if (prefix != null) args.addAll(List.of("--prefix", prefix.toAbsolutePath().toString()));
        if (config != null) args.addAll(List.of("--config", config.toAbsolutePath().toString()));
        if (releaseKey != null) args.addAll(List.of("--release-key", releaseKey.toAbsolutePath().toString()));
        if (scratchRoot != null) args.addAll(List.of("--root", scratchRoot.toAbsolutePath().toString()));
        return SystemCommand.passThrough(root, args);
    }
}
