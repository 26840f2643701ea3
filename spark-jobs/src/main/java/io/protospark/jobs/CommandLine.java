package io.protospark.jobs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The command line of {@code protospark COMMAND [--conf FILE] [--master URL] [--flag value ...] [path=value ...]}.
 * Every command-specific flag is an alias of one config key, so a flag and its {@code path=value} form are the
 * same thing and the config stays the single source of settings.
 */
public record CommandLine(String command, String confFile, String master, List<String> overrides, boolean help) {

    /** The commands and, for each, its flags and the config keys they set. */
    static final Map<String, Map<String, String>> FLAGS = Map.ofEntries(
            Map.entry("prepare", Map.of(
                    "--format", "prepare.format",
                    "--input", "prepare.input",
                    "--output", "prepare.output",
                    "--image-size", "prepare.image-size",
                    "--long-tail-ratio", "prepare.long-tail-ratio",
                    "--open-set", "prepare.open-set",
                    "--classes", "prepare.subset.classes",
                    "--seed", "prepare.seed")),
            Map.entry("train", Map.of(
                    "--data", "train.data",
                    "--run-dir", "train.run-dir",
                    "--epochs", "train.epochs",
                    "--workers", "train.workers")),
            Map.entry("assign", Map.of(
                    "--cost", "assign.cost",
                    "--classes", "assign.classes",
                    "--prototypes", "assign.prototypes",
                    "--out", "assign.out",
                    "--k", "assign.k",
                    "--maximize", "assign.maximize")),
            Map.entry("embed", Map.of(
                    "--model", "evaluate.model",
                    "--checkpoint", "evaluate.checkpoint",
                    "--data", "evaluate.data",
                    "--split", "evaluate.split",
                    "--out", "embed.out",
                    "--layer", "evaluate.layer",
                    "--flip-sum", "embed.flip-sum")),
            Map.entry("import", Map.of(
                    "--from", "import.from",
                    "--out", "import.out",
                    "--backbone", "model.backbone")),
            Map.entry("validate", Map.of()),
            Map.entry("spark-conf", Map.of()),
            Map.entry("report", Map.of(
                    "--run-dir", "report.run-dir",
                    "--out", "report.out")),
            Map.entry("evaluate", Map.of(
                    "--model", "evaluate.model",
                    "--checkpoint", "evaluate.checkpoint",
                    "--data", "evaluate.data",
                    "--split", "evaluate.split",
                    "--unknown-data", "evaluate.unknown-data",
                    "--out", "evaluate.out",
                    "--layer", "evaluate.layer",
                    "--flip-sum", "evaluate.flip-sum")),
            Map.entry("bench", Map.of(
                    "--model", "bench.model",
                    "--batch", "bench.batch",
                    "--iterations", "bench.iterations",
                    "--warmup", "bench.warmup",
                    "--threads", "bench.threads",
                    "--fast", "bench.fast",
                    "--checkpoint", "bench.checkpoint")),
            Map.entry("prototypes", Map.of(
                    "--kind", "model.head.prototypes",
                    "--classes", "model.classes",
                    "--dim", "model.embedding-dim",
                    "--radius", "model.head.radius",
                    "--seed", "seed",
                    "--epochs", "model.head.estimation.iterations",
                    "--objective", "model.head.estimation.objective",
                    "--out", "prototypes.out")));

    /** Flags that take no value and set their key to true. */
    static final Set<String> SWITCHES = Set.of("--maximize");

    public CommandLine {
        overrides = List.copyOf(overrides);
    }

