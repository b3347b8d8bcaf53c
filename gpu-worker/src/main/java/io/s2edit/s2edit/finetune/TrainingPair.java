package io.s2edit.s2edit.finetune;

import io.s2edit.s2edit.prompt.EnhancedPrompt;
import java.awt.image.BufferedImage;
import java.util.Objects;

/**
 * One image and its enhanced prompt: the source image with "a photo of a [I] lady" (§3.1), or in
 * compositional editing also the reference image with "a model with [A] makeup" (§3.3).
 *
 * @param image RGB image; its sides must suit the checkpoint (multiples of 8 x 2^(UNet levels - 1))
 * @param prompt the enhanced prompt, which names the token and the object word
 * @param userMask optional mask image (white = object, any size) that replaces the extracted
 *     M_obj; null to extract it from the object word's cross-attention
 */
public record TrainingPair(BufferedImage image, EnhancedPrompt prompt, BufferedImage userMask) {

    public TrainingPair {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(prompt, "prompt");
    }

    /** A pair whose mask is extracted from the object word's cross-attention. */
    public static TrainingPair of(BufferedImage image, EnhancedPrompt prompt) {
        return new TrainingPair(image, prompt, null);
    }
}
