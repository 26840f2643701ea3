package io.protospark.data.io;

/**
 * Input data that cannot be used as it is: a missing file, a wrong header, a truncated file, a label out of
 * range, a manifest that does not match its shards. The message names the file and the byte offset or record.
 */
public class DataFormatException extends RuntimeException {
    public DataFormatException(String message) {
        super(message);
    }

    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
