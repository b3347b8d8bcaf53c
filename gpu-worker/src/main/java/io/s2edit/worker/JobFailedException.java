package io.s2edit.worker;

/**
 * A job that cannot succeed, with the reason a person reads in the job's {@code error.reason}
 * (a missing parent artifact, an input the stage refuses). The job is acknowledged: running it
 * again would fail the same way.
 */
public final class JobFailedException extends Exception {

    public JobFailedException(String reason) {
        super(reason);
    }

    public JobFailedException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
