package io.protospark.config;

/**
 * A configuration value that cannot be used: names the key, the rule it breaks, the value found and what
 * would fit. Thrown on the driver before any Spark work starts.
 */
public final class SettingsException extends IllegalArgumentException {
    private final String key;

    public SettingsException(String key, String rule, Object found, String wouldFit) {
        super(format(key, rule, found, wouldFit));
        this.key = key;
    }

    public SettingsException(String key, String message) {
        this(key, "config key '" + key + "': " + message, true);
    }

    private SettingsException(String key, String fullMessage, boolean full) {
        super(fullMessage);
        this.key = key;
    }

    /** An exception whose message is given whole (it must still name the key). */
    public static SettingsException withMessage(String key, String fullMessage) {
        return new SettingsException(key, fullMessage, true);
    }

    /** The full config path of the offending key. */
    public String key() {
        return key;
    }

    private static String format(String key, String rule, Object found, String wouldFit) {
        StringBuilder sb = new StringBuilder("config key '").append(key).append("': ").append(rule)
                .append("; found ").append(found instanceof String ? "\"" + found + "\"" : String.valueOf(found));
        if (wouldFit != null && !wouldFit.isEmpty()) {
            sb.append("; ").append(wouldFit);
        }
        return sb.toString();
    }
}
