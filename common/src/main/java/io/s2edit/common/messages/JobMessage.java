package io.s2edit.common.messages;

import io.s2edit.common.problems.InvalidValueException;
import io.s2edit.common.problems.Require;

import java.util.UUID;

/**
 * A job on one of the job topics. Every message carries {@code schema_version}
 * ({@link #SCHEMA_VERSION}); readers ignore unknown fields (additions keep the version) and
 * refuse a newer version. The record key is {@link #key()}, the identity id.
 */
public sealed interface JobMessage permits FineTuneJob, InvertJob, EditJob {

    /** The message schema this code writes and the newest it reads. */
    int SCHEMA_VERSION = 1;

    int schemaVersion();

    UUID jobId();

    UUID identityId();

    /** 1 for the first run; the gateway raises it when it submits the same job again. */
    int attempt();

    JobKind kind();

    default String topic() {
        return kind().topic();
    }

    default String key() {
        return identityId().toString();
    }

    /** Shared compact-constructor checks of the envelope fields. */
    static void checkEnvelope(int schemaVersion, UUID jobId, UUID identityId, int attempt) {
        if (schemaVersion < 1 || schemaVersion > SCHEMA_VERSION) {
            throw new InvalidValueException("schema_version", "schema_version " + schemaVersion
                    + " is not readable here; this reader understands 1.." + SCHEMA_VERSION);
        }
        Require.present("job_id", jobId);
        Require.present("identity_id", identityId);
        Require.between("attempt", attempt, 1, 1000);
    }
}
