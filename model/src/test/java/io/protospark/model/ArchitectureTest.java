package io.protospark.model;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleNameStartingWith;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.junit.LocationProvider;
import com.tngtech.archunit.lang.ArchRule;
import io.protospark.model.fast.FastLayers;
import io.protospark.model.net.Networks;
import java.util.Set;

/**
 * The package rules of the model, checked on the production classes of this module and of
 * {@code protospark-dl4j-fast} ({@code io.protospark.model.fast}), read from where the class path has them.
 */
@AnalyzeClasses(locations = ArchitectureTest.ModelAndFastLayers.class,
        importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    /** The class directories (or jars) of this module and of the fast layers' module. */
    static final class ModelAndFastLayers implements LocationProvider {
        @Override
        public Set<Location> get(Class<?> testClass) {
            return Set.of(Location.of(Networks.class.getProtectionDomain().getCodeSource().getLocation()),
                    Location.of(FastLayers.class.getProtectionDomain().getCodeSource().getLocation()));
        }
    }

    /** The packages of the model (net, loss, prototype, fast …) depend on each other without a cycle. */
    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("io.protospark.model.(*)..")
            .should().beFreeOfCycles();

    /** The model (and the fast layers) run in any JVM: Spark is the business of spark-jobs and data-prep. */
    @ArchTest
    static final ArchRule noSpark = noClasses()
            .should().dependOnClassesThat().resideInAPackage("org.apache.spark..");

    /**
     * The losses are maths: no Hadoop, no files. Target matrices by reference are read and written by
     * {@code io.protospark.model.targets}.
     */
    @ArchTest
    static final ArchRule lossesDoNoIo = noClasses().that().resideInAPackage("io.protospark.model.loss..")
            .should().dependOnClassesThat(resideInAnyPackage("org.apache.hadoop..", "java.nio.file..")
                    .or(resideInAPackage("java.io").and(simpleNameStartingWith("File")))
                    .or(resideInAPackage("java.io").and(simpleNameStartingWith("RandomAccessFile"))));

    /**
     * The fast layers (module {@code protospark-dl4j-fast}, tied to one DL4J release) use DL4J and ND4J only, nothing
     * of protospark outside their own package, so that the model depends on them and never the other way round.
     */
    @ArchTest
    static final ArchRule fastLayersStandAlone = noClasses().that().resideInAPackage("io.protospark.model.fast..")
            .should().dependOnClassesThat(resideInAPackage("io.protospark..")
                    .and(not(resideInAPackage("io.protospark.model.fast.."))));
}
