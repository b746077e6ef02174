package io.natsoak;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static com.tngtech.archunit.core.domain.JavaCall.Predicates.target;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.name;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.nameMatching;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package rules of docs/architecture.md, checked on the compiled main classes: no package
 * cycle, the core imports no role, a role imports no other role (but for the few listed below),
 * fabric8 only in the Kubernetes chaos backend, child processes only in local and bench.
 */
class ArchitectureTest {

    private static final String ROOT = "io.natsoak.";
    /** The shared core, bottom up; it may import itself (without cycles) but never a role or app. */
    private static final List<String> CORE = List.of("model", "lifecycle", "metrics", "config", "nats", "control", "resources");
    private static final List<String> ROLES = List.of("producer", "worker", "verifier", "chaos", "assign", "local", "bench");
    /**
     * The only role-to-role imports: a worker uses the partition manager; the local launcher
     * composes the chaos operator in-process (its backend implements {@code ChaosBackend}); the
     * benchmarks start local clusters and measure the verifier's ledger directly.
     */
    private static final Map<String, Set<String>> ROLE_IMPORTS = Map.of(
            "worker", Set.of("assign"),
            "local", Set.of("chaos"),
            "bench", Set.of("local", "verifier"));
    /** Single classes a role may use from another: the chaos operator finds the manager's leader by the manager's own key names. */
    private static final Map<String, Set<String>> ROLE_CLASS_IMPORTS = Map.of(
            "chaos", Set.of("io.natsoak.assign.AssignNames"));

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.natsoak");
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("io.natsoak.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theCoreImportsNoRoleAndNoApp() {
        List<String> upper = new ArrayList<>(packages(ROLES));
        upper.add(ROOT + "app..");
        noClasses().that().resideInAnyPackage(packages(CORE).toArray(String[]::new))
                .should().dependOnClassesThat().resideInAnyPackage(upper.toArray(String[]::new))
                .check(classes);
    }

    @Test
    void theBottomOfTheCoreImportsLittle() {
        noClasses().that().resideInAnyPackage(ROOT + "model..", ROOT + "lifecycle..", ROOT + "metrics..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + "config..", ROOT + "nats..", ROOT + "control..", ROOT + "resources..")
                .because("model, lifecycle and metrics are the leaves every other package builds on")
                .check(classes);
        noClasses().that().resideInAPackage(ROOT + "config..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + "nats..", ROOT + "control..", ROOT + "resources..")
                .because("reading and validating the configuration needs no connection")
                .check(classes);
    }

    @Test
    void aRoleImportsNoOtherRoleButTheListedOnes() {
        for (String role : ROLES) {
            List<String> forbidden = new ArrayList<>();
            forbidden.add(ROOT + "app..");
            for (String other : ROLES) {
                if (!other.equals(role) && !ROLE_IMPORTS.getOrDefault(role, Set.of()).contains(other)) {
                    forbidden.add(ROOT + other + "..");
                }
            }
            Set<String> listed = ROLE_CLASS_IMPORTS.getOrDefault(role, Set.of());
            DescribedPredicate<JavaClass> otherRole = JavaClass.Predicates.resideInAnyPackage(forbidden.toArray(String[]::new))
                    .and(DescribedPredicate.describe("not one of " + listed, c -> !listed.contains(c.getName())));
            noClasses().that().resideInAPackage(ROOT + role + "..")
                    .should().dependOnClassesThat(otherRole)
                    .check(classes);
        }
    }

    @Test
    void fabric8OnlyInTheKubernetesBackend() {
        noClasses().that().resideOutsideOfPackage(ROOT + "chaos.kubernetes..")
                .should().dependOnClassesThat().resideInAPackage("io.fabric8..")
                .check(classes);
    }

    @Test
    void childProcessesOnlyInLocalAndBench() {
        ArchRule rule = noClasses().that().resideOutsideOfPackages(ROOT + "local..", ROOT + "bench..")
                .should().dependOnClassesThat().belongToAnyOf(ProcessBuilder.class)
                .orShould().callMethodWhere(target(name("exec")).and(target(owner(assignableTo(Runtime.class)))))
                .orShould().callMethodWhere(target(nameMatching("destroy(Forcibly)?"))
                        .and(target(owner(assignableTo(Process.class).or(assignableTo(ProcessHandle.class))))))
                .because("starting and stopping child processes belongs to the local launcher and the benchmarks");
        rule.check(classes);
    }

    private static List<String> packages(List<String> names) {
        return names.stream().map(n -> ROOT + n + "..").toList();
    }
}
