package dev.banger.daemon.doctor;

import dev.banger.core.model.DoctorCheck;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/** Every VM's network is a tap device, made through {@code /dev/net/tun}. */
record TunCheck(Path device) implements Check {

    static TunCheck forHost() {
        return new TunCheck(Path.of("/dev/net/tun"));
    }

    @Override
    public String name() {
        return "tun device";
    }

    @Override
    public DoctorCheck run() throws Exception {
        if (!Files.exists(device)) {
            return DoctorCheck.fail(name(), List.of(device + ": absent, so no tap device can be made"),
                    "load the tun module (modprobe tun) or build the kernel with CONFIG_TUN",
                    "in a container: pass the device in (--device /dev/net/tun)");
        }
        int mode = (Integer) Files.getAttribute(device, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & 0170000) != 0020000) {
            return DoctorCheck.fail(name(), List.of(device + ": not a character device"), "recreate it: mknod /dev/net/tun c 10 200");
        }
        return DoctorCheck.pass(name(), device + ": character device");
    }
}
