package io.protospark.data;

import io.protospark.data.shard.Manifest;

import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link PrepareJob#run} published.
 *
 * @param output   the data set directory, fully qualified
 * @param examples examples per split, in manifest order
 * @param files    the shards as listed in the manifest
 * @param seconds  wall-clock time of the run
 */
public record PrepareResult(URI output, Map<String, Long> examples, List<Manifest.ShardFile> files, double seconds) {
    public PrepareResult {
        examples = Collections.unmodifiableMap(new LinkedHashMap<>(examples));
        files = List.copyOf(files);
    }
}
