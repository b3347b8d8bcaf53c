package io.s2edit.common.problems;

/**
 * A value that breaks a rule of the messages or of the API. It names the field (in the JSON
 * spelling, e.g. {@code source_prompt}) and the problem type the REST API answers with, and its
 * message says what was wrong and what is valid.
 */
public final class InvalidValueException extends IllegalArgumentException {

    private final ProblemType type;
    private final String field;

    public InvalidValueException(ProblemType type, String field, String message) {
        super(message);
        this.type = type;
        this.field = field;
    }

    public InvalidValueException(String field, String message) {
        this(ProblemType.INVALID_VALUE, field, message);
    }

    public ProblemType type() {
        return type;
    }

    public String field() {
        return field;
    }
}
