package io.protospark.model.prototype;

/**
 * What {@link Prototypes#build(PrototypeRequest)} needs to know of a model: its class count, whether its head uses
 * the prototypes (a fixed head) and, for such a head, the construction to use. The model settings implement it, so
 * this package stays below the network builders.
 */
public interface PrototypeRequest {
    /** K, the number of classes. */
    int classes();

    /** Whether the head is a fixed-prototype head; any other head ignores the prototypes. */
    boolean fixedHead();

    /** The construction a fixed head asks for. */
    PrototypeSpec prototypeSpec();
}
