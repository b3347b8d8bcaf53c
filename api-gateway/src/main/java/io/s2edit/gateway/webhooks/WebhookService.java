package io.s2edit.gateway.webhooks;

import io.s2edit.common.problems.ProblemType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s2edit.gateway.api.ApiException;
import io.s2edit.gateway.api.JobViews;
import io.s2edit.gateway.config.GatewayConfig;
import io.s2edit.gateway.jobs.JobEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Instant;
import java.util.List;

/**
 * Turns job changes into persisted webhook deliveries, in the transaction of the change.
 * Delivery ids are deterministic, so a duplicate of the same change adds nothing:
 * {@code msg_{job}_start_{attempt}}, {@code msg_{job}_progress_{attempt}_{stage}_{step}},
 * and {@code msg_{job}_completed} - one id for the terminal event of a job, however often
 * it is sent.
 */
@ApplicationScoped
public class WebhookService {

    @Inject
    GatewayConfig config;

    @Inject
    AddressPolicy policy;

    @Inject
    JobViews views;

    /** Quarkus' mapper: webhook bodies are the same JSON as GET /v1/jobs/{id}. */
    @Inject
    ObjectMapper mapper;

    /** Checks a webhook given with a request; returns the normalised events filter. */
    public List<String> validate(String url, List<String> events) {
        if (config.webhooks().signingSecret().isEmpty()) {
            throw new ApiException(ProblemType.WEBHOOK_URL_REFUSED,
                    "this gateway sends no webhooks: s2edit.webhooks.signing-secret is not configured", "webhook");
        }
        try {
            policy.checkAtSubmit(url);
        } catch (AddressPolicy.RefusedException e) {
            throw new ApiException(ProblemType.WEBHOOK_URL_REFUSED, e.getMessage(), "webhook");
        }
        return WebhookEvents.normalise(events);
    }

    /** Queues {@code event} for {@code job} if it subscribed to it; call inside the job's transaction. */
    public void enqueue(JobEntity job, String event) {
        if (!job.wantsWebhook(event)) {
            return;
        }
        String id = switch (event) {
            case WebhookEvents.START -> "msg_" + job.id + "_start_" + job.attempt;
            case WebhookEvents.PROGRESS -> "msg_" + job.id + "_progress_" + job.attempt + "_" + job.progressStage + "_" + job.progressStep;
            case WebhookEvents.COMPLETED -> "msg_" + job.id + "_completed";
            default -> throw new IllegalArgumentException("unknown webhook event " + event);
        };
        if (WebhookDeliveryEntity.findById(id) != null) {
            return;
        }
        WebhookDeliveryEntity d = new WebhookDeliveryEntity();
        d.id = id;
        d.jobId = job.id;
        d.event = event;
        d.url = job.webhookUrl;
        try {
            d.payload = mapper.writeValueAsString(views.of(job));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        d.status = WebhookDeliveryEntity.PENDING;
        d.createdAt = Instant.now();
        d.nextAttemptAt = d.createdAt;
        d.persist();
    }
}
