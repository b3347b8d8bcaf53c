package io.s2edit.worker;

import io.s2edit.common.messages.FineTuneJob;
import io.s2edit.common.messages.FineTuneOptions;
import io.s2edit.common.messages.JobEvent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ProgressReporterTest {

    private final FineTuneJob job = FineTuneJob.create(UUID.randomUUID(), UUID.randomUUID(), "a photo of a [I] lady", "lady",
            false, null, FineTuneOptions.defaults().withSeed(1));
    private final List<JobEvent> sent = new ArrayList<>();
    private final AtomicLong clock = new AtomicLong();
    private final AtomicBoolean abandoned = new AtomicBoolean();
    private final AtomicBoolean canceled = new AtomicBoolean();
    private final ProgressReporter reporter = new ProgressReporter(job, sent::add, Duration.ofMillis(250), abandoned::get,
            canceled::get, clock::get);

    @Test
    void sendsAtMostOneEventPerIntervalButAlwaysTheLastStep() {
        // 10 steps 100 ms apart: step 1 (first), then one at least 250 ms after the previous, and step 10
        for (int step = 1; step <= 10; step++) {
            clock.set(step * 100_000_000L);
            reporter.update("finetune", step, 10);
        }
        assertEquals(List.of(1, 4, 7, 10), sent.stream().map(e -> e.progress().step()).toList());
        // the next stage's last step is sent even right after
        clock.addAndGet(1_000_000L);
        reporter.update("inversion", 3, 3);
        JobEvent last = sent.get(sent.size() - 1);
        assertEquals(JobEvent.Type.PROGRESS, last.type());
        assertEquals("inversion", last.progress().stage());
        assertEquals(3, last.progress().total());
        assertEquals(job.attempt(), last.attempt());
    }

    @Test
    void ignoresStepsOutsideTheirRange() {
        reporter.update("finetune", 5, 0);
        reporter.update("finetune", 6, 5);
        reporter.update("", 1, 5);
        assertEquals(List.of(), sent);
    }

    @Test
    void anAbandonedJobStopsAtItsNextStep() {
        reporter.update("finetune", 1, 10);
        abandoned.set(true);
        JobAbandonedException e = assertThrows(JobAbandonedException.class, () -> reporter.update("finetune", 2, 10));
        assertEquals(1, sent.size());
        assertEquals(true, e.getMessage().contains(job.jobId().toString()));
    }

    @Test
    void aCanceledJobStopsAtItsNextStepSayingWhere() {
        reporter.update("inversion", 1, 50);
        canceled.set(true);
        JobCanceledException e = assertThrows(JobCanceledException.class, () -> reporter.update("null-text", 7, 50));
        assertEquals("canceled by request; stopped after null-text step 7/50", e.getMessage());
        assertEquals(1, sent.size(), "no progress event for the step it stopped at");
    }
}
