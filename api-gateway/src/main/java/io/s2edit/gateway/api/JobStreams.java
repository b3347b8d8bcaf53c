package io.s2edit.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.s2edit.gateway.config.GatewayConfig;
import io.s2edit.gateway.jobs.JobEntity;
import io.s2edit.gateway.jobs.JobUpdates;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.jboss.logging.Logger;

import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Server-Sent Event streams of one job. Changes arrive from {@link JobUpdates} (events consumed
 * by this replica, every step) and from re-reading the row every {@code s2edit.streams.poll-interval}
 * (events consumed by another replica). A stream sends {@code status} (the whole job) first and
 * on each status change, {@code progress} ({@code {step, total, stage}}) when only the progress
 * moved, and completes after the terminal {@code status}.
 */
@ApplicationScoped
public class JobStreams {

    private static final Logger LOG = Logger.getLogger(JobStreams.class);

    @Inject
    JobUpdates updates;

    @Inject
    JobViews views;

    @Inject
    ObjectMapper mapper;

    @Inject
    GatewayConfig config;

    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "job-stream-poller");
        t.setDaemon(true);
        return t;
    });

    void stop(@Observes ShutdownEvent ev) {
        poller.shutdownNow();
    }

    public Multi<OutboundSseEvent> follow(JobView first, Sse sse) {
        return Multi.createFrom().emitter(emitter -> {
            Stream s = new Stream(emitter, sse);
            Runnable unsubscribe = updates.subscribe(first.id(), s::offer);
            long every = config.streams().pollInterval().toMillis();
            ScheduledFuture<?> poll = poller.scheduleWithFixedDelay(() -> {
                try {
                    JobView v = QuarkusTransaction.requiringNew().call(() -> {
                        JobEntity j = JobEntity.findById(first.id());
                        return j == null ? null : views.of(j);
                    });
                    if (v != null) {
                        s.offer(v);
                    }
                } catch (Exception e) {
                    LOG.debugf("stream poll of job %s failed: %s", first.id(), e);
                }
            }, every, every, TimeUnit.MILLISECONDS);
            emitter.onTermination(() -> {
                unsubscribe.run();
                poll.cancel(false);
            });
            s.offer(first);
        });
    }

    /** One subscriber's state: what it was last sent. */
    private final class Stream {
        private final MultiEmitter<? super OutboundSseEvent> emitter;
        private final Sse sse;
        private JobView last;
        private boolean done;

        Stream(MultiEmitter<? super OutboundSseEvent> emitter, Sse sse) {
            this.emitter = emitter;
            this.sse = sse;
        }

        synchronized void offer(JobView v) {
            if (done || emitter.isCancelled()) {
                return;
            }
            if (last != null && v.status().ordinal() < last.status().ordinal()) {
                return; // an older snapshot (a poll that read before a newer notification)
            }
            if (last == null || last.status() != v.status()) {
                emitter.emit(event("status", v));
            } else if (!Objects.equals(last.progress(), v.progress()) && v.progress() != null && !older(v.progress(), last.progress())) {
                emitter.emit(event("progress", v.progress()));
            } else {
                return;
            }
            last = v;
            if (v.status().terminal()) {
                done = true;
                emitter.complete();
            }
        }

        private static boolean older(JobView.Progress p, JobView.Progress before) {
            return before != null && p.stage().equals(before.stage()) && p.step() < before.step();
        }

        private OutboundSseEvent event(String name, Object data) {
            try {
                // data is the JSON text itself (text/plain keeps the writer from quoting it again)
                return sse.newEventBuilder().name(name).mediaType(MediaType.TEXT_PLAIN_TYPE)
                        .data(String.class, mapper.writeValueAsString(data)).build();
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
