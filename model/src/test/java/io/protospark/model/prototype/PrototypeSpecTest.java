package io.protospark.model.prototype;

import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import io.protospark.model.net.ModelSettings;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Config validation of the prototype keys, and the factory building every kind. */
class PrototypeSpecTest {

    private static ModelSettings model(String... overrides) {
        return ModelSettings.from(Configs.load((String) null, "test", List.of(overrides)));
    }

    private static SettingsException refused(String... overrides) {
        return assertThrows(SettingsException.class, () -> model(overrides));
    }

    @Test
    void dcubeTooSmallNamesTheDimensionThatFits() {
        SettingsException e = refused("model.head.prototypes=d-cube", "model.classes=10", "model.embedding-dim=3");
        assertEquals("protospark.model.embedding-dim", e.key());
        assertEquals("config key 'protospark.model.embedding-dim': d-cube in 3 dimensions holds at most 8 classes, "
                + "K = 10; found 3; use embedding-dim >= 4", e.getMessage());
    }

    @Test
    void orthoplexEtfPolygonHadamardAndDscRules() {
        assertEquals("config key 'protospark.model.embedding-dim': orthoplex in 4 dimensions holds at most 8 classes, "
                        + "K = 10; found 4; use embedding-dim >= ceil(K/2) = 5",
                refused("model.head.prototypes=orthoplex", "model.embedding-dim=4").getMessage());
        assertEquals("config key 'protospark.model.embedding-dim': etf for 10 classes needs embedding-dim >= K = 10; "
                        + "found 9; use embedding-dim >= 10, or dsc-centres / kasarla (d >= K - 1), or prototypes = estimated",
                refused("model.head.prototypes=etf").getMessage());
        assertEquals("config key 'protospark.model.embedding-dim': polygon prototypes lie in a plane: embedding-dim "
                + "must be 2; found 9; set embedding-dim = 2", refused("model.head.prototypes=polygon").getMessage());
        assertEquals("config key 'protospark.model.embedding-dim': hadamard rows in 8 dimensions are distinct for at "
                        + "most 8 classes, K = 10; found 8; use embedding-dim >= 9",
                refused("model.head.prototypes=hadamard", "model.embedding-dim=8").getMessage());
        assertEquals("config key 'protospark.model.embedding-dim': dsc-centres for 10 classes needs embedding-dim >= "
                        + "K - 1 = 9; found 5; use embedding-dim >= 9, or prototypes = estimated or orthoplex",
                refused("model.head.prototypes=dsc-centres", "model.embedding-dim=5").getMessage());
    }

    @Test
    void radiusUnknownKindAndEstimationRanges() {
        SettingsException r = refused("model.head.radius=0");
        assertEquals("protospark.model.head.radius", r.key());
        assertEquals("config key 'protospark.model.head.radius': must be a positive finite number; found 0.0; "
                + "use a value > 0", r.getMessage());
        SettingsException k = refused("model.head.prototypes=cube");
        assertEquals("protospark.model.head.prototypes", k.key());
        assertTrue(k.getMessage().contains("must be one of [simplex, d-cube, orthoplex, dsc-centres, kasarla, etf, "
                + "hadamard, polygon, estimated, file]"), k.getMessage());
        assertEquals("protospark.model.head.estimation.objective",
                refused("model.head.estimation.objective=hpn").key());
        assertEquals("protospark.model.head.estimation.learning-rate",
                refused("model.head.estimation.learning-rate=-1").key());
    }

    @Test
    void learnedHeadIgnoresTheFit() {
        ModelSettings m = model("model.head.kind=learned", "model.head.prototypes=polygon");
        assertEquals(PrototypeKind.POLYGON, m.prototypeSpec().kind());
    }

    @Test
    void factoryBuildsEveryKindAtTheConfiguredRadius() {
        String[][] cases = {
                {"simplex", "9"}, {"d-cube", "4"}, {"orthoplex", "5"}, {"dsc-centres", "12"}, {"kasarla", "9"},
                {"etf", "10"}, {"hadamard", "16"}, {"polygon", "2"}, {"estimated", "3"}};
        for (String[] c : cases) {
            ModelSettings m = model("model.head.prototypes=" + c[0], "model.embedding-dim=" + c[1],
                    "model.head.radius=2", "model.head.estimation.iterations=20");
            PrototypeSet p = Prototypes.build(m);
            assertEquals(c[0], p.kind().configName());
            assertEquals(10, p.classes(), c[0]);
            assertEquals(Integer.parseInt(c[1]), p.dimension(), c[0]);
            assertEquals(2.0, p.radius(), 1e-12, c[0]);
            assertEquals(0.0, p.radiusSpread(), 1e-12, c[0]);
            assertTrue(p.maxCosine() < 1 - 1e-9, c[0] + " rows distinct");
            assertEquals(2L, p.parameters().get("radius"));
        }
        PrototypeSet e = Prototypes.build(model("model.head.prototypes=estimated", "model.embedding-dim=3",
                "seed=5", "model.head.estimation.iterations=20"));
        assertEquals(OptionalLong.of(5), e.seed());
        assertEquals(20L, e.parameters().get("iterations"));
        assertEquals("spread", e.parameters().get("objective"));
    }

    @Test
    void dscSubsetIsTheSeedsBehaviour() {
        PrototypeSet p = Prototypes.build(model("model.head.prototypes=dsc-centres", "model.embedding-dim=20",
                "model.head.dsc-subset=true", "model.head.radius=5"));
        assertEquals(-1.0 / 20, p.maxCosine(), 1e-12);
        assertEquals(Boolean.TRUE, p.parameters().get("dsc_subset"));
        PrototypeSet c = Prototypes.build(model("model.head.prototypes=dsc-centres", "model.embedding-dim=20"));
        assertEquals(-1.0 / 9, c.maxCosine(), 1e-12);
    }

    @Test
    void automaticIterationsDependOnlyOnTheShape() {
        PrototypeSpec small = model("model.head.prototypes=estimated", "model.classes=100",
                "model.embedding-dim=32").prototypeSpec();
        assertEquals(500, small.estimationIterations());
        PrototypeSpec big = model("model.head.prototypes=estimated", "model.classes=1000",
                "model.embedding-dim=512").prototypeSpec();
        assertEquals(23, big.estimationIterations());
    }
}
