package io.s2edit.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s2edit.common.problems.InvalidValueException;
import io.s2edit.common.problems.ProblemType;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;

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

    /**
     * {@code json}, an array, as a list of {@code element}s, each read on its own so that a
     * problem names its element ({@code edits[1].target_prompts[0]}); null or blank gives null.
     */
    public <T> List<T> parseList(String json, Class<T> element, String part) {
        List<JsonNode> nodes = parse(json, mapper.getTypeFactory().constructCollectionType(List.class, JsonNode.class), part);
        if (nodes == null) {
            return null;
        }
        List<T> values = new ArrayList<>(nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            String where = part + "[" + i + "]";
            JsonNode node = nodes.get(i);
            if (node == null || !node.isObject()) {
                throw new ApiException(ProblemType.INVALID_VALUE, where + " must be a JSON object", where);
            }
            try {
                values.add(mapper.treeToValue(node, element));
            } catch (JsonProcessingException e) {
                throw ProblemMapper.fromJson(e, where);
            } catch (InvalidValueException e) {
                throw new ApiException(e.type(), e.getMessage(), where + "." + e.field());
            }
        }
        return values;
    }

    public ObjectMapper mapper() {
        return mapper;
    }
}
