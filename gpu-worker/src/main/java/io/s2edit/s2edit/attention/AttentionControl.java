package io.s2edit.s2edit.attention;

import ai.djl.ndarray.NDArray;
import io.s2edit.engine.unet.AttentionContext;
import io.s2edit.engine.unet.AttnProcessor;
import io.s2edit.engine.unet.UNet2DConditionModel;
import java.util.List;

/**
 * Installs a chain of {@link AttentionEdit}s on every attention layer of a UNet, and restores the
 * default processors on {@link #close()}. Processors are model state: one control per model at a
 * time.
 *
 * <pre>{@code
 * try (AttentionControl control = AttentionControl.install(unet, List.of(spatialMask, p2p))) {
 *     ... denoise ...
 * }
 * }</pre>
 */
public final class AttentionControl implements AutoCloseable {

    private final UNet2DConditionModel unet;

    private AttentionControl(UNet2DConditionModel unet) {
        this.unet = unet;
    }

    /** Edits apply in list order on every layer; an empty list restores plain attention. */
    public static AttentionControl install(UNet2DConditionModel unet, List<? extends AttentionEdit> edits) {
        List<AttentionEdit> chain = List.copyOf(edits);
        unet.setAttentionProcessor(new AttnProcessor() {
            @Override
            protected NDArray editProbabilities(NDArray probabilities, AttentionContext context) {
                NDArray edited = probabilities;
                for (AttentionEdit edit : chain) {
                    edited = edit.edit(edited, context);
                }
                return edited;
            }
        });
        return new AttentionControl(unet);
    }

    @Override
    public void close() {
        unet.setAttentionProcessor(AttnProcessor.DEFAULT);
    }
}
