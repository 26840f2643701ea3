package io.protospark.data;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.protospark.data.testing.miswired.MiswiredJob;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each rule of {@link PackageLayersTest} fails where it should: on {@code io.protospark.data.testing.miswired}, a
 * job package whose format package imports it back, and on ND4J being on data-prep's class path.
 */
class PackageLayersCanFailTest {
    private static final String MISWIRED = MiswiredJob.class.getPackageName();

    private static JavaClasses miswired() {
        return new ClassFileImporter().importPackages(MISWIRED);
    }

    private static String failure(Runnable check) {
        return assertThrows(AssertionError.class, check::run).getMessage();
    }

    @Test
    void aCycleBetweenTwoPackagesFails() {
        String msg = failure(() -> PackageLayers.noPackageCycles(MISWIRED).check(miswired()));
        assertTrue(msg.contains("Cycle detected"), msg);
    }

    @Test
    void aFormatPackageUsingTheJobFails() {
        String msg = failure(() -> PackageLayers.subpackagesDoNotUseTheRoot(MISWIRED).check(miswired()));
        assertTrue(msg.contains("MiswiredReader") && msg.contains("MiswiredJob"), msg);
    }

    @Test
    void aForbiddenDependencyFails() {
        String msg = failure(() -> PackageLayers.doNotDependOn(MISWIRED, "java.util.zip..").check(miswired()));
        assertTrue(msg.contains("java.util.zip.CRC32"), msg);
    }

    @Test
    void theRealRulesSeeTheMainClasses() {
        // the rules of PackageLayersTest would pass vacuously on an empty import
        JavaClasses main = new ClassFileImporter().withImportOption(new ImportOption.DoNotIncludeTests())
                .importPackages(PackageLayersTest.ROOT);
        assertTrue(main.contain(PrepareJob.class) && main.contain(io.protospark.data.io.HadoopPaths.class)
                && main.contain(io.protospark.data.cifar.CifarReader.class), "main classes not imported");
        assertTrue(main.stream().noneMatch(c -> c.getPackageName().startsWith(MISWIRED)), "test classes imported");
        PackageLayersTest.NO_PACKAGE_CYCLES.check(main);
        PackageLayersTest.FORMAT_PACKAGES_DO_NOT_USE_THE_JOB.check(main);
        PackageLayersTest.NO_DL4J_ND4J_OR_MODEL.check(main);
    }

    @Test
    void nd4jIsNotOnTheClassPath() {
        // data-prep depends on common, not on model: DL4J and ND4J are not even on its test class path
        assertThrows(ClassNotFoundException.class, () -> Class.forName("org.nd4j.linalg.factory.Nd4j"));
        assertThrows(ClassNotFoundException.class,
                () -> Class.forName("org.deeplearning4j.nn.multilayer.MultiLayerNetwork"));
    }
}
