package dev.banger.cli.commands;

import dev.banger.cli.client.ByteStream;
import dev.banger.cli.exec.ProcessLauncher;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The user's files beside a request (docs/rpc.md, "Byte streams"): opened here, with the user's
 * rights, and sent to bangerd, which opens no host path a caller other than root names
 * (docs/privileges.md). Each stream's token goes into the request's params.
 */
final class FileStreams implements AutoCloseable {

    private final Path socket;
    private final List<ByteStream> streams = new ArrayList<>();

    FileStreams(Invocation inv) {
        this.socket = inv.root().socket();
    }

    /** Whether we run as root, whose paths bangerd may open itself (its rights are ours). */
    static boolean asRoot() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }

    /** Starts sending the regular file {@code file} ({@code flag} names it in errors); returns the token. */
    String upload(String flag, Path file) {
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw BangerException.badRequest(flag + " " + file + " is not a regular file");
        }
        InputStream in;
        try {
            in = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw BangerException.notFound(flag + " " + file + " does not exist");
        } catch (AccessDeniedException e) {
            throw new BangerException(ErrorCode.UNAUTHORIZED, flag + " " + file + ": permission denied (banger reads your "
                    + "files with your own rights)");
        } catch (IOException e) {
            throw BangerException.badRequest(flag + " " + file + " cannot be read: " + e.getMessage());
        }
        return start(ByteStream.upload(socket, in));
    }

    /** Starts sending a tar of the directory {@code dir}, made by the system tar as the user; returns the token. */
    String uploadTar(String flag, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw BangerException.badRequest(flag + " " + dir + " is not a directory");
        }
        if (!Files.isReadable(dir) || !Files.isExecutable(dir)) {
            throw new BangerException(ErrorCode.UNAUTHORIZED, flag + " " + dir + ": permission denied (banger reads your "
                    + "files with your own rights)");
        }
        try {
            return start(ByteStream.upload(socket, ProcessLauncher.readOutput(List.of("tar", "-C", dir.toString(), "-c",
                    "-f", "-", "--numeric-owner", "--one-file-system", "."))));
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot run tar for " + flag + " " + dir + ": " + e.getMessage());
        }
    }

    /** Starts receiving into {@code sink}; returns the token. */
    String download(OutputStream sink) {
        return start(ByteStream.download(socket, sink));
    }

    private String start(ByteStream stream) {
        streams.add(stream);
        return stream.token();
    }

    /** After the request succeeded: waits until every stream has moved its bytes. */
    void await() {
        for (ByteStream s : streams) {
            try {
                s.await();
            } catch (IOException e) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "a file transfer with bangerd failed: " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        streams.forEach(ByteStream::close);
    }
}
