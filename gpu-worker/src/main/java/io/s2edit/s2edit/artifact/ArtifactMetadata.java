package io.s2edit.s2edit.artifact;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code __metadata__} block every S2Edit artifact carries (safetensors metadata values are
 * strings):
 * <pre>
 *   format             "s2edit.&lt;kind&gt;/1", e.g. "s2edit.weight-delta/1"
 *   base_model         the base checkpoint folder when the artifact was made
 *   base_model_sha256  JSON {file: sha256} of the base files ({@link BaseModel#FILES})
 *   options            JSON of the options the artifact was made with (e.g. FineTuneOptions)
 *   seed               the seed
 * </pre>
 */
public record ArtifactMetadata(String kind, BaseModel baseModel, String optionsJson, long seed) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public ArtifactMetadata {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(baseModel, "baseModel");
        optionsJson = optionsJson == null ? "{}" : optionsJson;
    }

    /** Metadata for an artifact of {@code kind} made from the checkpoint at {@code base} with {@code options} (any record). */
    public static ArtifactMetadata of(String kind, Path base, Object options, long seed) throws IOException {
        try {
            return new ArtifactMetadata(kind, BaseModel.of(base), JSON.writeValueAsString(options), seed);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("options cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** This metadata with another kind (one run writes several artifacts). */
    public ArtifactMetadata withKind(String value) {
        return new ArtifactMetadata(value, baseModel, optionsJson, seed);
    }

    /**
     * The boolean option {@code name} of {@link #optionsJson} (e.g. FineTuneOptions' "spatial"), or
     * {@code fallback} when the options do not set it.
     *
     * @throws IllegalArgumentException when the options are not a JSON object or the option is not a boolean
     */
    public boolean booleanOption(String name, boolean fallback) {
        JsonNode options;
        try {
            options = JSON.readTree(optionsJson);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("artifact metadata 'options' is not JSON (" + e.getOriginalMessage() + "): "
                    + optionsJson, e);
        }
        if (!options.isObject()) {
            throw new IllegalArgumentException("artifact metadata 'options' must be a JSON object, got: " + optionsJson);
        }
        JsonNode value = options.get(name);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw new IllegalArgumentException("artifact option '" + name + "' must be true or false, got " + value);
        }
        return value.booleanValue();
    }

    public String format() {
        return "s2edit." + kind + "/1";
    }

    /** The block as safetensors metadata. */
    public Map<String, String> toMap() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("format", format());
        out.put("base_model", baseModel.path());
        out.put("base_model_sha256", baseModel.sha256Json());
        out.put("options", optionsJson);
        out.put("seed", Long.toString(seed));
        return out;
    }

    /**
     * Reads the block of a file that must be of {@code kind}.
     *
     * @throws IllegalArgumentException when the file is not such an artifact
     */
    public static ArtifactMetadata fromMap(Map<String, String> map, String kind, Path file) {
        String expected = "s2edit." + kind + "/1";
        String format = map.get("format");
        if (!expected.equals(format)) {
            throw new IllegalArgumentException(file + " is not an S2Edit " + kind + " artifact: its metadata 'format' is "
                    + (format == null ? "missing" : "\"" + format + "\"") + ", expected \"" + expected + "\"");
        }
        for (String key : new String[] {"base_model", "base_model_sha256", "seed"}) {
            if (!map.containsKey(key)) {
                throw new IllegalArgumentException(file + ": artifact metadata '" + key + "' is missing");
            }
        }
        return new ArtifactMetadata(kind, BaseModel.fromMetadata(map.get("base_model"), map.get("base_model_sha256")),
                map.get("options"), Long.parseLong(map.get("seed")));
    }
}
