package io.protospark.data.verify;

import net.razorvine.pickle.Unpickler;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Just enough of NumPy's pickling for verification {@code .bin} files whose images are {@code uint8} arrays (what
 * {@code cv2.imencode} returns) and whose flags are {@code numpy.bool_}: {@code _reconstruct} + BUILD (protocols
 * 2–4), {@code _frombuffer} (protocol 5), {@code dtype} and {@code scalar}, under both {@code numpy.core} and
 * NumPy 2's {@code numpy._core}. Arrays come back as {@link NdArray}, bool scalars as {@link Boolean}.
 */
final class NumpyPickles {
    private NumpyPickles() {
    }

    /** Registers the constructors with the (global) {@link Unpickler} registry; idempotent. */
    static synchronized void register() {
        for (String core : List.of("numpy.core", "numpy._core")) {
            Unpickler.registerConstructor(core + ".multiarray", "_reconstruct", args -> new NdArray());
            Unpickler.registerConstructor(core + ".multiarray", "scalar", NumpyPickles::scalar);
            Unpickler.registerConstructor(core + ".numeric", "_frombuffer", args -> {
                NdArray a = new NdArray();
                a.dtype = (Dtype) args[1];
                a.data = bytes(args[0]);
                return a;
            });
        }
        Unpickler.registerConstructor("numpy", "dtype", args -> new Dtype(String.valueOf(args[0])));
    }

    private static Object scalar(Object[] args) {
        Dtype dtype = (Dtype) args[0];
        byte[] data = bytes(args[1]);
        if (dtype.name.equals("b1") || dtype.name.equals("?")) {
            return data[0] != 0;
        }
        if (dtype.name.equals("u1") || dtype.name.equals("i1")) {
            return (int) data[0];
        }
        return new NdArray(dtype, data);
    }

    static byte[] bytes(Object o) {
        if (o instanceof byte[] b) {
            return b;
        }
        if (o instanceof String s) {
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }
        throw new IllegalArgumentException("expected bytes, found " + (o == null ? "None" : o.getClass()));
    }

    /** A NumPy dtype, by its code ({@code u1}, {@code b1}, ...). */
    public static final class Dtype {
        final String name;

        Dtype(String name) {
            this.name = name;
        }

        /** Pickle BUILD: (version, byte order, ...) carries nothing this reader needs. */
        public void __setstate__(Object[] state) {
        }
    }

    /** A NumPy array as raw bytes and dtype. */
    public static final class NdArray {
        Dtype dtype;
        byte[] data;

        NdArray() {
        }

        NdArray(Dtype dtype, byte[] data) {
            this.dtype = dtype;
            this.data = data;
        }

        /** Pickle BUILD of {@code _reconstruct}: (version, shape, dtype, is_fortran, raw data). */
        public void __setstate__(Object[] state) {
            dtype = (Dtype) state[2];
            data = bytes(state[4]);
        }

        /** The bytes of a {@code uint8} / {@code int8} array, or {@code null} for any other dtype. */
        byte[] uint8() {
            return dtype != null && (dtype.name.equals("u1") || dtype.name.equals("i1")) ? data : null;
        }

        String dtypeName() {
            return dtype == null ? "?" : dtype.name;
        }
    }
}
