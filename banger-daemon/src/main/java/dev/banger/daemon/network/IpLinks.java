package dev.banger.daemon.network;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads the host's links and addresses from {@code ip -j} (JSON), never from its human output. */
final class IpLinks {

    /** One network interface as {@code ip -d link} reports it. */
    record Link(String name, String kind, String master, boolean up) {
    }

    /** One IPv4 address on an interface. */
    record Address(String local, int prefix) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CommandRunner runner;

    IpLinks(CommandRunner runner) {
        this.runner = runner;
    }

    List<Link> all() {
        List<Link> links = new ArrayList<>();
        for (JsonNode l : read("ip", "-j", "-d", "link", "show")) {
            links.add(new Link(l.path("ifname").asText(), l.path("linkinfo").path("info_kind").asText(""),
                    l.path("master").asText(null), contains(l.path("flags"), "UP")));
        }
        return links;
    }

    Optional<Link> find(String name) {
        return all().stream().filter(l -> l.name().equals(name)).findFirst();
    }

    List<Address> ipv4Addresses(String device) {
        List<Address> addresses = new ArrayList<>();
        for (JsonNode link : read("ip", "-j", "-4", "addr", "show", "dev", device)) {
            for (JsonNode a : link.path("addr_info")) {
                addresses.add(new Address(a.path("local").asText(), a.path("prefixlen").asInt()));
            }
        }
        return addresses;
    }

    private JsonNode read(String... argv) {
        String out = runner.run(argv).stdout();
        try {
            return out.isBlank() ? JSON.createArrayNode() : JSON.readTree(out);
        } catch (IOException e) {
            throw new IllegalStateException("`" + String.join(" ", argv) + "` printed JSON that does not parse: " + e.getMessage(), e);
        }
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode n : array) {
            if (n.asText().equals(value)) {
                return true;
            }
        }
        return false;
    }
}
