package io.s2edit.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s2edit.common.problems.InvalidValueException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Parses JSON request bodies and JSON multipart parts with Quarkus' mapper (unknown fields are
 * refused), so both give the same problem details, naming the part.
 */
@ApplicationScoped
public class RequestJson {

    @Inject
    ObjectMapper mapper;

    /** {@code json} as {@code type}; null or blank gives null. */
    public <T> T parse(String json, Class<T> type, String part) {
        return parse(json, mapper.constructType(type), part);
    }

    public <T> T parse(String json, JavaType type, String part) {
        if (json == null || json.isBlank()) {
            return null;
        }
        try {
            return mapper.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw ProblemMapper.fromJson(e, part);
        } catch (InvalidValueException e) {
            throw new ApiException(e.type(), e.getMessage(), part == null ? e.field() : part + "." + e.field());
        }
    }

    public ObjectMapper mapper() {
        return mapper;
    }
}
