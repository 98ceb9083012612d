package dev.banger.daemon.vm;

import dev.banger.core.api.VmApi.ForwardsInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.network.forward.ForwardRules;
import dev.banger.daemon.network.forward.PortForward;
import dev.banger.daemon.store.ForwardRows;
import dev.banger.daemon.store.Store;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The VM service's side of published ports: parsing what the user wrote, refusing a host port that
 * another VM's forward or another program holds, keeping the rows, and changing a running VM's
 * DNATs at once. Callers hold the VM's lock.
 */
public final class VmForwards {

    private final Store store;
    private final ForwardRules rules;

    VmForwards(Store store, ForwardRules rules) {
        this.store = store;
        this.rules = rules;
    }

    /** Parses {@code specs} and checks them against each other, the other VMs' forwards and the host: refused before anything is kept. */
    List<PortForward> check(List<String> specs) {
        List<PortForward> forwards = new ArrayList<>();
        Set<String> ports = new HashSet<>();
        for (String spec : specs == null ? List.<String>of() : specs) {
            PortForward f = PortForward.parse(spec);
            if (!ports.add(f.proto() + "/" + f.hostPort())) {
                throw BangerException.badRequest("host port " + f.hostPort() + "/" + f.proto() + " is published twice");
            }
            var holder = store.forwards().holding(f.proto(), f.hostPort());
            if (holder.isPresent()) {
                String vm = store.vms().find(holder.get().vmId()).map(VmInfo::name).orElse(holder.get().vmId());
                throw new BangerException(ErrorCode.ALREADY_EXISTS, "host port " + f.hostPort() + "/" + f.proto()
                        + " is already published by VM " + vm + ": publish another HOST_PORT");
            }
            forwards.add(f);
        }
        rules.requireFree(forwards);
        return forwards;
    }

    /** Keeps {@code forwards} for {@code vm} (checked by {@link #check}); a start makes their rules. */
    void keep(VmInfo vm, List<PortForward> forwards) {
        store.forwards().insert(forwards.stream().map(f -> row(vm, f)).toList());
    }

    /** Adds one forward; a running VM gets its rule now. */
    ForwardsInfo add(VmInfo vm, String spec) {
        List<PortForward> one = check(List.of(spec));
        keep(vm, one);
        if (vm.running()) {
            try {
                rules.apply(vm.id(), vm.guestIp(), of(vm.id()));
            } catch (RuntimeException e) {
                store.forwards().delete(vm.id(), one.getFirst().proto(), one.getFirst().hostPort());
                throw e;
            }
        }
        return list(vm);
    }

    /** Removes the forward of {@code spec}'s host port and protocol (its guest port need not be written). */
    ForwardsInfo remove(VmInfo vm, String spec) {
        PortForward f = spec != null && spec.matches("[0-9]+(/[A-Za-z]+)?") ? PortForward.parse(spec.replaceFirst("^([0-9]+)", "$1:$1"))
                : PortForward.parse(spec);
        if (!store.forwards().delete(vm.id(), f.proto(), f.hostPort())) {
            throw BangerException.notFound("VM " + vm.name() + " publishes no host port " + f.hostPort() + "/" + f.proto()
                    + " (see banger vm forward " + vm.name() + " list)");
        }
        if (vm.running()) {
            rules.apply(vm.id(), vm.guestIp(), of(vm.id()));
        }
        return list(vm);
    }

    ForwardsInfo list(VmInfo vm) {
        return new ForwardsInfo(vm.name(), of(vm.id()).stream().map(PortForward::spec).toList());
    }

    /** The stored forwards of a VM id. */
    List<PortForward> of(String vmId) {
        return store.forwards().of(vmId).stream()
                .map(r -> new PortForward(r.proto(), r.hostIp(), r.hostPort(), r.guestPort())).toList();
    }

    private static ForwardRows.Forward row(VmInfo vm, PortForward f) {
        return new ForwardRows.Forward(vm.id(), f.proto(), f.hostIp(), f.hostPort(), f.guestPort());
    }
}
