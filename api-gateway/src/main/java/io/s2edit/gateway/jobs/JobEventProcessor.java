package io.s2edit.gateway.jobs;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.Messages;
import io.s2edit.gateway.api.JobView;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * Consumes {@code s2edit.job-events} (channel {@code job-events}) and applies each event to the
 * job row in its own transaction, in order. A record that is not a valid event is logged and
 * skipped; a database failure fails the channel (the record is redelivered after restart).
 */
@ApplicationScoped
public class JobEventProcessor {

    private static final Logger LOG = Logger.getLogger(JobEventProcessor.class);

    @Inject
    JobService jobs;

    @Inject
    JobUpdates updates;

    @Inject
    MeterRegistry registry;

    @Incoming("job-events")
    @Blocking
    public void process(String json) {
        JobEvent event;
        try {
            event = Messages.decode(json, JobEvent.class);
        } catch (IllegalArgumentException e) {
            registry.counter("s2edit.job_events.invalid").increment();
            LOG.warnf("skipping a record on s2edit.job-events that is not a valid job event: %s", e.getMessage());
            return;
        }
        List<JobView> changed = QuarkusTransaction.requiringNew().call(() -> jobs.apply(event));
        changed.forEach(updates::publish);
    }
}
