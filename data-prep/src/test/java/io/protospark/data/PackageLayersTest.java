package io.protospark.data;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * data-prep's main classes keep their layers: no package cycles in {@code io.protospark.data..}; the format packages
 * (cifar, idx, image, npy, recordio, shard, source, stl, svhn, transform, verify) and {@code io} never use the root
 * package, the prepare job, which uses them; and nothing depends on DL4J, ND4J or the model module, which data-prep
 * does not need. Test classes are not checked (the end-to-end tests of each format call the job).
 * {@link PackageLayersCanFailTest} shows each rule failing.
 */
@AnalyzeClasses(packages = PackageLayersTest.ROOT, importOptions = ImportOption.DoNotIncludeTests.class)
class PackageLayersTest {
    static final String ROOT = "io.protospark.data";

    @ArchTest
    static final ArchRule NO_PACKAGE_CYCLES = PackageLayers.noPackageCycles(ROOT);

    @ArchTest
    static final ArchRule FORMAT_PACKAGES_DO_NOT_USE_THE_JOB = PackageLayers.subpackagesDoNotUseTheRoot(ROOT);

    @ArchTest
    static final ArchRule NO_DL4J_ND4J_OR_MODEL = PackageLayers.doNotDependOn(ROOT,
            "org.deeplearning4j..", "org.nd4j..", "io.protospark.model..")
            .because("data-prep reads and writes data with Spark and Hadoop only; DL4J and ND4J belong to model");
}
