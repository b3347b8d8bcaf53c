package io.s2edit.common.messages;

/** Kafka topic names. Job topics are keyed by identity id (see ARCHITECTURE.md, Data flow). */
public final class Topics {

    public static final String FINETUNE = "s2edit.jobs.finetune";
    public static final String INVERT = "s2edit.jobs.invert";
    public static final String EDIT = "s2edit.jobs.edit";
    /**
     * Gateway to every worker: {@link JobCancel}s, keyed by identity id. Not a job queue: each worker
     * reads all of its partitions without a consumer group (see the worker's {@code JobCancels}).
     */
    public static final String CANCEL = "s2edit.jobs.cancel";
    /** Worker to gateway: {@link JobEvent}s, keyed by identity id as well. */
    public static final String JOB_EVENTS = "s2edit.job-events";

    private Topics() {
    }
}
