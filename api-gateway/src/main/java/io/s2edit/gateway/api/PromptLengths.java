package io.s2edit.gateway.api;

import io.quarkus.runtime.Startup;
import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.common.messages.EditOptions;
import io.s2edit.common.prompts.PromptRules;
import io.s2edit.gateway.config.GatewayConfig;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The CLIP length rule of prompts at submission: with {@code s2edit.tokenizer.dir} set, the exact
 * token count by the worker's own tokenizer ({@link PromptRules#promptTokenizer}, [I] and [A]
 * one token each), so a prompt the worker would refuse as too long is a 422 here; without it,
 * the lower bound of {@link PromptRules#minimumClipTokens} (said once at start-up).
 *
 * <p>Loaded at start-up: a configured folder that is not a CLIP tokenizer stops the gateway.
 */
@Startup
@ApplicationScoped
public class PromptLengths {

    private static final Logger LOG = Logger.getLogger(PromptLengths.class);

    @Inject
    GatewayConfig config;

    /** Null when no tokenizer is configured. */
    private ClipTokenizer tokenizer;

    @PostConstruct
    void load() {
        Optional<Path> dir = config.tokenizer().dir();
        if (dir.isEmpty()) {
            LOG.warn("s2edit.tokenizer.dir (S2EDIT_TOKENIZER_DIR) is not set: exact CLIP token counting is off;"
                    + " prompts are checked against a lower bound of their tokens only, so one over "
                    + PromptRules.CLIP_MAX_TOKENS + " tokens may be accepted and fail in the worker."
                    + " Point it at the model's tokenizer/ folder");
            return;
        }
        tokenizer = PromptRules.promptTokenizer(dir.get());
        LOG.infof("Counting prompt tokens exactly with the CLIP tokenizer in %s (%s)", dir.get(), tokenizer);
    }

    /** True when prompts are counted exactly. */
    public boolean exact() {
        return tokenizer != null;
    }

    /**
     * Refuses {@code prompt} (as {@code field}) when it has more CLIP tokens than the text encoder
     * takes, with a 422 {@code prompt-too-long} naming the field and the count.
     */
    public void requireFits(String field, String prompt) {
        if (tokenizer == null) {
            PromptRules.requireFitsClip(field, prompt);
        } else {
            PromptRules.requireFitsClip(field, prompt, tokenizer);
        }
    }

    /** {@link #requireFits} for each target prompt of an edit, as {@code field.target_prompts[i]}. */
    public void requireFits(String field, EditOptions edit) {
        for (int i = 0; i < edit.targetPrompts().size(); i++) {
            requireFits(field + ".target_prompts[" + i + "]", edit.targetPrompts().get(i));
        }
    }
}
