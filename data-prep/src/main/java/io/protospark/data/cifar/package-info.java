/**
 * CIFAR-10 and CIFAR-100 binary input: {@link io.protospark.data.cifar.CifarReader} validates every file's size
 * against the record size, then reads each split into memory on the driver.
 */
package io.protospark.data.cifar;
