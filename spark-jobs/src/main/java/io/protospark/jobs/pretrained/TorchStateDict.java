package io.protospark.jobs.pretrained;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Unpickler;

/**
 * A PyTorch state dict as {@code torch.save(model.state_dict(), f)} writes it (PyTorch ≥ 1.6): a zip holding
 * {@code <archive>/data.pkl}, a pickle of an {@code OrderedDict} from names to tensors, and each tensor storage's raw
 * little-endian bytes in {@code <archive>/data/<key>}. The pickle is read with Pyrolite ({@code net.razorvine:pickle},
 * the pickle library Spark itself ships); a tensor is {@code torch._utils._rebuild_tensor_v2(storage, offset, size,
 * stride, ...)} whose storage arrives through pickle's persistent-id hook as {@code ('storage', torch.FloatStorage,
 * key, location, numel)}. Tensors of any stride are read into dense C-order float arrays; float16 and bfloat16 are
 * widened to float32, float64 narrowed (the caller is told: {@link Tensor#dtype}); integer tensors (BatchNorm's
 * {@code num_batches_tracked}) keep their values as floats too. The legacy format (PyTorch &lt; 1.6 or
 * {@code _use_new_zipfile_serialization=False}) and whole pickled modules are refused with a message saying what to do.
 */
public final class TorchStateDict {
    /** One tensor: its dtype as PyTorch names it, its shape, and its values in C order. */
    public record Tensor(String dtype, long[] shape, float[] values) {
        public long numel() {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            return n;
        }

        public String shapeText() {
            return java.util.Arrays.toString(shape);
        }
    }

    private TorchStateDict() {
    }

