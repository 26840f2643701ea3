package io.protospark.io.npy;

import java.io.IOException;

/** A {@code .npy} file whose header cannot be read: the message starts with the file's name and says what is wrong. */
public class NpyFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public NpyFormatException(String message) {
        super(message);
    }
}
