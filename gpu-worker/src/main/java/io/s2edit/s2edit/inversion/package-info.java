/**
 * Null-text inversion (Mokady et al., CVPR 2023): DDIM inversion of a real image with the source
 * prompt, then one optimised unconditional ("null") embedding per denoising step, so that
 * classifier-free guided DDIM from the inverted noise retraces the inversion and reproduces the
 * image. Prompt-to-Prompt editing starts from {@link io.s2edit.s2edit.inversion.InversionResult}.
 * Text embeddings come in as arrays, so a prompt with learned tokens such as {@code [I]} needs
 * nothing special here.
 */
package io.s2edit.s2edit.inversion;
