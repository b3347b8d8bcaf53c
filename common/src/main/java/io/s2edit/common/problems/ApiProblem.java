package io.s2edit.common.problems;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An RFC 9457 problem details document ({@code application/problem+json}) with one extension
 * member, {@code field}, naming the offending request field (multipart part or JSON path).
 *
 * @param type     a URI from {@link ProblemType#uri()}, or {@code about:blank} for plain HTTP errors
 * @param title    short, human, the same for every occurrence of the type
 * @param status   the HTTP status code
 * @param detail   what went wrong with this request and how to fix it
 * @param instance the request path
 * @param field    the offending field, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiProblem(String type, String title, int status, String detail, String instance, String field) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public ApiProblem {
        if (type == null || type.isBlank()) {
            throw new IllegalArgumentException("problem type must be a URI, e.g. " + ProblemType.INVALID_VALUE.uri());
        }
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("problem status must be a 4xx or 5xx code, got " + status);
        }
    }

    public static ApiProblem of(ProblemType type, String detail, String instance, String field) {
        return new ApiProblem(type.uri(), type.title(), type.status(), detail, instance, field);
    }
}
