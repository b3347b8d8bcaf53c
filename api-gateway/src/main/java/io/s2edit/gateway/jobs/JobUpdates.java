package io.s2edit.gateway.jobs;

import io.s2edit.gateway.api.JobView;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;

/**
 * In-process notifications of committed job changes, for the SSE streams of this replica.
 * Streams also re-read their job periodically, which covers events consumed by another replica.
 */
@ApplicationScoped
public class JobUpdates {

    private final Map<UUID, Set<Consumer<JobView>>> listeners = new ConcurrentHashMap<>();

    public Runnable subscribe(UUID jobId, Consumer<JobView> listener) {
        listeners.computeIfAbsent(jobId, k -> new CopyOnWriteArraySet<>()).add(listener);
        return () -> listeners.computeIfPresent(jobId, (k, set) -> {
            set.remove(listener);
            return set.isEmpty() ? null : set;
        });
    }

    /** Call after the change committed. */
    public void publish(JobView view) {
        Set<Consumer<JobView>> set = listeners.get(view.id());
        if (set != null) {
            set.forEach(l -> l.accept(view));
        }
    }
}
