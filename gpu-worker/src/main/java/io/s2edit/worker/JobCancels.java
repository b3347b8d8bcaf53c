package io.s2edit.worker;

import io.s2edit.common.messages.JobCancel;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The jobs this worker knows to be canceled: every {@link JobCancel} of {@code s2edit.jobs.cancel}
 * from the last {@code s2edit.cancel.retention}, filled by {@link CancelTopicReader}.
 *
 * <p>Why a memory loaded from the topic's recent history, and not a per-instance consumer group
 * starting at the latest offsets: a job record can wait in its topic for as long as the backlog
 * lasts, and a worker that starts after the cancel was published (a scale-up, a restart, the
 * replacement of a crashed pod) may be the one that receives the canceled job's record. A
 * consumer starting at "latest" would never see that cancel and would run the job. So the reader
 * assigns itself every partition without a group (no offsets to commit, no group per pod left
 * behind in the broker), seeks each partition to the first cancel not older than the retention
 * ({@code offsetsForTimes}) and reads to the end before this memory counts as loaded; the first
 * job waits for that (at most {@code s2edit.cancel.load-wait}). The retention defaults to 7 days,
 * Kafka's default log retention: a job record older than that is gone from its topic as well, so
 * no record outlives the memory of its cancel. Cancels are rare next to jobs and an entry is a
 * job id and a time, so the memory is small; {@code s2edit.cancel.max-remembered} bounds it
 * anyway, forgetting the oldest first.
 *
 * <p>Thread-safe: the reader adds, the job thread asks.
 */
@Singleton
public class JobCancels {

    private final Duration retention;
    private final int maxRemembered;
    private final Duration loadWait;
    private final Clock clock;
    private final long createdNanos = System.nanoTime();
    private final CountDownLatch loaded = new CountDownLatch(1);
    /** Job id to the time it was canceled, in arrival order (about time order); guarded by this. */
    private final Map<UUID, Instant> canceled = new LinkedHashMap<>();

    @Inject
    JobCancels(WorkerConfig config) {
        this(config.cancel().retention(), config.cancel().maxRemembered(), config.cancel().loadWait(), Clock.systemUTC());
    }

    JobCancels(Duration retention, int maxRemembered, Duration loadWait, Clock clock) {
        if (retention.isNegative() || retention.isZero() || maxRemembered < 1) {
            throw new IllegalArgumentException("s2edit.cancel.retention must be positive and s2edit.cancel.max-remembered"
                    + " at least 1; got " + retention + " and " + maxRemembered);
        }
        this.retention = retention;
        this.maxRemembered = maxRemembered;
        this.loadWait = loadWait;
        this.clock = clock;
    }

    /** How far back the reader starts, and how long a cancel is remembered. */
    public Duration retention() {
        return retention;
    }

    /** Remembers {@code cancel} unless it is older than the retention. */
    public synchronized void add(JobCancel cancel) {
        Instant oldest = clock.instant().minus(retention);
        if (cancel.canceledAt().isBefore(oldest)) {
            return;
        }
        canceled.putIfAbsent(cancel.jobId(), cancel.canceledAt());
        Iterator<Instant> it = canceled.values().iterator();
        while (it.hasNext()) {
            Instant at = it.next();
            if (canceled.size() > maxRemembered || at.isBefore(oldest)) {
                it.remove();
            } else {
                break;
            }
        }
    }

    public synchronized boolean isCanceled(UUID jobId) {
        Instant at = canceled.get(jobId);
        return at != null && !at.isBefore(clock.instant().minus(retention));
    }

    public synchronized int size() {
        return canceled.size();
    }

    /** The reader has read the topic up to the end offsets it found at start. */
    public void markLoaded() {
        loaded.countDown();
    }

    public boolean loaded() {
        return loaded.getCount() == 0;
    }

    /**
     * Waits until the history is loaded, but no longer than {@code s2edit.cancel.load-wait} after
     * this memory was made (so only the first jobs after start can wait, once). False when it is
     * not loaded: the job then runs on what is known, and a cancel read later still stops it.
     */
    public boolean awaitLoaded() {
        long left = loadWait.toNanos() - (System.nanoTime() - createdNanos);
        try {
            return left > 0 ? loaded.await(left, TimeUnit.NANOSECONDS) : loaded();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return loaded();
        }
    }
}
