package io.protospark.jobs;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What one logger writes while a test runs: an appender on that logger alone (log4j 2, the logging Spark brings to the
 * tests), taken off again by {@link #close}. Each line is the level and the formatted message, as {@code "WARN ..."}.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final AbstractAppender appender;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private LogCapture(Class<?> type) {
        logger = (Logger) LogManager.getLogger(type);
        appender = new AbstractAppender("capture-" + type.getSimpleName(), null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                lines.add(event.getLevel() + " " + event.getMessage().getFormattedMessage());
            }
        };
        appender.start();
        logger.addAppender(appender);
    }

    /** Captures the logger of {@code type} ({@code LoggerFactory.getLogger(type)}) from now until {@link #close}. */
    public static LogCapture of(Class<?> type) {
        return new LogCapture(type);
    }

    /** The captured lines of {@code level}, in order, without the level. */
    public List<String> lines(Level level) {
        String prefix = level + " ";
        return lines.stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).toList();
    }

    @Override
    public void close() {
        logger.removeAppender(appender);
        appender.stop();
    }
}
