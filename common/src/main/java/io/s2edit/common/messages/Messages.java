package io.s2edit.common.messages;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.s2edit.common.problems.InvalidValueException;

import java.io.UncheckedIOException;

/**
 * JSON encoding of the messages. Unknown fields are ignored (a newer writer may add fields
 * without raising the schema version); nulls are left out; times are ISO-8601 strings.
 */
public final class Messages {

    private static final ObjectMapper MAPPER = configure(new ObjectMapper());

    private Messages() {
    }

    /** Applies the message settings to {@code mapper} (callers may share one mapper with a framework). */
    public static ObjectMapper configure(ObjectMapper mapper) {
        return mapper.registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .setSerializationInclusion(JsonInclude.Include.NON_NULL);
    }

    /** The mapper configured for messages. Do not reconfigure it. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static String encode(Object message) {
        try {
            return MAPPER.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Decodes and validates. A rule broken by a compact constructor comes out as its
     * {@link InvalidValueException}; text that is not JSON of the type as
     * {@link IllegalArgumentException}.
     */
    public static <T> T decode(String json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (ValueInstantiationException e) {
            if (e.getCause() instanceof InvalidValueException invalid) {
                throw invalid;
            }
            throw new IllegalArgumentException("not a valid " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a valid " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }

    /** Decodes the job message of a job topic. */
    public static JobMessage decodeJob(String topic, String json) {
        return decode(json, JobKind.ofTopic(topic).messageType());
    }
}
