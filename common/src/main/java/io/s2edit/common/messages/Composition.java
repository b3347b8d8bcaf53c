package io.s2edit.common.messages;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.s2edit.common.prompts.PromptRules;
import io.s2edit.common.problems.Require;

/**
 * The reference half of compositional editing (Liu et al., Sec. 3.4): the model is fine-tuned
 * on the source image with [I] and on this reference image with [A] at once, and edits then
 * say "a [I] lady with [A] makeup".
 *
 * @param referenceImageKey {@code identities/{id}/reference.png}
 * @param referencePrompt   enhanced prompt of the reference image, [A] exactly once
 *                          ("a photo of [A] makeup")
 * @param attributeWord     the word naming the attribute, exactly once in the reference prompt
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Composition(String referenceImageKey, String referencePrompt, String attributeWord) {
    public Composition {
        Require.notBlank("reference_image_key", referenceImageKey);
        PromptRules.requireAttributeToken("reference_prompt", referencePrompt);
        PromptRules.requireFitsClip("reference_prompt", referencePrompt);
        PromptRules.requireWordOnce("reference_prompt", referencePrompt, "attribute_word", attributeWord);
    }
}
