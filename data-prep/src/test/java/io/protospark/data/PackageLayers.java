package io.protospark.data;

import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layering rules of data-prep's packages, for any root package {@code root} (so that they can be shown to fail
 * on a miswired copy): {@link PackageLayersTest} applies them to {@code io.protospark.data}'s main classes.
 */
final class PackageLayers {
    private PackageLayers() {
    }

    /** No cycle between the packages under {@code root}, counting {@code root} itself: every package is a slice. */
    static ArchRule noPackageCycles(String root) {
        String parent = root.substring(0, root.lastIndexOf('.'));
        return slices().matching(parent + ".(**)").should().beFreeOfCycles()
                .because("the packages of " + root + " are layers: the job over the formats over the shared helpers");
    }

    /** The packages beneath {@code root} (the format packages, io, shard, ...) never use the root package. */
    static ArchRule subpackagesDoNotUseTheRoot(String root) {
        return noClasses().that().resideInAPackage(root + "..").and().resideOutsideOfPackage(root)
                .should().dependOnClassesThat().resideInAPackage(root)
                .because(root + " is the job that uses the format packages, not a library they import");
    }

    /** No class under {@code root} depends on a class in any of {@code packages} (ArchUnit package patterns). */
    static ArchRule doNotDependOn(String root, String... packages) {
        return noClasses().that().resideInAPackage(root + "..")
                .should().dependOnClassesThat().resideInAnyPackage(packages);
    }
}
