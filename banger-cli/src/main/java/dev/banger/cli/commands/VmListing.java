package dev.banger.cli.commands;

import dev.banger.cli.console.RowTemplate;
import dev.banger.cli.console.Table;
import dev.banger.cli.console.Times;
import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.Json;
import dev.banger.core.units.Sizes;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/**
 * What `banger ps` and `banger vm list` print: a table, ids only (-q), one JSON object per line
 * (--format json) or one line per VM from a template (--format '{{.Name}} {{.IP}}').
 */
abstract class VmListing implements Callable<Integer> {

    /** The fields a --format template can name, in table order. */
    static final List<String> FIELDS = List.of("Name", "ID", "State", "Image", "IP", "VCPU", "Memory", "Disk", "Created");

    final Invocation inv;

    @Option(names = {"-q", "--quiet"}, description = "Print only the VMs' ids, one a line.")
    boolean quiet;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "Either json, one JSON object per VM and line, or a template such as '{{.Name}}\\t{{.IP}}' "
                    + "with the fields .Name, .ID, .State, .Image, .IP, .VCPU, .Memory, .Disk and .Created.")
    String format;

    @Option(names = "--templates", description = "Also list the hidden VMs bangerd keeps for warm-start templates.")
    boolean templates;

    VmListing(RootCommand root) {
        this.inv = new Invocation(root);
    }

    /** Whether stopped VMs are listed too. */
    abstract boolean all();

    @Override
    public Integer call() {
        if (format != null && (quiet || inv.root().json())) {
            throw new UsageException("--format contradicts " + (quiet ? "-q" : "--json") + ": choose one output");
        }
        if (quiet && inv.root().json()) {
            throw new UsageException("-q contradicts --json: choose one output");
        }
        RowTemplate template = format == null || format.equals("json") ? null : template(format);
        List<VmInfo> vms = inv.call(VmApi.LIST, new VmApi.ListParams(templates ? Boolean.TRUE : null)).vms().stream()
                .filter(v -> all() || v.live()).toList();
        inv.render(VmApi.LIST, new VmApi.VmList(vms), () -> {
            if (quiet) {
                vms.forEach(v -> inv.terminal().out().println(v.id()));
            } else if (template != null) {
                vms.forEach(v -> inv.terminal().out().println(template.render(fields(v))));
            } else if (format != null) {
                vms.forEach(v -> inv.terminal().out().println(Json.write(VmApi.VM.write(v))));
            } else {
                inv.terminal().out().print(table(vms));
            }
            inv.terminal().out().flush();
        });
        return 0;
    }

    private static RowTemplate template(String format) {
        try {
            return RowTemplate.parse(format, FIELDS);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private String table(List<VmInfo> vms) {
        Table t = new Table("NAME", "ID", "STATE", "IMAGE", "IP", "VCPU", "MEM", "DISK", "CREATED");
        Instant now = Instant.now();
        for (VmInfo v : vms) {
            Map<String, Object> f = fields(v);
            t.row(f.get("Name"), f.get("ID"), f.get("State"), f.get("Image"), f.get("IP"), f.get("VCPU"), f.get("Memory"),
                    f.get("Disk"), Times.cell(inv.terminal(), v.createdAt(), now));
        }
        return t.render();
    }

    /** A VM's values by the names {@link #FIELDS} gives templates. */
    private static Map<String, Object> fields(VmInfo v) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("Name", v.name());
        f.put("ID", v.id());
        f.put("State", v.state());
        f.put("Image", v.imageName());
        f.put("IP", v.guestIp());
        f.put("VCPU", v.vcpu());
        f.put("Memory", v.memoryMib() + "M");
        f.put("Disk", Sizes.format(v.diskBytes()));
        f.put("Created", v.createdAt());
        return f;
    }
}
