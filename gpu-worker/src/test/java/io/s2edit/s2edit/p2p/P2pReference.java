package io.s2edit.s2edit.p2p;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.s2edit.common.clip.ClipTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/**
 * The reference tokenizer (CLIP's vocabulary with {@code [I]} = 49408 and {@code [A]} = 49409
 * added) and the Prompt-to-Prompt battery written by {@code tools/reference/p2p_aligners.py}.
 */
final class P2pReference {

    static final String TOKENIZER_DIR = "/reference/tiny/tokenizer";
    static final String BATTERY = "/reference/p2p-aligners.json";

    private P2pReference() {
    }

    static ClipTokenizer tokenizer() {
        ClipTokenizer tokenizer = ClipTokenizer.load(resource(TOKENIZER_DIR));
        tokenizer.addTokens("[I]", "[A]");
        return tokenizer;
    }

    static JsonNode battery() {
        try {
            return new ObjectMapper().readTree(resource(BATTERY).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path resource(String name) {
        URL url = P2pReference.class.getResource(name);
        if (url == null) {
            throw new IllegalStateException(name + " is not on the test classpath; regenerate it with"
                    + " tools/reference/p2p_aligners.py (see tools/reference/README.md)");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
