package dev.banger.cli.commands;

import dev.banger.cli.console.RowTemplate;
import dev.banger.cli.console.Table;
import dev.banger.cli.console.Times;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.Json;
import dev.banger.core.rpc.Methods;
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
        List<Map<String, Object>> vms = Invocation.asList(inv.call(Methods.VM_LIST, null).get("vms")).stream()
                .filter(v -> all() || VmInfo.RUNNING.equals(v.get("state"))).toList();
        if (inv.root().json()) {
            inv.terminal().println(Json.writePretty(Map.of("vms", vms)));
        } else if (quiet) {
            vms.forEach(v -> inv.terminal().out().println(v.get("id")));
        } else if (template != null) {
            vms.forEach(v -> inv.terminal().out().println(template.render(fields(v))));
        } else if (format != null) {
            vms.forEach(v -> inv.terminal().out().println(Json.write(v)));
        } else {
            inv.terminal().out().print(table(vms));
        }
        inv.terminal().out().flush();
        return 0;
    }

    private static RowTemplate template(String format) {
        try {
            return RowTemplate.parse(format, FIELDS);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private String table(List<Map<String, Object>> vms) {
        Table t = new Table("NAME", "ID", "STATE", "IMAGE", "IP", "VCPU", "MEM", "DISK", "CREATED");
        Instant now = Instant.now();
        for (Map<String, Object> v : vms) {
            Map<String, Object> f = fields(v);
            t.row(f.get("Name"), f.get("ID"), f.get("State"), f.get("Image"), f.get("IP"), f.get("VCPU"), f.get("Memory"),
                    f.get("Disk"), Times.cell(inv.terminal(), v.get("created_at"), now));
        }
        return t.render();
    }

    private static Map<String, Object> fields(Map<String, Object> v) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("Name", v.get("name"));
        f.put("ID", v.get("id"));
        f.put("State", v.get("state"));
        f.put("Image", v.get("image_name"));
        f.put("IP", v.get("guest_ip"));
        f.put("VCPU", v.get("vcpu"));
        f.put("Memory", v.get("memory_mib") + "M");
        f.put("Disk", Sizes.format(((Number) v.get("disk_bytes")).longValue()));
        f.put("Created", v.get("created_at"));
        return f;
    }
}
