package dev.banger.daemon.image.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.kernel.ModulesDep.Module;
import dev.banger.daemon.image.testing.TestKernelDeb;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The initramfs on stand-in modules: layout, decompressed modules, /init, determinism, the busybox check. */
class InitramfsBuilderTest {

    private static final String V = "6.1.0-1-test";

    @TempDir
    Path dir;
    Path mods;
    final CommandRunner runner = new CommandRunner();
    final Map<String, byte[]> plain = new LinkedHashMap<>();
    List<Module> order;

    @BeforeEach
    void modules() throws Exception {
        TestKernelDeb.requireTools();
        mods = Files.createDirectories(dir.resolve("modules").resolve(V));
        for (String n : List.of("a_plain", "b_gz", "c_zst", "d_xz")) {
            plain.put(n, ("\u007fELF module " + n + " ").repeat(200).getBytes(StandardCharsets.UTF_8));
        }
        Files.createDirectories(mods.resolve("kernel/drivers/x"));
        Files.write(mods.resolve("kernel/drivers/x/a_plain.ko"), plain.get("a_plain"));
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
            g.write(plain.get("b_gz"));
        }
        Files.write(mods.resolve("kernel/drivers/x/b_gz.ko.gz"), gz.toByteArray());
        Files.write(mods.resolve("kernel/drivers/x/c_zst.ko.zst"), Zstd.compress(plain.get("c_zst")));
        Path xz = mods.resolve("kernel/drivers/x/d_xz.ko");
        Files.write(xz, plain.get("d_xz"));
        runner.run(Command.of("xz", "-z", xz.toString())); // -> d_xz.ko.xz
        order = List.of(new Module("a_plain", "kernel/drivers/x/a_plain.ko"), new Module("b_gz", "kernel/drivers/x/b_gz.ko.gz"),
                new Module("c_zst", "kernel/drivers/x/c_zst.ko.zst"), new Module("d_xz", "kernel/drivers/x/d_xz.ko.xz"));
    }

    private Map<String, byte[]> build(Path out) throws Exception {
        new InitramfsBuilder(runner, InitramfsBuilder.BUSYBOX).build(V, order, mods, dir.resolve("work"), out, 1_700_000_000L);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (CpioArchiveInputStream in = new CpioArchiveInputStream(new GZIPInputStream(Files.newInputStream(out)))) {
            for (CpioArchiveEntry e; (e = in.getNextCPIOEntry()) != null; ) {
                assertThat(e.getTime()).isEqualTo(1_700_000_000L);
                assertThat(e.getUID()).isZero();
                entries.put(e.getName(), in.readAllBytes());
            }
        }
        return entries;
    }

    @Test
    void modulesAreStoredDecompressedUnderTheirPlainNames() throws Exception {
        Map<String, byte[]> entries = build(dir.resolve("initrd.img"));
        String base = "lib/modules/" + V + "/kernel/drivers/x/";
        for (String n : plain.keySet()) {
            assertThat(entries).containsKey(base + n + ".ko");
            assertThat(entries.get(base + n + ".ko")).as(n).isEqualTo(plain.get(n));
        }
        assertThat(entries.keySet()).noneMatch(k -> k.endsWith(".gz") || k.endsWith(".zst") || k.endsWith(".xz"));
        assertThat(entries.keySet()).contains("bin", "dev", "proc", "sys", "newroot", "lib/modules/" + V + "/kernel/drivers",
                "dev/console", "bin/busybox", "init");
        for (String applet : InitramfsBuilder.APPLETS) {
            assertThat(new String(entries.get("bin/" + applet), StandardCharsets.UTF_8)).as(applet).isEqualTo("busybox");
        }
        String init = new String(entries.get("init"), StandardCharsets.UTF_8);
        assertThat(init.lines().filter(l -> l.startsWith("load ")).toList()).containsExactly(
                "load kernel/drivers/x/a_plain.ko", "load kernel/drivers/x/b_gz.ko", "load kernel/drivers/x/c_zst.ko",
                "load kernel/drivers/x/d_xz.ko");
        assertThat(dir.resolve("work").toFile().list()).as("xz scratch files are removed").isEmpty();
    }

    @Test
    void theSameInputsGiveTheSameBytes() throws Exception {
        build(dir.resolve("one.img"));
        build(dir.resolve("two.img"));
        assertThat(Files.mismatch(dir.resolve("one.img"), dir.resolve("two.img"))).isEqualTo(-1L);
    }

    @Test
    void initIsValidShellForBusyboxAndDash() throws Exception {
        Path init = dir.resolve("init");
        Files.writeString(init, InitramfsBuilder.initScript(V, List.of("kernel/drivers/x/a_plain.ko")));
        runner.run(Command.of("/bin/busybox", "sh", "-n", init.toString()));
        runner.run(Command.of("sh", "-n", init.toString()));
        String s = Files.readString(init);
        assertThat(s).contains("init=/sbin/init", "root=/dev/vda", "rootfstype=ext4", "-ge 100 ]", "within 10 s",
                "mount -t \"$rootfstype\" -o rw \"$root\" /newroot", "exec switch_root /newroot \"$init\" \"$@\"",
                "poweroff -f", "insmod \"/lib/modules/" + V + "/$1\"");
        assertThat(s).doesNotContain("@VERSION@", "@INSMODS@", "@TRIES@", "@SECONDS@");
    }

    /** /init's argument parsing and the module loop, run for real by busybox sh against a fake /proc/cmdline. */
    @Test
    void initHonoursInitRootAndRootfstypeParameters() throws Exception {
        String script = InitramfsBuilder.initScript(V, List.of("kernel/x/a.ko"));
        // Keep the parsing part; print what it decided instead of mounting anything.
        String parse = script.substring(script.indexOf("init=/sbin/init"), script.indexOf("load() {"))
                .replace("$(cat /proc/cmdline)", "$(cat " + dir.resolve("cmdline") + ")");
        Files.writeString(dir.resolve("cmdline"), "console=ttyS0 init=/bin/sh root=/dev/vdb rootfstype=xfs root=UUID=1 quiet\n");
        Path probe = dir.resolve("probe.sh");
        Files.writeString(probe, "set -f\n" + parse + "echo \"$init|$root|$rootfstype\"\n");
        assertThat(runner.run(Command.of("/bin/busybox", "sh", probe.toString())).stdout().strip())
                .isEqualTo("/bin/sh|/dev/vdb|xfs");
        Files.writeString(dir.resolve("cmdline"), "console=ttyS0 quiet\n");
        assertThat(runner.run(Command.of("/bin/busybox", "sh", probe.toString())).stdout().strip())
                .isEqualTo("/sbin/init|/dev/vda|ext4");
    }

    @Test
    void aDynamicOrMissingBusyboxIsRefusedNamingBusyboxStatic() {
        InitramfsBuilder dynamic = new InitramfsBuilder(runner, Path.of("/bin/ls"));
        assertThatThrownBy(dynamic::checkBusybox)
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                .hasMessageContaining("/bin/ls is not a statically linked x86-64 binary")
                .hasMessageContaining("install the Debian package busybox-static");
        InitramfsBuilder missing = new InitramfsBuilder(runner, dir.resolve("no-busybox"));
        assertThatThrownBy(missing::checkBusybox).hasMessageContaining("and there is none: install the Debian package busybox-static");
        new InitramfsBuilder(runner, InitramfsBuilder.BUSYBOX).checkBusybox();
    }

    static byte[] gunzip(Path p) throws Exception {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
            return in.readAllBytes();
        }
    }
}
