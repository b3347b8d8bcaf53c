package io.s2edit.worker;

/**
 * Thrown out of a stage's progress callback (or a check between a job's phases) when the gateway
 * has canceled the job ({@link JobCancels}): the job stops, reports {@code canceled} with this
 * message as the reason, and its record is acknowledged.
 */
public final class JobCanceledException extends RuntimeException {

    public JobCanceledException(String message) {
        super(message, null, false, false);
    }
}
