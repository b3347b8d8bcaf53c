package io.s2edit.gateway.api;

import io.s2edit.common.problems.ProblemType;

/** A request the gateway refuses; {@link ProblemMapper} renders it as problem details. */
public class ApiException extends RuntimeException {

    private final ProblemType type;
    private final String field;

    public ApiException(ProblemType type, String detail, String field) {
        super(detail);
        this.type = type;
        this.field = field;
    }

    public ApiException(ProblemType type, String detail) {
        this(type, detail, null);
    }

    public ProblemType type() {
        return type;
    }

    public String field() {
        return field;
    }

    public static ApiException jobNotFound(Object id) {
        return new ApiException(ProblemType.JOB_NOT_FOUND, "no job has id " + id, "id");
    }

    public static ApiException identityNotFound(Object id) {
        return new ApiException(ProblemType.IDENTITY_NOT_FOUND, "no identity has id " + id, "id");
    }
}
