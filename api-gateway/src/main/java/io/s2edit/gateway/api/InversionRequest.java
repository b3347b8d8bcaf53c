package io.s2edit.gateway.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.s2edit.common.messages.EditOptions;
import io.s2edit.common.messages.InvertOptions;

import java.util.List;
import java.util.UUID;

/**
 * Body of {@code POST /v1/identities/{id}/inversions}.
 *
 * @param options             steps (50) and guidance (5.0); may be omitted
 * @param fineTuneJobId       which fine-tune to invert under; default: the identity's newest one
 *                            that has not failed
 * @param edits               edits to run once this inversion succeeds (a chain)
 * @param webhook             URL notified about every job this request creates
 * @param webhookEventsFilter subset of start, progress, completed (default start, completed)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record InversionRequest(InvertOptions options, UUID fineTuneJobId, List<EditOptions> edits, String webhook,
                               List<String> webhookEventsFilter) {
    public InversionRequest {
        options = options == null ? InvertOptions.defaults() : options;
        edits = edits == null ? List.of() : List.copyOf(edits);
    }
}
