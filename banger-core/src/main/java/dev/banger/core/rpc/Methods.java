package dev.banger.core.rpc;

/** RPC method names, shared so the CLI and the daemon's method table cannot drift apart. */
public final class Methods {

    public static final String PING = "ping";
    public static final String VERSION = "version";
    public static final String SHUTDOWN = "shutdown";
    public static final String OPERATIONS_LIST = "daemon.operations.list";
    public static final String IMAGE_PULL = "image.pull";
    public static final String IMAGE_LIST = "image.list";
    public static final String IMAGE_SHOW = "image.show";
    public static final String IMAGE_DELETE = "image.delete";
    public static final String IMAGE_BUNDLE_PULL = "image.bundle.pull";
    public static final String IMAGE_BUNDLE_MAKE = "image.bundle.make";
    public static final String IMAGE_REGISTER = "image.register";
    public static final String IMAGE_PROMOTE = "image.promote";
    public static final String IMAGE_CACHE_PRUNE = "image.cache.prune";
    public static final String KERNEL_IMPORT = "kernel.import";
    public static final String KERNEL_LIST = "kernel.list";
    public static final String KERNEL_SHOW = "kernel.show";
    public static final String KERNEL_DELETE = "kernel.delete";
    public static final String KERNEL_CATALOG = "kernel.catalog";
    public static final String KERNEL_PULL = "kernel.pull";
    public static final String VM_CREATE = "vm.create";
    public static final String VM_START = "vm.start";
    public static final String VM_STOP = "vm.stop";
    public static final String VM_RESTART = "vm.restart";
    public static final String VM_KILL = "vm.kill";
    public static final String VM_PAUSE = "vm.pause";
    public static final String VM_RESUME = "vm.resume";
    public static final String VM_SNAPSHOT_CREATE = "vm.snapshot.create";
    public static final String VM_SNAPSHOT_LIST = "vm.snapshot.list";
    public static final String VM_SNAPSHOT_DELETE = "vm.snapshot.delete";
    public static final String VM_RESTORE = "vm.restore";
    public static final String VM_DELETE = "vm.delete";
    public static final String VM_LIST = "vm.list";
    public static final String VM_SHOW = "vm.show";
    public static final String VM_LOGS = "vm.logs";
    public static final String VM_SET = "vm.set";
    public static final String VM_PRUNE = "vm.prune";
    public static final String VM_SSH = "vm.ssh";
    public static final String VM_WORKSPACE_PREPARE = "vm.workspace.prepare";
    public static final String VM_WORKSPACE_MANIFEST = "vm.workspace.manifest";
    public static final String VM_WORKSPACE_EXPORT = "vm.workspace.export";
    public static final String DOCTOR = "doctor";
    public static final String VM_PORTS = "vm.ports";
    public static final String VM_STATS = "vm.stats";
    public static final String VM_FORWARD_ADD = "vm.forward.add";
    public static final String VM_FORWARD_REMOVE = "vm.forward.remove";
    public static final String VM_FORWARD_LIST = "vm.forward.list";
    public static final String SSH_CONFIG = "ssh.config";

    private Methods() {
    }
}
