package dev.banger.daemon.vm.machine;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/** One lock per VM id: every state change of a VM happens under its lock, and only its own. */
public final class VmLocks {

    private final ConcurrentMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    public <T> T with(String vmId, Supplier<T> work) {
        ReentrantLock lock = locks.computeIfAbsent(vmId, id -> new ReentrantLock());
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "cancelled while waiting for another operation on the VM");
        }
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }

    public void forget(String vmId) {
        locks.remove(vmId);
    }
}
