package io.s2edit.common.messages;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The three kinds of job, each with its topic and its message type. */
public enum JobKind {
    FINETUNE(Topics.FINETUNE, FineTuneJob.class),
    INVERT(Topics.INVERT, InvertJob.class),
    EDIT(Topics.EDIT, EditJob.class);

    private final String topic;
    private final Class<? extends JobMessage> messageType;

    JobKind(String topic, Class<? extends JobMessage> messageType) {
        this.topic = topic;
        this.messageType = messageType;
    }

    public String topic() {
        return topic;
    }

    public Class<? extends JobMessage> messageType() {
        return messageType;
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static JobKind fromWire(String name) {
        for (JobKind k : values()) {
            if (k.wireName().equalsIgnoreCase(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown job kind \"" + name + "\"; valid: "
                + Arrays.stream(values()).map(JobKind::wireName).collect(Collectors.joining(", ")));
    }

    public static JobKind ofTopic(String topic) {
        for (JobKind k : values()) {
            if (k.topic.equals(topic)) {
                return k;
            }
        }
        throw new IllegalArgumentException("no job kind for topic \"" + topic + "\"");
    }
}
