package io.s2edit.gateway.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.s2edit.common.artifacts.ArtifactKeys;
import io.s2edit.gateway.jobs.IdentityEntity;
import io.s2edit.gateway.jobs.JobEntity;
import io.s2edit.gateway.storage.ObjectStorageClient;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.core.Context;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** Identities: an image and its prompts; fine-tune, inversion and edit jobs hang off them. */
@Path("/v1/identities")
@Produces(MediaType.APPLICATION_JSON)
public class IdentityResource {

    @Inject
    SubmissionService submissions;

    @Inject
    RequestJson json;

    @Inject
    ObjectStorageClient storage;

    @Inject
    JobViews views;

    @Context
    UriInfo uri;

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Operation(summary = "Create an identity: upload an image, fine-tune on it (and optionally invert and edit: a chain)")
    @APIResponse(responseCode = "202", description = "Jobs accepted; the fine-tune first, then inversion and edits if asked")
    public Response create(@BeanParam SubmissionForm form, @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return accepted(submissions.submitIdentity(form, false, Idempotency.check(idempotencyKey), "POST " + uri.getPath()));
    }

    @POST
    @Path("{id}/inversions")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Invert the identity's image under its fine-tuned model (Null-text inversion), optionally with edits")
    @RequestBody(content = @Content(schema = @Schema(implementation = InversionRequest.class)))
    @APIResponse(responseCode = "202", description = "Inversion (and edits) accepted")
    public Response invert(@PathParam("id") UUID id, String body, @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        InversionRequest req = json.parse(body == null || body.isBlank() ? "{}" : body, InversionRequest.class, null);
        return accepted(submissions.submitInversion(id, req, Idempotency.check(idempotencyKey), "POST " + uri.getPath()));
    }

    @POST
    @Path("{id}/edits")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Edit the identity with target prompts (Prompt-to-Prompt from the inversion)")
    @RequestBody(content = @Content(schema = @Schema(implementation = EditRequest.class)))
    @APIResponse(responseCode = "202", description = "Edit accepted")
    public Response edit(@PathParam("id") UUID id, String body, @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        EditRequest req = json.parse(body, EditRequest.class, null);
        if (req == null) {
            throw new ApiException(io.s2edit.common.problems.ProblemType.MALFORMED_JSON, "the request body is empty; send JSON");
        }
        return accepted(submissions.submitEdit(id, req, Idempotency.check(idempotencyKey), "POST " + uri.getPath()));
    }

    /** An identity and its jobs. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record IdentityView(UUID id, String sourcePrompt, String objectWord, String referencePrompt, String attributeWord,
                               Instant createdAt, String source, List<JobView> jobs) {
    }

    @GET
    @Path("{id}")
    @Operation(summary = "An identity with all its jobs, oldest first")
    public IdentityView get(@PathParam("id") UUID id) {
        IdentityEntity i = IdentityEntity.findById(id);
        if (i == null) {
            throw ApiException.identityNotFound(id);
        }
        List<JobEntity> jobs = JobEntity.list("identityId = ?1 order by createdAt, id", id);
        return new IdentityView(i.id, i.sourcePrompt, i.objectWord, i.referencePrompt, i.attributeWord, i.createdAt,
                views.link("/v1/identities/" + id + "/source"), views.of(jobs));
    }

    @GET
    @Path("{id}/source")
    @Produces("image/png")
    @Operation(summary = "The stored source image (PNG)")
    public Response source(@PathParam("id") UUID id) {
        if (IdentityEntity.findById(id) == null) {
            throw ApiException.identityNotFound(id);
        }
        InputStream in = storage.get(ArtifactKeys.source(id));
        StreamingOutput out = o -> {
            try (in) {
                in.transferTo(o);
            }
        };
        return Response.ok(out, "image/png").build();
    }

    static Response accepted(SubmissionView v) {
        return Response.accepted(v).location(URI.create(v.jobs().get(0).urls().get())).build();
    }
}