    /** A storage type global ({@code torch.FloatStorage} …): its dtype and element width. */
    private record StorageType(String dtype, int width) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException("torch." + dtype + " storage constructed directly: not a state dict");
        }
    }

    /** The persistent id of a storage, resolved to its bytes. */
    private record Storage(StorageType type, String key, byte[] bytes) {
    }

    /** An OrderedDict: a map that also takes pickle's BUILD (the state dict's {@code _metadata}), which it ignores. */
    public static final class OrderedDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;

        public void __setstate__(HashMap<?, ?> state) {
            // _metadata (module versions) carries nothing protospark uses
        }
    }

    /** Pickle's BINPERSID opcode ({@code Q}). */
    private static final short BINPERSID = 'Q';

    private static final Map<String, StorageType> STORAGES = Map.of(
            "FloatStorage", new StorageType("float32", 4),
            "HalfStorage", new StorageType("float16", 2),
            "BFloat16Storage", new StorageType("bfloat16", 2),
            "DoubleStorage", new StorageType("float64", 8),
            "LongStorage", new StorageType("int64", 8),
            "IntStorage", new StorageType("int32", 4),
            "ByteStorage", new StorageType("uint8", 1),
            "BoolStorage", new StorageType("bool", 1));

    /**
     * Reads every tensor of a state dict (in no particular order: Pyrolite fills dictionaries through a hash map).
     * {@code name} is used in error messages. Keys are the
     * state dict's own (a {@code module.} prefix from DataParallel is the caller's to strip).
     */
    public static Map<String, Tensor> read(InputStream in, String name) throws IOException {
        Map<String, byte[]> entries = new HashMap<>();
        byte[] head = in.readNBytes(4);
        if (head.length < 4 || head[0] != 'P' || head[1] != 'K') {
            if (head.length >= 2 && (head[0] & 0xff) == 0x80) {
                throw new IOException(name + " is a PyTorch file in the legacy (pre-1.6, non-zip) format; re-save it "
                        + "with a current PyTorch: torch.save(torch.load(f), 'backbone.pth')");
            }
            throw new IOException(name + " is not a PyTorch zip file (torch.save of a state dict): it does not start "
                    + "with a zip header");
        }
        // torch.save writes stored entries with data descriptors, which ZipInputStream cannot read: go through the
        // central directory of a local copy
        java.nio.file.Path tmp = java.nio.file.Files.createTempFile("protospark-torch-", ".zip");
        try {
            try (java.io.OutputStream out = java.nio.file.Files.newOutputStream(tmp)) {
                out.write(head);
                in.transferTo(out);
            }
            try (ZipFile zip = new ZipFile(tmp.toFile())) {
                for (var it = zip.entries(); it.hasMoreElements(); ) {
                    ZipEntry e = it.nextElement();
                    try (InputStream s = zip.getInputStream(e)) {
                        entries.put(e.getName(), s.readAllBytes());
                    }
                }
            } catch (java.util.zip.ZipException e) {
                throw new IOException(name + " is not a readable zip file: " + e.getMessage(), e);
            }
        } finally {
            java.nio.file.Files.deleteIfExists(tmp);
        }
        String pkl = entries.keySet().stream().filter(k -> k.endsWith("/data.pkl") || k.equals("data.pkl"))
                .findFirst().orElseThrow(() -> new IOException(name + " holds no data.pkl: not a file torch.save "
                        + "wrote (entries: " + entries.keySet().stream().sorted().limit(10).toList() + ")"));
        String archive = pkl.substring(0, pkl.length() - "data.pkl".length());
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        byte[] byteorder = entries.get(archive + "byteorder");
        if (byteorder != null && new String(byteorder, java.nio.charset.StandardCharsets.US_ASCII).trim()
                .equals("big")) {
            order = ByteOrder.BIG_ENDIAN;
        }
        ByteOrder storageOrder = order;
        Object root;
        synchronized (TorchStateDict.class) {
            register();
            Unpickler unpickler = new Unpickler() {
                /** BINPERSID with the id tuple itself (Pyrolite would pass its toString() to persistentLoad). */
                @Override
                protected Object dispatch(short key) throws PickleException, IOException {
                    if (key != BINPERSID) {
                        return super.dispatch(key);
                    }
                    stack.add(storage(stack.pop()));
                    return NO_RETURN_VALUE;
                }

                private Object storage(Object pid) {
                    if (!(pid instanceof Object[] t) || t.length < 3 || !"storage".equals(t[0])) {
                        throw new PickleException("unexpected persistent id " + describe(pid));
                    }
                    if (!(t[1] instanceof StorageType type)) {
                        throw new PickleException("unsupported storage type " + describe(t[1]));
                    }
                    String key = String.valueOf(t[2]);
                    byte[] bytes = entries.get(archive + "data/" + key);
                    if (bytes == null) {
                        throw new PickleException("storage " + key + " missing: no entry " + archive + "data/" + key);
                    }
                    return new Storage(type, key, bytes);
                }
            };
            try {
                root = unpickler.load(new ByteArrayInputStream(entries.get(pkl)));
            } catch (PickleException e) {
                throw new IOException(name + ": cannot read " + pkl + ": " + e.getMessage(), e);
            }
        }
        if (!(root instanceof Map<?, ?> dict) || root instanceof net.razorvine.pickle.objects.ClassDict) {
            throw new IOException(name + " holds a " + describe(root) + ", not a state dict; save "
                    + "model.state_dict(), not the model");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (!(e.getValue() instanceof Rebuilt r)) {
                throw new IOException(name + ": entry " + e.getKey() + " is a " + describe(e.getValue())
                        + ", not a tensor; a state dict maps names to tensors");
            }
            out.put(String.valueOf(e.getKey()), r.tensor(storageOrder, name + " " + e.getKey()));
        }
        return out;
    }

    /** {@code _rebuild_tensor_v2}'s arguments, turned into a tensor once the byte order is known. */
    private record Rebuilt(Storage storage, long offset, long[] size, long[] stride) {
        Tensor tensor(ByteOrder order, String what) throws IOException {
            long numel = 1;
            for (long s : size) {
                numel *= s;
            }
            if (numel > Integer.MAX_VALUE - 8) {
                throw new IOException(what + ": " + numel + " elements, more than one Java array holds");
            }
            int w = storage.type().width();
            long elements = storage.bytes().length / w;
            // the largest element index the view reaches must lie inside the storage
            long last = offset;
            for (int i = 0; i < size.length; i++) {
                last += (size[i] - 1) * stride[i];
            }
            if (numel > 0 && (offset < 0 || last >= elements)) {
                throw new IOException(what + ": a view of shape " + java.util.Arrays.toString(size) + " at offset "
                        + offset + " reaches element " + last + " of a storage of " + elements);
            }
            ByteBuffer b = ByteBuffer.wrap(storage.bytes()).order(order);
            float[] v = new float[(int) numel];
            long[] index = new long[size.length];
            for (int n = 0; n < numel; n++) {
                long at = offset;
                for (int i = 0; i < size.length; i++) {
                    at += index[i] * stride[i];
                }
                v[n] = value(b, (int) (at * w));
                for (int i = size.length - 1; i >= 0; i--) {
                    if (++index[i] < size[i]) {
                        break;
                    }
                    index[i] = 0;
                }
            }
            return new Tensor(storage.type().dtype(), size.clone(), v);
        }

        private float value(ByteBuffer b, int at) {
            return switch (storage.type().dtype()) {
                case "float32" -> b.getFloat(at);
                case "float16" -> halfToFloat(b.getShort(at));
                case "bfloat16" -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
                case "float64" -> (float) b.getDouble(at);
                case "int64" -> b.getLong(at);
                case "int32" -> b.getInt(at);
                case "uint8" -> b.get(at) & 0xff;
                case "bool" -> b.get(at) != 0 ? 1f : 0f;
                default -> throw new IllegalStateException(storage.type().dtype());
            };
        }
    }

    /** IEEE 754 binary16 to float (exact: every half is a float). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits >>> 15) << 31;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13)); // inf, NaN
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // zero and subnormals
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    private static boolean registered;

    private static void register() {
        if (registered) {
            return;
        }
        STORAGES.forEach((cls, type) -> Unpickler.registerConstructor("torch", cls, type));
        Unpickler.registerConstructor("collections", "OrderedDict", args -> new OrderedDict());
        IObjectConstructor rebuild = args -> {
            if (args.length < 4 || !(args[0] instanceof Storage s)) {
                throw new PickleException("_rebuild_tensor_v2 with unexpected arguments " + describe(args));
            }
            return new Rebuilt(s, ((Number) args[1]).longValue(), longs(args[2]), longs(args[3]));
        };
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor_v2", rebuild);
        Unpickler.registerConstructor("torch._utils", "_rebuild_parameter", args -> {
            if (args.length < 1 || !(args[0] instanceof Rebuilt r)) {
                throw new PickleException("_rebuild_parameter with unexpected arguments " + describe(args));
            }
            return r;
        });
        registered = true;
    }

    private static long[] longs(Object tuple) {
        Object[] t = (Object[]) tuple;
        long[] v = new long[t.length];
        for (int i = 0; i < t.length; i++) {
            v[i] = ((Number) t[i]).longValue();
        }
        return v;
    }

    private static String describe(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Object[] a) {
            List<String> parts = new ArrayList<>();
            for (Object x : a) {
                parts.add(describe(x));
            }
            return "(" + String.join(", ", parts) + ")";
        }
        if (o instanceof net.razorvine.pickle.objects.ClassDict c) {
            return "Python object of class " + c.getClassName();
        }
        return o instanceof String || o instanceof Number ? String.valueOf(o) : o.getClass().getSimpleName();
    }
}
