package dev.banger.daemon;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleNameContaining;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.banger.core.config.Config;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.vm.VMService;
import java.net.URL;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering ARCHITECTURE.md describes, checked on the compiled classes of banger-core and
 * banger-daemon (the CLI module checks its own). Production classes only.
 */
class ArchitectureTest {

    /** The only classes allowed to start processes: the daemon's runner and the CLI's launcher. */
    private static final String[] PROCESS_STARTERS = {
            "dev.banger.daemon.exec.CommandRunner", "dev.banger.cli.exec.ProcessLauncher"};

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        // The two modules' class directories (or jars) only: scanning every jar on the class path
        // for the packages takes seconds.
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> location.contains("/dev/banger/"))
                .importUrls(List.of(codeSource(Daemon.class), codeSource(Config.class)));
    }

    private static URL codeSource(Class<?> c) {
        return c.getProtectionDomain().getCodeSource().getLocation();
    }

    @Test
    void theImportSeesBothModules() {
        assertThat(classes.contain(CommandRunner.class)).isTrue();
        assertThat(classes.contain(Daemon.class)).isTrue();
        assertThat(classes.contain(Config.class)).isTrue();
        assertThat(classes.contain(ArchitectureTest.class)).as("tests are not production code").isFalse();
    }

    @Test
    void onlyTheCommandRunnerStartsProcesses() {
        DescribedPredicate<JavaClass> processStarters = new DescribedPredicate<>("the process starters") {
            @Override
            public boolean test(JavaClass c) {
                for (String name : PROCESS_STARTERS) {
                    if (c.getName().equals(name) || c.getName().startsWith(name + "$")) {
                        return true;
                    }
                }
                return false;
            }
        };
        DescribedPredicate<JavaAccess<?>> startsAProcess = new DescribedPredicate<>(
                "a ProcessBuilder constructor, method or field, or Runtime.exec") {
            @Override
            public boolean test(JavaAccess<?> access) {
                String owner = access.getTargetOwner().getName();
                return owner.equals(ProcessBuilder.class.getName())
                        || owner.startsWith(ProcessBuilder.class.getName() + "$")
                        || owner.equals(Runtime.class.getName()) && access.getName().equals("exec");
            }
        };

        ArchRule rule = noClasses().that(DescribedPredicate.not(processStarters))
                .should().accessTargetWhere(startsAProcess)
                .because("commands run through CommandRunner get a timeout, captured output and are killed on cancel");

        rule.check(classes);
    }

    /**
     * By name, because classes outside dev.banger are not imported (see archunit.properties) and
     * their stubs do not know their enclosing class, so belongToAnyOf would miss ProcessBuilder.Redirect.
     */
    private static DescribedPredicate<JavaClass> classOrNested(Class<?>... types) {
        List<String> names = Stream.of(types).map(Class::getName).toList();
        return new DescribedPredicate<>("are (or are nested in) any of " + names) {
            @Override
            public boolean test(JavaClass c) {
                return names.stream().anyMatch(n -> c.getName().equals(n) || c.getName().startsWith(n + "$"));
            }
        };
    }

    @Test
    void packagesHaveNoCycles() {
        slices().matching("dev.banger.(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void coreStartsNoProcessesOpensNoSocketsAndKnowsNoModuleAboveIt() {
        DescribedPredicate<JavaClass> forbidden = classOrNested(ProcessBuilder.class, Runtime.class, Process.class, ProcessHandle.class)
                .or(resideInAPackage("java.net").and(simpleNameContaining("Socket")))
                .or(resideInAnyPackage("java.nio.channels..", "dev.banger.daemon..", "dev.banger.cli.."));

        noClasses().that().resideInAPackage("dev.banger.core..")
                .should().dependOnClassesThat(forbidden)
                .because("banger-core is shared by the CLI's fast start-up path and must stay inert")
                .check(classes);
    }

    @Test
    void theWireContractNeedsNoReflectionAndNoDatabind() {
        noClasses().that().resideInAPackage("dev.banger.core.api..")
                .should().dependOnClassesThat().resideInAnyPackage("java.lang.reflect..", "com.fasterxml.jackson.databind..")
                .because("the CLI reads and writes these records on its start-up path, through their hand-written Shapes")
                .check(classes);
    }

    @Test
    void servicesDoNotKnowTheRpcLayerOrTheCompositionRoot() {
        noClasses().that().resideInAnyPackage("dev.banger.daemon.image..", "dev.banger.daemon.network..",
                        "dev.banger.daemon.vm..", "dev.banger.daemon.workspace..")
                .should().dependOnClassesThat().resideInAPackage("dev.banger.daemon.rpc..")
                .orShould().dependOnClassesThat().belongToAnyOf(Daemon.class, Bangerd.class)
                .because("services are called by RPC handlers, never the other way round")
                .check(classes);
    }

    @Test
    void thePartsOfImageDoNotKnowTheirFront() {
        noClasses().that().resideInAPackage("dev.banger.daemon.image..")
                .and(DescribedPredicate.not(classOrNested(ImageService.class)))
                .should().dependOnClassesThat(classOrNested(ImageService.class))
                .because("the parts get what they need through their constructors and return results; the front calls them")
                .check(classes);
    }

    @Test
    void thePartsOfVmDoNotKnowTheirFront() {
        noClasses().that().resideInAPackage("dev.banger.daemon.vm..")
                .and(DescribedPredicate.not(classOrNested(VMService.class)))
                .should().dependOnClassesThat(classOrNested(VMService.class))
                .because("the parts (machines, snapshots, warm start, ...) get what they need through their constructors; the front calls them")
                .check(classes);
    }
}
