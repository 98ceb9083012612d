package dev.banger.daemon.vm.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The contract checker the Firecracker double applies: it must refuse what Firecracker refuses. */
class SwaggerContractTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final SwaggerContract contract;

    SwaggerContractTest() throws IOException {
        contract = SwaggerContract.load(SwaggerContract.locate());
    }

    @Test
    void validRequestsPass() throws IOException {
        assertThat(contract.violations("PUT", "/machine-config", json("{\"vcpu_count\": 2, \"mem_size_mib\": 512}"))).isEmpty();
        assertThat(contract.violations("PUT", "/drives/root", json("{\"drive_id\": \"root\", \"path_on_host\": \"/r\", "
                + "\"is_root_device\": true, \"rate_limiter\": {\"bandwidth\": {\"size\": 1, \"refill_time\": 100}}}"))).isEmpty();
        assertThat(contract.violations("GET", "/version", null)).isEmpty();
        assertThat(contract.violations("PUT", "/metrics", json("{\"metrics_path\": \"/m\", \"properties\": {\"a\": \"b\"}}")))
                .as("additionalProperties where the contract states it").isEmpty();
    }

    @Test
    void eachKindOfBreachIsNamed() throws IOException {
        assertThat(contract.violations("PUT", "/machine-config", json("{\"vcpu_count\": 2}")))
                .containsExactly("body lacks the required field mem_size_mib");
        assertThat(contract.violations("PUT", "/machine-config", json("{\"vcpu_count\": \"two\", \"mem_size_mib\": 512}")))
                .containsExactly("body.vcpu_count must be an integer, got STRING");
        assertThat(contract.violations("PUT", "/machine-config", json("{\"vcpu_count\": 0, \"mem_size_mib\": 512}")))
                .containsExactly("body.vcpu_count is 0, below the minimum 1");
        assertThat(contract.violations("PUT", "/machine-config", json("{\"vcpu_count\": 1, \"mem_size_mib\": 512, \"cpus\": 1}")))
                .containsExactly("body has the field cpus, which the contract does not declare");
        assertThat(contract.violations("PUT", "/logger", json("{\"level\": \"Loud\"}")))
                .containsExactly("body.level is \"Loud\", not one of [\"Error\",\"Warning\",\"Info\",\"Debug\",\"Trace\",false]");
        assertThat(contract.violations("PUT", "/drives/root", json("{\"drive_id\": \"root\", \"is_root_device\": true, "
                + "\"rate_limiter\": {\"ops\": {\"size\": -1, \"refill_time\": 1}}}")))
                .containsExactly("body.rate_limiter.ops.size is -1, below the minimum 0");
        assertThat(contract.violations("POST", "/machine-config", json("{}")))
                .containsExactly("POST /machine-config is not an operation of the contract");
        assertThat(contract.violations("PUT", "/actions", null)).containsExactly("PUT /actions needs a body");
        assertThat(contract.violations("GET", "/version", json("{}"))).containsExactly("GET /version takes no body");
    }

    private static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }
}
