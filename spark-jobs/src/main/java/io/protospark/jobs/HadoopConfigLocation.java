package io.protospark.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.protospark.config.ConfigLocation;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * An experiment file on a Hadoop file system ({@code --conf hdfs:///confs/run.conf}): its {@code include "name"}
 * statements resolve against its directory on the same file system ({@code hdfs:///confs/base/x.conf} for
 * {@code include "base/x.conf"}), an absolute path against the same file system, and a full URI
 * ({@code s3a://bucket/base.conf}) on its own file system; read through {@link FileSystem}.
 */
record HadoopConfigLocation(FileSystem fs, Path path) implements ConfigLocation {

    @Override
    public ConfigLocation resolve(String name) {
        // a relative name resolves against this file's directory, an absolute one against this file system, a URI
        // with a scheme on its own file system
        Path p = new Path(path.getParent(), new Path(name));
        try {
            FileSystem target = p.getFileSystem(fs.getConf());
            return new HadoopConfigLocation(target, target.makeQualified(p));
        } catch (IOException e) {
            throw new IllegalArgumentException("include \"" + name + "\" in " + this + ": no file system for " + p
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean exists() throws IOException {
        return fs.isFile(path);
    }

    @Override
    public Config parse(ConfigParseOptions options) throws IOException {
        String text;
        try (FSDataInputStream in = fs.open(path)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        return ConfigFactory.parseString(text, options.setOriginDescription(toString()));
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
