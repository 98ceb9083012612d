package dev.banger.daemon.doctor;

import dev.banger.core.model.DoctorCheck;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The daemon's socket: a root daemon's must be group {@code banger}, mode 0660, so members (and
 * no one else) reach it. A daemon run by a user on scratch dirs keeps that user's socket.
 */
record SocketCheck(Path socket) implements Check {

    @Override
    public String name() {
        return "daemon socket";
    }

    @Override
    public DoctorCheck run() throws Exception {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return DoctorCheck.warn(name(), List.of(socket + ": absent: bangerd is not running"),
                    "sudo systemctl start bangerd (system install), else `banger daemon start`");
        }
        PosixFileAttributes a = Files.readAttributes(socket, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String mode = PosixFilePermissions.toString(a.permissions());
        String found = socket + ": owner " + a.owner().getName() + ", group " + a.group().getName() + ", " + mode;
        if (!a.owner().getName().equals("root")) {
            return DoctorCheck.pass(name(), found, "a daemon run by " + a.owner().getName() + ", not a system install");
        }
        if (!a.group().getName().equals("banger") || !mode.equals("rw-rw----")) {
            return DoctorCheck.fail(name(), List.of(found, "a root daemon's socket must be group banger, rw-rw----"),
                    "create the group (sudo groupadd --system banger) and restart bangerd, which sets both");
        }
        return DoctorCheck.pass(name(), found);
    }
}
