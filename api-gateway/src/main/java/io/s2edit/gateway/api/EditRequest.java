package io.s2edit.gateway.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.s2edit.common.messages.EditOptions;
import io.s2edit.common.problems.Require;

import java.util.List;
import java.util.UUID;

/**
 * Body of {@code POST /v1/identities/{id}/edits}.
 *
 * @param options             target prompts and Prompt-to-Prompt options; steps and guidance
 *                            default to (and must equal) the inversion's
 * @param inversionJobId      which inversion to edit from; default: the identity's newest one that
 *                            has not failed (it may still be running: the edit then waits for it)
 * @param webhook             URL notified about this job
 * @param webhookEventsFilter subset of start, progress, completed (default start, completed)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record EditRequest(EditOptions options, UUID inversionJobId, String webhook, List<String> webhookEventsFilter) {
    public EditRequest {
        Require.present("options", options);
    }
}
