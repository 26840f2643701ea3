package io.protospark.jobs.spark;

import com.typesafe.config.Config;
import io.protospark.config.Configs;
import io.protospark.config.SettingsException;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * GPU executors: {@code protospark.train.gpus-per-worker} as Spark's resource scheduling settings (applied when the job
 * is submitted, {@code protospark spark-conf}), and the binding of a task's thread to the GPU Spark assigned it.
 *
 * <p>Spark hands each task the addresses of its GPUs ({@link TaskContext#resourcesJMap()}, the indices
 * {@code submit/gpu-discovery.sh} printed for the executor). ND4J's CUDA backend (1.0.0-M2.1) runs a thread on the CUDA
 * runtime's current device, device 0 unless set: on an executor with several GPUs every task would share the first.
 * {@link #bindTask()} sets the device ({@code AffinityManager.unsafeSetDevice}) before the task's network is built.
 */
public final class Gpus {
    private static final Logger LOG = LoggerFactory.getLogger(Gpus.class);

    public static final String KEY = "protospark.train.gpus-per-worker";
    /** The discovery script inside the protospark image (docker/): what executor pods on Kubernetes run. */
    public static final String IMAGE_DISCOVERY_SCRIPT = "/opt/protospark/submit/gpu-discovery.sh";
    /** Spark's name of the resource; {@code spark.{executor,task}.resource.gpu.*}. */
    static final String GPU = "gpu";

    private static final AtomicBoolean WARNED_CPU_BACKEND = new AtomicBoolean();

    private Gpus() {
    }

    /** {@code protospark.train.gpus-per-worker}: 0, 1, or 1/n (n workers sharing one GPU). */
    public static double perWorker(Config c) {
        double v = Configs.getDouble(c, KEY);
        if (v == 0) {
            return 0;
        }
        if (v > 1) {
            throw new SettingsException(KEY, "must be 0, 1 or a fraction 1/n", v, "1: a training worker drives one GPU "
                    + "(ND4J runs a worker's thread on one device); more GPUs means more workers (train.workers)");
        }
        double n = 1 / v;
        if (!(v > 0) || Math.abs(n - Math.rint(n)) > 1e-9) {
            throw new SettingsException(KEY, "must be 0, 1 or a fraction 1/n", v,
                    "0.5 (two workers per GPU), 0.25, ... so that whole workers fill each GPU");
        }
        return v;
    }

    /**
     * The Spark settings of {@code gpusPerWorker} GPUs per task, for executors of one GPU each: empty for 0 or a local
     * master (local mode schedules no executor resources).
     *
     * @param master          the master URL the job is submitted to ({@code null}: local)
     * @param discoveryScript the discovery script's path on the executors (on Kubernetes the image's is used)
     */
    public static Map<String, String> sparkConf(double gpusPerWorker, String master, String discoveryScript) {
        Map<String, String> conf = new LinkedHashMap<>();
        if (gpusPerWorker == 0 || master == null || master.startsWith("local")) {
            return conf;
        }
        boolean kubernetes = master.startsWith("k8s://");
        conf.put("spark.executor.resource.gpu.amount", "1");
        conf.put("spark.task.resource.gpu.amount", amount(gpusPerWorker));
        conf.put("spark.executor.resource.gpu.discoveryScript", kubernetes ? IMAGE_DISCOVERY_SCRIPT : discoveryScript);
        if (kubernetes) {
            // the executor pods' resource limit: nvidia.com/gpu: 1 (NVIDIA's device plugin)
            conf.put("spark.executor.resource.gpu.vendor", "nvidia.com");
        }
        // CUDA numbers devices fastest first, nvidia-smi (and so the discovery script) by PCI bus: make them agree
        conf.put("spark.executorEnv.CUDA_DEVICE_ORDER", "PCI_BUS_ID");
        return conf;
    }

    /** The script beside a job jar at {@code <repo>/spark-jobs/target/}: {@code <repo>/submit/gpu-discovery.sh}. */
    public static String discoveryScriptBeside(Path jobJar) {
        Path target = jobJar.toAbsolutePath().getParent();
        Path repo = target == null || target.getParent() == null ? null : target.getParent().getParent();
        return repo == null ? IMAGE_DISCOVERY_SCRIPT : repo.resolve("submit").resolve("gpu-discovery.sh").toString();
    }

    private static String amount(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }

    /** For {@code mapPartitions}: binds the task to its GPU ({@link #bindTask()}) and passes the partition on. */
    public static <T> Iterator<T> bound(Iterator<T> partition) {
        bindTask();
        return partition;
    }

    /**
     * Binds the calling task's thread to the first GPU Spark assigned the task, when ND4J runs on CUDA; logs it once per
     * task. Does nothing outside a task or for a task without GPUs; on ND4J's CPU backend it warns once per JVM.
     *
     * @return the ND4J device the thread now uses, or -1 when nothing was bound
     */
    public static int bindTask() {
        TaskContext task = TaskContext.get();
        if (task == null) {
            return -1;
        }
        ResourceInformation gpu = task.resourcesJMap().get(GPU);
        if (gpu == null || gpu.addresses().length == 0) {
            return -1;
        }
        String address = gpu.addresses()[0];
        if (Nd4j.getEnvironment().isCPU()) {
            if (WARNED_CPU_BACKEND.compareAndSet(false, true)) {
                LOG.warn("Spark assigned GPU {} to task {}, but ND4J runs on its CPU backend: build the job jar with "
                        + "-Pcuda to train on the GPUs", address, task.taskAttemptId());
            }
            return -1;
        }
        int device;
        try {
            device = Integer.parseInt(address.trim());
        } catch (NumberFormatException e) {
            LOG.warn("task {}: GPU address '{}' is not a device index; ND4J keeps device {}", task.taskAttemptId(),
                    address, Nd4j.getAffinityManager().getDeviceForCurrentThread());
            return -1;
        }
        int devices = Nd4j.getAffinityManager().getNumberOfDevices();
        if (device < 0 || device >= devices) {
            LOG.warn("task {}: Spark assigned GPU {}, but ND4J sees {} device(s); it keeps device {}",
                    task.taskAttemptId(), address, devices, Nd4j.getAffinityManager().getDeviceForCurrentThread());
            return -1;
        }
        Nd4j.getAffinityManager().unsafeSetDevice(device);
        LOG.info("task {} (stage {}, partition {}) on GPU {}{}", task.taskAttemptId(), task.stageId(),
                task.partitionId(), address, gpu.addresses().length > 1
                        ? " (of its " + gpu.addresses().length + "; a worker drives one)" : "");
        return device;
    }
}
