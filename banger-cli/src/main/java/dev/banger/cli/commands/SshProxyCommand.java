package dev.banger.cli.commands;

import dev.banger.core.api.NameParams;
import dev.banger.core.api.VmApi;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The ProxyCommand of banger's ssh_config: asks bangerd where the VM is, then joins our stdin and
 * stdout to its SSH port over plain TCP, so {@code ssh NAME.vm} needs no DNS for {@code .vm}.
 */
@Command(name = "ssh-proxy", hidden = true, description = "ProxyCommand for `ssh NAME.vm` (banger ssh-config): stdin/stdout to the VM's SSH port.")
public final class SshProxyCommand implements Callable<Integer>, PrintsNoData {

    private static final int CONNECT_TIMEOUT_MS = 10_000;

    private final Invocation inv;

    @Parameters(index = "0", paramLabel = "HOST", description = "NAME.vm, or a VM name or id.")
    String host;

    @Parameters(index = "1", paramLabel = "PORT", defaultValue = "22", description = "The guest's port (default 22).")
    int port;

    SshProxyCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() throws IOException {
        String vm = host.endsWith(".vm") ? host.substring(0, host.length() - ".vm".length()) : host;
        String ip = inv.call(VmApi.SSH, new NameParams(vm)).ip();
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(ip, port), CONNECT_TIMEOUT_MS);
        } catch (IOException e) {
            socket.close();
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot reach VM " + vm + " at " + ip + ":" + port + ": " + e.getMessage());
        }
        pipe(socket, new FileInputStream(FileDescriptor.in), new FileOutputStream(FileDescriptor.out));
        return 0;
    }

    /** Copies {@code in} to the socket on a thread of its own and the socket to {@code out}, until the guest closes. */
    private static void pipe(Socket socket, InputStream in, OutputStream out) throws IOException {
        Thread upstream = Thread.ofPlatform().daemon().name("ssh-proxy-stdin").start(() -> {
            try {
                copy(in, socket.getOutputStream());
                socket.shutdownOutput(); // ssh closed our stdin: the guest sees EOF, and may still answer
            } catch (IOException e) {
                // The socket is gone: the copy below ends too.
            }
        });
        try (socket) {
            copy(socket.getInputStream(), out);
        } finally {
            upstream.interrupt();
        }
    }

    private static void copy(InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[64 * 1024];
        for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
            out.write(buf, 0, n);
            out.flush();
        }
    }
}
