package io.s2edit.worker;

import io.s2edit.common.messages.JobCancel;
import io.s2edit.common.messages.JobKind;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bounded memory of recent cancels: retention, size bound, and the bounded wait for the history. */
class JobCancelsTest {

    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");

    private static JobCancel cancel(UUID job, Instant at) {
        return JobCancel.of(job, UUID.randomUUID(), JobKind.EDIT, at, "canceled by request");
    }

    @Test
    void remembersCancelsWithinTheRetentionOnly() {
        JobCancels cancels = new JobCancels(Duration.ofHours(1), 100, Duration.ZERO, Clock.fixed(NOW, ZoneOffset.UTC));
        UUID recent = UUID.randomUUID();
        UUID old = UUID.randomUUID();
        cancels.add(cancel(recent, NOW.minusSeconds(3599)));
        cancels.add(cancel(old, NOW.minusSeconds(3601)));
        assertTrue(cancels.isCanceled(recent));
        assertFalse(cancels.isCanceled(old), "older than the retention: not even added");
        assertFalse(cancels.isCanceled(UUID.randomUUID()));
        assertEquals(1, cancels.size());
    }

    @Test
    void forgetsTheOldestBeyondTheBound() {
        JobCancels cancels = new JobCancels(Duration.ofDays(7), 3, Duration.ZERO, Clock.fixed(NOW, ZoneOffset.UTC));
        UUID[] jobs = new UUID[5];
        for (int i = 0; i < jobs.length; i++) {
            jobs[i] = UUID.randomUUID();
            cancels.add(cancel(jobs[i], NOW.minusSeconds(100 - i)));
        }
        assertEquals(3, cancels.size());
        assertFalse(cancels.isCanceled(jobs[0]));
        assertFalse(cancels.isCanceled(jobs[1]));
        assertTrue(cancels.isCanceled(jobs[2]) && cancels.isCanceled(jobs[4]));
        cancels.add(cancel(jobs[4], NOW)); // the same cancel again (history read twice) changes nothing
        assertEquals(3, cancels.size());
    }

    @Test
    void waitingForTheHistoryIsBoundedFromStart() {
        JobCancels cancels = new JobCancels(Duration.ofDays(7), 10, Duration.ofMillis(300), Clock.systemUTC());
        long start = System.nanoTime();
        assertFalse(cancels.awaitLoaded());
        long waited = System.nanoTime() - start;
        assertTrue(waited >= Duration.ofMillis(250).toNanos() && waited < Duration.ofSeconds(3).toNanos(), "waited " + waited);
        start = System.nanoTime();
        assertFalse(cancels.awaitLoaded(), "the second job does not wait again");
        assertTrue(System.nanoTime() - start < Duration.ofMillis(100).toNanos());
        cancels.markLoaded();
        assertTrue(cancels.awaitLoaded());
    }
}
