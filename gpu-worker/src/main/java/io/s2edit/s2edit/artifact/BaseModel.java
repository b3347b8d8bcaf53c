package io.s2edit.s2edit.artifact;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The base checkpoint an artifact was made from: its folder and the SHA-256 of the files whose
 * contents the artifact depends on ({@link #FILES}: the UNet, text-encoder and VAE weights, and
 * the tokenizer's vocabulary and merges, which fix the ids of added tokens). A weight delta or a
 * token embedding is only meaningful on exactly these files; {@link #verify} refuses any other.
 *
 * <p>Hashing the SD v1.x weights (about 4 GB) takes seconds; results are cached per JVM by path,
 * size and modification time.
 */
public record BaseModel(String path, Map<String, String> sha256) {

    /** Files hashed, relative to the checkpoint folder. */
    public static final List<String> FILES = List.of("unet/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors",
            "vae/diffusion_pytorch_model.safetensors", "tokenizer/vocab.json", "tokenizer/merges.txt");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> CACHE = new ConcurrentHashMap<>();

    public BaseModel {
        sha256 = Map.copyOf(new TreeMap<>(sha256));
    }

    /** Fingerprints the checkpoint at {@code directory}. */
    public static BaseModel of(Path directory) throws IOException {
        Map<String, String> sums = new LinkedHashMap<>();
        for (String file : FILES) {
            Path p = directory.resolve(file);
            if (!Files.isRegularFile(p)) {
                throw new IOException("cannot fingerprint the base model: " + p + " is missing");
            }
            sums.put(file, sha256(p));
        }
        return new BaseModel(directory.toAbsolutePath().normalize().toString(), sums);
    }

    /**
     * Checks that {@code directory} holds the same files.
     *
     * @throws IllegalArgumentException naming each file that differs
     */
    public void verify(Path directory) throws IOException {
        BaseModel actual = of(directory);
        StringBuilder problems = new StringBuilder();
        for (Map.Entry<String, String> entry : sha256.entrySet()) {
            String found = actual.sha256().get(entry.getKey());
            if (!entry.getValue().equals(found)) {
                problems.append("\n  ").append(entry.getKey()).append(": expected sha256 ").append(entry.getValue())
                        .append(", found ").append(found);
            }
        }
        if (problems.length() > 0) {
            throw new IllegalArgumentException("the artifact was made from the base model at " + path + ", and " + directory
                    + " is a different one:" + problems + "\nload the checkpoint the artifact was fine-tuned from");
        }
    }

    /** The checksums as a JSON object (for a safetensors {@code __metadata__} string). */
    public String sha256Json() {
        try {
            return JSON.writeValueAsString(new TreeMap<>(sha256));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static BaseModel fromMetadata(String path, String sha256Json) {
        try {
            return new BaseModel(path, JSON.readValue(sha256Json, new TypeReference<Map<String, String>>() { }));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("artifact metadata 'base_model_sha256' is not a JSON object: " + sha256Json, e);
        }
    }

    private static String sha256(Path file) throws IOException {
        String key = file.toAbsolutePath().normalize() + "|" + Files.size(file) + "|" + Files.getLastModifiedTime(file).toMillis();
        String cached = CACHE.get(key);
        if (cached != null) {
            return cached;
        }
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        String hex = HexFormat.of().formatHex(digest.digest());
        CACHE.put(key, hex);
        return hex;
    }
}
