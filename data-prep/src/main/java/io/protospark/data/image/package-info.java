/**
 * Image-file input: ImageFolder and ImageNet trees listed on the driver
 * ({@link io.protospark.data.image.ImageFolderSource}) and decoded on the executors
 * ({@link io.protospark.data.image.ImageDecoder}, {@code javax.imageio}).
 */
package io.protospark.data.image;
