/**
 * Reference backbones of the research systems (CIFAR and ImageNet ResNets, classifier32, CNN-9, LeNet++, IResNet) as
 * DL4J computation graphs whose output vertex {@code "embedding"} emits the d-dimensional feature, with no classifier.
 * {@link io.protospark.model.backbone.Backbones#build} is the registry; the fixed or learned head is added elsewhere.
 */
package io.protospark.model.backbone;
