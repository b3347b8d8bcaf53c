package io.s2edit.gateway.api;

import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * Compositional editing (Liu et al., Sec. 3.4): a source image with [I] and a reference image
 * with [A] are fine-tuned together; edits then combine them ("a [I] lady with [A] makeup").
 * The result is an identity like any other, with its reference stored next to the source.
 */
@Path("/v1/compositions")
@Produces(MediaType.APPLICATION_JSON)
public class CompositionResource {

    @Inject
    SubmissionService submissions;

    @Context
    UriInfo uri;

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Operation(summary = "Compose two images: fine-tune on the source ([I]) and the reference ([A]), optionally invert and edit")
    @APIResponse(responseCode = "202", description = "Jobs accepted")
    public Response create(@BeanParam SubmissionForm form, @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        return IdentityResource.accepted(
                submissions.submitIdentity(form, true, Idempotency.check(idempotencyKey), "POST " + uri.getPath()));
    }
}
