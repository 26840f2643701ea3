package io.protospark.jobs;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.Test;

import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The package graph of the job jar's own classes: the entry points ({@code io.protospark.jobs}) use the training loop
 * ({@code .train}), which uses the Spark plumbing ({@code .spark}), the Spark-free minibatch code ({@code .examples})
 * and {@code .common}; nothing points back up, and no packages form a cycle. The rules are checked on the main
 * classes, and on fixture classes that break each of them (so a rule that could never fail would show).
 */
class ArchitectureTest {
    private static final String ROOT = "io.protospark.jobs";
    /** Classes that break every rule below, under {@code io.protospark.archfixture} (test sources only). */
    private static final String FIXTURE = "io.protospark.archfixture";

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    /** Each package under {@code root} (the root itself included) is one slice; classes elsewhere are ignored. */
    private static SliceAssignment packagesUnder(String root) {
        return new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass c) {
                String p = c.getPackageName();
                return p.equals(root) || p.startsWith(root + ".") ? SliceIdentifier.of(p) : SliceIdentifier.ignore();
            }

            @Override
            public String getDescription() {
                return "packages under " + root;
            }
        };
    }

    static ArchRule packagesFormNoCycle(String root) {
        return slices().assignedFrom(packagesUnder(root)).should().beFreeOfCycles();
    }

    static ArchRule trainingDoesNotUseTheEntryPoints(String root) {
        return noClasses().that().resideInAPackage(root + ".train..")
                .should().dependOnClassesThat().resideInAPackage(root)
                .because("the commands run the training loop, never the other way round");
    }

    static ArchRule lowerPackagesUseNeitherTrainingNorEntryPoints(String root) {
        return noClasses().that().resideInAnyPackage(root + ".spark..", root + ".examples..", root + ".common..")
                .should().dependOnClassesThat().resideInAnyPackage(root, root + ".train..")
                .because("Spark plumbing, minibatch decoding and the common helpers sit below the training loop");
    }

    static ArchRule examplesAreSparkFree(String root) {
        return noClasses().that().resideInAPackage(root + ".examples..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.spark..", "scala..")
                .because("decoding and augmentation run and are tested without a Spark session");
    }

    private static List<ArchRule> rules(String root) {
        return List.of(packagesFormNoCycle(root), trainingDoesNotUseTheEntryPoints(root),
                lowerPackagesUseNeitherTrainingNorEntryPoints(root), examplesAreSparkFree(root));
    }

    @Test
    void packagesFormNoCycle() {
        packagesFormNoCycle(ROOT).check(MAIN);
    }

    @Test
    void trainingDoesNotUseTheEntryPoints() {
        trainingDoesNotUseTheEntryPoints(ROOT).check(MAIN);
    }

    @Test
    void lowerPackagesUseNeitherTrainingNorEntryPoints() {
        lowerPackagesUseNeitherTrainingNorEntryPoints(ROOT).check(MAIN);
    }

    @Test
    void examplesAreSparkFree() {
        examplesAreSparkFree(ROOT).check(MAIN);
    }

    @Test
    void everyRuleCatchesTheFixturesThatBreakIt() {
        JavaClasses fixtures = new ClassFileImporter().importPackages(FIXTURE);
        assertTrue(fixtures.size() >= 4, "fixture classes not found: " + fixtures);
        for (ArchRule rule : rules(FIXTURE)) {
            assertTrue(rule.evaluate(fixtures).hasViolation(), "no violation found by: " + rule.getDescription());
        }
    }
}
