/**
 * Network construction from validated settings: backbones, the embedding layer and the fixed-prototype or
 * learned classifier head. Everything here runs on a plain JVM; Spark only distributes what is built here.
 */
package io.protospark.model.net;
