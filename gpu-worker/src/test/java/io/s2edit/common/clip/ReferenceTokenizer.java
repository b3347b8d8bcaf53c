package io.s2edit.common.clip;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** The reference tokenizer folder on the test classpath (CLIP's full 49,408-token vocabulary). */
final class ReferenceTokenizer {

    static final String DIR = "/reference/tiny/tokenizer";
    static final String CASES = "/reference/tokenizer-cases.json";

    private ReferenceTokenizer() {
    }

    /** The folder holding {@code vocab.json} and {@code merges.txt}. */
    static Path dir() {
        return resource(DIR);
    }

    /** A freshly loaded tokenizer with S2Edit's {@code [I]} and {@code [A]} added, as the battery was made. */
    static ClipTokenizer withIdentityTokens() {
        ClipTokenizer tokenizer = ClipTokenizer.load(dir());
        tokenizer.addTokens("[I]", "[A]");
        return tokenizer;
    }

    static Path resource(String name) {
        URL url = ReferenceTokenizer.class.getResource(name);
        if (url == null) {
            throw new IllegalStateException(name + " is not on the test classpath; the reference files come from"
                    + " tools/reference (see gpu-worker/src/test/resources/reference)");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