    public static CommandLine parse(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            return new CommandLine(null, null, null, List.of(), true);
        }
        String command = args[0];
        Map<String, String> flags = FLAGS.get(command);
        if (flags == null) {
            throw new UsageException("unknown command '" + command + "'; expected one of " + FLAGS.keySet().stream()
                    .sorted().toList());
        }
        String conf = null;
        String master = null;
        boolean help = false;
        Map<String, String> fromFlags = new LinkedHashMap<>();
        List<String> overrides = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                help = true;
            } else if (a.startsWith("--")) {
                String name = a;
                String value;
                int eq = a.indexOf('=');
                if (eq > 0) {
                    name = a.substring(0, eq);
                    value = a.substring(eq + 1);
                } else if (SWITCHES.contains(name) && flags.containsKey(name)) {
                    value = "true";
                } else {
                    if (i + 1 >= args.length) {
                        throw new UsageException("flag " + name + " needs a value");
                    }
                    value = args[++i];
                }
                switch (name) {
                    case "--conf" -> conf = value;
                    case "--master" -> master = value;
                    default -> {
                        String key = flags.get(name);
                        if (key == null) {
                            List<String> known = new ArrayList<>(flags.keySet());
                            known.add("--conf");
                            known.add("--master");
                            throw new UsageException("unknown flag " + name + " for '" + command + "'; its flags are "
                                    + known.stream().sorted().toList() + ", and any config override path=value");
                        }
                        fromFlags.put(key, value);
                    }
                }
            } else if (a.contains("=")) {
                overrides.add(a);
            } else {
                throw new UsageException("unexpected argument '" + a + "'; give flags as --name value and config "
                        + "overrides as path=value");
            }
        }
        List<String> all = new ArrayList<>();
        // flags are quoted as HOCON strings so URIs with ':' survive
        fromFlags.forEach((k, v) -> all.add(k + "=" + quote(v)));
        all.addAll(overrides);
        return new CommandLine(command, conf, master, all, help);
    }

    private static String quote(String v) {
        if (v.matches("-?[0-9]+")) {
            return v;
        }
        return "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** A command line that cannot be understood; exit code 2. */
    public static final class UsageException extends IllegalArgumentException {
        public UsageException(String message) {
            super(message);
        }
    }

    static String usage() {
        return String.join("\n",
                "usage: protospark COMMAND [--conf FILE] [--master URL] [flags] [path=value ...]",
                "",
                "commands:",
                "  prepare   --format F --input URI --output URI     write Parquet shards + manifest.json",
                "            (F = idx, cifar10, cifar100, imagefolder, imagenet (these two need --image-size N),",
                "            recordio, verification-bin, lfw-pairs, npy (uint8 image array; labels from prepare.labels=FILE.npy),",
                "            svhn (*_32x32.mat), stl10 (stl10_binary), tiny-imagenet (tiny-imagenet-200))",
                "            [--classes N] [--long-tail-ratio R] [--open-set NAME:SPLIT] [--seed N]   (prepare.* keys)",
                "  train     --data URI --run-dir URI [--epochs N] [--workers N]   train on prepared shards",
                "  evaluate  --model RUN_DIR|model.zip --data URI [--split test] [--checkpoint last|best|epoch-N]",
                "            [--unknown-data URI] [--out URI]   metrics (closed set, long tail, open set, face",
                "            verification) into evaluation.json + predictions.parquet",
                "  embed     --model RUN_DIR|model.zip --data URI [--split test] [--layer embedding] [--flip-sum true]",
                "            [--out URI]   one layer's activations as Parquet: id, label, embedding",
                "  report    --run-dir URI [--out URI]   report.html (charts inlined) + PNGs of a run's curves,",
                "            prototypes and evaluations, into <run dir>/report by default (no Spark)",
                "  import    --from backbone.pth --backbone iresnet18|34|50|100 --out model.zip   an InsightFace",
                "            arcface_torch state dict into the network of --conf (backbone parameters; no Spark)",
                "  validate  [--conf FILE]                              check the config, print the network",
                "  spark-conf [--conf FILE] [--master URL]   the Spark settings spark-submit needs (protospark.spark and",
                "            what train.gpus-per-worker implies for that master), one KEY=VALUE a line (no Spark)",
                "  assign    --cost FILE.npy [--maximize] --out FILE.npy   exact assignment of an n x n matrix (no Spark)",
                "            --classes FILE.npy --prototypes FILE.npy --out FILE.npy [--k 32]   max total cosine, K x d",
                "  prototypes --kind KIND --classes K --dim D --out FILE.npy [--radius U] [--seed S] [--epochs N]",
                "            [--objective O]   build a prototype matrix (no Spark), print its quality as JSON",
                "  bench     --model NAME [--batch 64] [--iterations 20] [--warmup 3] [--threads T] [--fast true]",
                "            [--checkpoint false]   train/infer throughput of one network in this JVM (no Spark),",
                "            and with --checkpoint true its checkpoint's size and write/read times; one JSON line",
                "",
                "  --conf FILE    experiment file (HOCON) overriding the defaults, e.g. conf/fashion-mnist.conf",
                "  --master URL   Spark master (default local[*])",
                "  path=value     any config override, e.g. train.batch-size=128 model.head.kind=learned",
                "URIs are Hadoop FileSystem URIs (file:, hdfs:, s3a:); a bare path is local.");
    }
}
