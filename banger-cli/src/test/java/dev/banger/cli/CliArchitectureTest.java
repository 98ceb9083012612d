package dev.banger.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;
import org.junit.jupiter.api.Test;

/** The CLI's house rules: one class starts processes, no databind on the start-up path, no cycles. */
class CliArchitectureTest {

    static final JavaClasses CLI = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.banger.cli");

    @Test
    void onlyProcessLauncherStartsProcesses() {
        noClasses().that().doNotHaveFullyQualifiedName("dev.banger.cli.exec.ProcessLauncher")
                .should().dependOnClassesThat().haveFullyQualifiedName(ProcessBuilder.class.getName())
                .orShould().callMethod(Runtime.class, "exec", String.class)
                .orShould().callMethod(Runtime.class, "exec", String[].class)
                .check(CLI);
    }

    @Test
    void cliNeverTouchesJacksonDatabind() {
        // databind costs over 100 ms of start-up per command; the CLI speaks JSON through core's streaming Json.
        noClasses().should().dependOnClassesThat().resideInAPackage("com.fasterxml.jackson.databind..")
                .check(CLI);
    }

    @Test
    void noPackageCycles() {
        SlicesRuleDefinition.slices().matching("dev.banger.(**)").should().beFreeOfCycles().check(CLI);
    }
}
