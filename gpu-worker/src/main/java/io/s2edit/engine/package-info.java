/**
 * The Stable Diffusion v1.x engine on DJL's PyTorch engine: safetensors I/O ({@code io}), the
 * module tree and its primitives ({@code nn}), the CLIP tokenizer and text encoder ({@code text}),
 * the UNet ({@code unet}), the VAE ({@code vae}), schedulers ({@code scheduler}) and pipelines.
 *
 * <p>Conventions: modules are named and keyed after the diffusers checkpoint, so the generic
 * {@link io.s2edit.engine.nn.Checkpoint} loader maps every tensor. Modules hold only parameters;
 * every forward temporary is created in the caller's {@link ai.djl.ndarray.NDScope}, so callers
 * wrap each step in one and {@code NDScope.unregister} what must outlive it. Nothing here knows of
 * Kafka, Quarkus or the S2Edit method.
 */
package io.s2edit.engine;
