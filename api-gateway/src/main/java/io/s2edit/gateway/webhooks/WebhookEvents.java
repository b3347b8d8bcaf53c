package io.s2edit.gateway.webhooks;

import io.s2edit.common.problems.ProblemType;
import io.s2edit.gateway.api.ApiException;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The webhook events filter: {@code start}, {@code progress}, {@code completed}. */
public final class WebhookEvents {

    public static final String START = "start";
    public static final String PROGRESS = "progress";
    public static final String COMPLETED = "completed";
    public static final List<String> ALL = List.of(START, PROGRESS, COMPLETED);
    /** When a request names a webhook but no filter. */
    public static final List<String> DEFAULT = List.of(START, COMPLETED);

    private WebhookEvents() {
    }

    /** Validated, de-duplicated, in the order of {@link #ALL}; null or empty gives {@link #DEFAULT}. */
    public static List<String> normalise(List<String> events) {
        if (events == null || events.isEmpty()) {
            return DEFAULT;
        }
        Set<String> set = new LinkedHashSet<>();
        for (String e : events) {
            String t = e == null ? "" : e.trim();
            if (!ALL.contains(t)) {
                throw new ApiException(ProblemType.INVALID_VALUE, "unknown webhook event \"" + t + "\"; valid: " + ALL,
                        "webhook_events_filter");
            }
            set.add(t);
        }
        return ALL.stream().filter(set::contains).toList();
    }
}
