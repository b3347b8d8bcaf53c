package io.s2edit.worker;

/**
 * Thrown out of a stage's progress callback when the worker is shutting down and the grace period
 * has passed: the job stops without an event and without acknowledgement, so Kafka redelivers it.
 */
public final class JobAbandonedException extends RuntimeException {

    public JobAbandonedException(String message) {
        super(message, null, false, false);
    }
}
