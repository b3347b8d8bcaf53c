package io.s2edit.gateway.api;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import io.s2edit.common.artifacts.ArtifactKeys;
import io.s2edit.common.messages.JobKind;
import io.s2edit.common.messages.JobStatus;
import io.s2edit.common.problems.ProblemType;
import io.s2edit.gateway.jobs.JobEntity;
import io.s2edit.gateway.jobs.JobService;
import io.s2edit.gateway.jobs.JobUpdates;
import io.s2edit.gateway.storage.ObjectStorageClient;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.openapi.annotations.Operation;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Jobs: read, list, cancel, follow (SSE) and download outputs. */
@Path("/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
public class JobResource {

    @Inject
    JobViews views;

    @Inject
    JobService jobs;

    @Inject
    JobUpdates updates;

    @Inject
    JobStreams streams;

    @Inject
    Idempotency idempotency;

    @Inject
    ObjectStorageClient storage;

    @Context
    UriInfo uri;

    @GET
    @Path("{id}")
    @Operation(summary = "A job: status, progress, metrics, error, outputs, links")
    public JobView get(@PathParam("id") UUID id) {
        return views.of(find(id));
    }

    @GET
    @Operation(summary = "Jobs, newest first, optionally filtered by status, kind and identity")
    public JobPage list(@QueryParam("page") @DefaultValue("0") int page, @QueryParam("size") @DefaultValue("20") int size,
                        @QueryParam("status") String status, @QueryParam("kind") String kind,
                        @QueryParam("identity_id") UUID identityId) {
        if (page < 0 || size < 1 || size > 100) {
            throw new ApiException(ProblemType.INVALID_VALUE, "page must be >= 0 and size between 1 and 100", "size");
        }
        List<String> where = new ArrayList<>();
        Parameters params = new Parameters();
        if (status != null) {
            where.add("status = :status");
            params.and("status", parse(() -> JobStatus.fromWire(status), "status", status, List.of(JobStatus.values())));
        }
        if (kind != null) {
            where.add("kind = :kind");
            params.and("kind", parse(() -> JobKind.fromWire(kind), "kind", kind, List.of(JobKind.values())));
        }
        if (identityId != null) {
            where.add("identityId = :identity");
            params.and("identity", identityId);
        }
        var query = where.isEmpty() ? JobEntity.<JobEntity>findAll(Sort.descending("createdAt", "id"))
                : JobEntity.<JobEntity>find(String.join(" and ", where), Sort.descending("createdAt", "id"), params);
        long total = query.count();
        List<JobEntity> items = query.page(Page.of(page, size)).list();
        String next = (long) (page + 1) * size < total
                ? uri.getRequestUriBuilder().replaceQueryParam("page", page + 1).build().toString() : null;
        return new JobPage(views.of(items), page, size, total, next);
    }

    @POST
    @Path("{id}/cancel")
    @Operation(summary = "Cancel a job that has not ended, and the jobs waiting for it")
    public JobView cancel(@PathParam("id") UUID id, @HeaderParam(Idempotency.HEADER) String idempotencyKey) {
        String key = Idempotency.check(idempotencyKey);
        String scope = "POST " + uri.getPath();
        String fingerprint = Idempotency.fingerprint(scope);
        if (idempotency.replay(key, scope, fingerprint).isPresent()) {
            return views.of(find(id));
        }
        List<JobView> changed = QuarkusTransaction.requiringNew().call(() -> {
            List<JobView> c = jobs.cancel(id);
            idempotency.remember(key, scope, fingerprint, List.of(id));
            return c;
        });
        changed.forEach(updates::publish);
        return changed.get(0);
    }

    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    @Operation(summary = "Server-Sent Events: 'status' (the whole job) on every status change, 'progress' "
            + "{step, total, stage} on every step; the stream ends after the terminal status")
    public Multi<OutboundSseEvent> events(@PathParam("id") UUID id, @Context Sse sse) {
        JobView first = views.of(find(id));
        return streams.follow(first, sse);
    }

    @GET
    @Path("{id}/outputs/{name}")
    @Produces(MediaType.WILDCARD)
    @Operation(summary = "Download an output (edited PNG, safetensors artifact, object mask)")
    public Response output(@PathParam("id") UUID id, @PathParam("name") String name) {
        String key = JobService.outputKey(find(id), name);
        ResponseInputStream<GetObjectResponse> in = storage.get(key);
        String type = name.endsWith(".png") ? "image/png" : MediaType.APPLICATION_OCTET_STREAM;
        StreamingOutput out = o -> {
            try (in) {
                in.transferTo(o);
            }
        };
        Response.ResponseBuilder r = Response.ok(out, type)
                .header("Content-Disposition", "attachment; filename=\"" + ArtifactKeys.outputName(key) + "\"");
        if (in.response().contentLength() != null) {
            r.header("Content-Length", in.response().contentLength());
        }
        return r.build();
    }

    private static JobEntity find(UUID id) {
        JobEntity j = JobEntity.findById(id);
        if (j == null) {
            throw ApiException.jobNotFound(id);
        }
        return j;
    }

    private static <T> T parse(java.util.function.Supplier<T> p, String field, String value, List<?> valid) {
        try {
            return p.get();
        } catch (IllegalArgumentException e) {
            throw new ApiException(ProblemType.INVALID_VALUE, field + " \"" + value + "\" is not one of "
                    + valid.stream().map(v -> v.toString().toLowerCase(java.util.Locale.ROOT)).toList(), field);
        }
    }
}
