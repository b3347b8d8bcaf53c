package io.s2edit.gateway.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.s2edit.common.messages.Messages;
import io.s2edit.gateway.config.GatewayConfig;
import io.s2edit.gateway.jobs.JobEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Renders {@link JobEntity} rows as {@link JobView}s, with links under {@code s2edit.public-url} (or as paths). */
@ApplicationScoped
public class JobViews {

    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() { };
    private static final TypeReference<Map<String, Double>> NUMBER_MAP = new TypeReference<>() { };

    @Inject
    GatewayConfig config;

    public JobView of(JobEntity j) {
        String self = link("/v1/jobs/" + j.id);
        Map<String, String> outputs = new LinkedHashMap<>();
        for (String name : read(j.outputs, STRING_MAP).keySet()) {
            outputs.put(name, self + "/outputs/" + name);
        }
        JobView.Progress progress = j.progressTotal == null ? null
                : new JobView.Progress(j.progressStep, j.progressTotal, j.progressStage);
        JobView.Error error = j.errorReason == null ? null : new JobView.Error(j.errorReason);
        return new JobView(j.id, j.kind, j.status, j.identityId, j.parentId, j.releasedAt == null && !j.status.terminal(),
                j.attempt, j.createdAt, j.startedAt, j.completedAt, progress, read(j.metrics, NUMBER_MAP), error, input(j.message),
                outputs, new JobView.Urls(self, self + "/cancel", self + "/events"), j.webhookUrl,
                j.webhookEvents == null ? null : Arrays.asList(j.webhookEvents.split(",")));
    }

    public List<JobView> of(List<JobEntity> jobs) {
        return jobs.stream().map(this::of).toList();
    }

    public String link(String path) {
        return config.publicUrl().map(u -> u.toString().replaceAll("/+$", "") + path).orElse(path);
    }

    /** The job message without its envelope (ids and version are in the view already). */
    private static JsonNode input(String message) {
        try {
            ObjectNode n = (ObjectNode) Messages.mapper().readTree(message);
            n.remove(List.of("schema_version", "job_id", "identity_id", "attempt"));
            return n;
        } catch (Exception e) {
            throw new IllegalStateException("stored job message is not JSON", e);
        }
    }

    private static <T> Map<String, T> read(String json, TypeReference<Map<String, T>> type) {
        if (json == null) {
            return Map.of();
        }
        try {
            return Messages.mapper().readValue(json, type);
        } catch (Exception e) {
            throw new IllegalStateException("stored JSON column is not an object: " + json, e);
        }
    }
}
