package io.s2edit.worker;

import io.s2edit.common.messages.JobEvent;
import io.s2edit.common.messages.JobMessage;
import io.s2edit.engine.Progress;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Turns a stage's per-step callbacks into {@code progress} events: at most one per
 * {@code interval}, except that the last step of a stage is always sent (so a stream shows every
 * stage complete). It is also where a running job is stopped: when the worker abandons it at
 * shutdown the next step throws {@link JobAbandonedException}; when the gateway has canceled it,
 * {@link JobCanceledException}.
 */
final class ProgressReporter implements Progress {

    private final JobMessage job;
    private final Consumer<JobEvent> sink;
    private final long intervalNanos;
    private final BooleanSupplier abandoned;
    private final BooleanSupplier canceled;
    private final LongSupplier nanoClock;
    private long lastSent;
    private boolean sentAny;

    ProgressReporter(JobMessage job, Consumer<JobEvent> sink, Duration interval, BooleanSupplier abandoned,
            BooleanSupplier canceled, LongSupplier nanoClock) {
        this.job = job;
        this.sink = sink;
        this.intervalNanos = interval.toNanos();
        this.abandoned = abandoned;
        this.canceled = canceled;
        this.nanoClock = nanoClock;
    }

    @Override
    public void update(String stage, int step, int total) {
        if (abandoned.getAsBoolean()) {
            throw new JobAbandonedException("job " + job.jobId() + " abandoned at " + stage + " step " + step + "/" + total
                    + ": the worker is shutting down");
        }
        if (canceled.getAsBoolean()) {
            throw new JobCanceledException("canceled by request; stopped after " + stage + " step " + step + "/" + total);
        }
        if (total < 1 || step < 0 || step > total || stage == null || stage.isBlank()) {
            return;
        }
        long now = nanoClock.getAsLong();
        if (step == total || !sentAny || now - lastSent >= intervalNanos) {
            sentAny = true;
            lastSent = now;
            sink.accept(JobEvent.progress(job, step, total, stage));
        }
    }
}
