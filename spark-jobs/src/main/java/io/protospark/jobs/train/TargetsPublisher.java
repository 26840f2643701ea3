package io.protospark.jobs.train;

import io.protospark.model.loss.TargetLoss;
import io.protospark.model.loss.TargetLosses;
import io.protospark.model.loss.TargetsRef;
import io.protospark.model.targets.TargetsStore;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Puts a network's target-loss targets into the run directory so that averaging rounds ship a reference instead of
 * the matrix: {@code targets-<sha256>.npy} (float64, published atomically by {@link RunDirectory}) and a
 * {@link TargetsRef} on the loss. Call it whenever the driver may have replaced the targets (a replaced matrix drops
 * its reference): a matrix equal to one already published takes its reference back after an exact comparison (no
 * new hash or file), and the file of a superseded matrix (the previous
 * assignment's permutation) is deleted, so the directory holds the current targets only. Matrices of at most
 * {@code inlineUpTo} bytes stay inline.
 */
final class TargetsPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(TargetsPublisher.class);

    private final RunDirectory run;
    private final long inlineUpTo;
    private final Set<String> published = new HashSet<>();
    private List<TargetsRef> current = List.of();

    TargetsPublisher(RunDirectory run, long inlineUpTo) {
        this.run = run;
        this.inlineUpTo = inlineUpTo;
    }

    /** Publishes the targets of every target loss of {@code net} that has none and is above the threshold. */
    void publish(ComputationGraph net) {
        List<TargetsRef> refs = new ArrayList<>();
        for (TargetLoss loss : TargetLosses.find(net)) {
            if (loss.targetsRef() == null) {
                long bytes = (long) loss.numClasses() * loss.dimension() * Double.BYTES;
                if (bytes <= inlineUpTo) {
                    continue;
                }
                TargetsRef same = current.stream().filter(r -> TargetsStore.holds(loss, r)).findFirst().orElse(null);
                if (same != null) { // the driver re-applied the published matrix: same file, no new hash
                    loss.setTargetsRef(same);
                    refs.add(same);
                    continue;
                }
                String sha = TargetsStore.sha256(loss);
                String name = TargetsStore.fileName(sha);
                if (!run.exists(name)) {
                    long start = System.nanoTime();
                    run.write(name, out -> TargetsStore.writeNpy(loss, out));
                    LOG.info("target matrix {} x {} published by reference as {} ({} bytes, {} s)",
                            loss.numClasses(), loss.dimension(), run.path(name), bytes,
                            String.format(java.util.Locale.ROOT, "%.2f", (System.nanoTime() - start) / 1e9));
                }
                TargetsRef ref = new TargetsRef(run.path(name).toUri(), sha, loss.numClasses(), loss.dimension());
                loss.setTargetsRef(ref);
                TargetsStore.remember(ref, loss); // this JVM (local mode: the executors too) need not read it back
            }
            refs.add(loss.targetsRef());
        }
        Set<String> now = new HashSet<>();
        refs.forEach(r -> now.add(r.sha256()));
        for (String old : published) {
            if (!now.contains(old)) {
                run.delete(TargetsStore.fileName(old));
            }
        }
        published.clear();
        published.addAll(now);
        current = List.copyOf(refs);
    }

    /** The references now in use, for provenance.json. */
    List<Map<String, Object>> toList() {
        return current.stream().map(TargetsRef::toMap).toList();
    }
}
