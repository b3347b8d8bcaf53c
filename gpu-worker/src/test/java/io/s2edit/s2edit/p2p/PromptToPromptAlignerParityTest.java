package io.s2edit.s2edit.p2p;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.s2edit.common.clip.ClipTokenizer;
import io.s2edit.common.clip.TokenIds;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Parity with the Prompt-to-Prompt reference aligners ({@code tools/reference/p2p_aligners.py},
 * checked there against google/prompt-to-prompt's {@code seq_aligner.py} / {@code ptp_utils.py})
 * on the battery {@code /reference/p2p-aligners.json}: every case is its own test. Integers and
 * 0/1 tables must match exactly, float entries within {@value #TOLERANCE} (the reference stores
 * float32; 1/3 is the only non-dyadic value). Where the reference raises or selects no token,
 * the Java code must throw.
 */
class PromptToPromptAlignerParityTest {

    private static final double TOLERANCE = 1e-6;
    private static final ClipTokenizer TOKENIZER = P2pReference.tokenizer();
    private static final JsonNode BATTERY = P2pReference.battery();

    @Test
    void batteryHasTheAgreedSize() {
        int pairs = BATTERY.path("replace").size() + BATTERY.path("refine").size();
        assertTrue(pairs >= 20, "at least 20 replace/refine prompt pairs, got " + pairs);
        assertTrue(BATTERY.path("word_inds").size() >= 20, "word index cases");
        assertTrue(BATTERY.path("equalizer").size() >= 5, "equalizer cases");
        assertTrue(BATTERY.path("schedule").size() >= 6, "schedule cases");
        assertEquals(TOKENIZER.maxLength(), BATTERY.path("max_len").asInt());
    }

    @TestFactory
    Stream<DynamicTest> wordIndices() {
        return cases("word_inds", c -> c.path("prompt").asText() + " / " + c.path("word"), c -> () -> {
            String prompt = c.path("prompt").asText();
            int[] ids = ints(c.path("ids"));
            TokenIds encoded = TOKENIZER.encode(prompt);
            assertArrayEquals(ids, Arrays.copyOf(encoded.ids(), encoded.length()), "token ids");
            for (int k = 0; k < ids.length; k++) {
                assertEquals(c.path("decoded").get(k).asText(), TOKENIZER.decodeToken(ids[k]), "decode of id " + ids[k]);
            }
            WordIndices words = WordIndices.of(TOKENIZER, prompt);
            assertEquals(strings(c.path("words")), words.words());
            JsonNode word = c.path("word");
            JsonNode positions = c.path("positions");
            if (c.has("error") || positions.isEmpty()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lookup(words, word));
                if (c.has("error")) {
                    assertTrue(e.getMessage().contains("get_word_inds fails"), e.getMessage());
                }
                return;
            }
            assertArrayEquals(ints(positions), lookup(words, word));
        });
    }

    @TestFactory
    Stream<DynamicTest> replaceMappers() {
        return cases("replace", c -> c.path("source").asText() + " -> " + c.path("targets"), c -> () -> {
            String source = c.path("source").asText();
            List<String> targets = strings(c.path("targets"));
            if (c.has("error")) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> ReplaceMapper.mappers(TOKENIZER, source, targets));
                assertTrue(e.getMessage().contains("same number of words"), e.getMessage());
                return;
            }
            float[][][] actual = ReplaceMapper.mappers(TOKENIZER, source, targets);
            assertEquals(targets.size(), actual.length);
            for (int p = 0; p < targets.size(); p++) {
                float[][] expected = new float[TOKENIZER.maxLength()][TOKENIZER.maxLength()];
                for (JsonNode entry : c.path("mappers").get(p)) {
                    expected[entry.get(0).asInt()][entry.get(1).asInt()] = (float) entry.get(2).asDouble();
                }
                String target = targets.get(p);
                for (int s = 0; s < expected.length; s++) {
                    assertArrayEquals(expected[s], actual[p][s], (float) TOLERANCE, "mapper row " + s + " for " + target);
                }
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> refineMappers() {
        return cases("refine", c -> c.path("source").asText() + " -> " + c.path("targets"), c -> () -> {
            String source = c.path("source").asText();
            List<String> targets = strings(c.path("targets"));
            TokenIds sourceIds = TOKENIZER.encode(source);
            assertArrayEquals(ints(c.path("source_ids")), Arrays.copyOf(sourceIds.ids(), sourceIds.length()));
            List<RefineMapping> actual = RefineMapper.mappings(TOKENIZER, source, targets);
            for (int p = 0; p < targets.size(); p++) {
                TokenIds targetIds = TOKENIZER.encode(targets.get(p));
                assertArrayEquals(ints(c.path("target_ids").get(p)), Arrays.copyOf(targetIds.ids(), targetIds.length()));
                assertArrayEquals(ints(c.path("mappers").get(p)), actual.get(p).mapper(), "mapper of " + targets.get(p));
                assertArrayEquals(floats(c.path("alphas").get(p)), actual.get(p).alphas(), (float) TOLERANCE,
                        "alphas of " + targets.get(p));
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> equalizers() {
        return cases("equalizer", c -> c.path("prompt").asText() + " " + c.path("words") + " x " + c.path("factors"),
                c -> () -> {
                    Equalizer equalizer = Equalizer.of(TOKENIZER, c.path("prompt").asText());
                    for (int k = 0; k < c.path("words").size(); k++) {
                        JsonNode word = c.path("words").get(k);
                        double factor = c.path("factors").get(k).asDouble();
                        equalizer = word.isInt() ? equalizer.scale(word.asInt(), factor)
                                : equalizer.scale(word.asText(), factor);
                    }
                    assertArrayEquals(floats(c.path("equalizer")), equalizer.vector(), (float) TOLERANCE);
                });
    }

    @TestFactory
    Stream<DynamicTest> crossReplaceSchedules() {
        return cases("schedule", c -> c.path("prompts") + " N=" + c.path("steps") + " " + c.path("global")
                + " " + c.path("words"), c -> () -> {
                    List<String> prompts = strings(c.path("prompts"));
                    int steps = c.path("steps").asInt();
                    Map<String, CrossReplaceSchedule.Window> perWord = new LinkedHashMap<>();
                    for (JsonNode w : c.path("words")) {
                        perWord.put(w.get(0).asText(), new CrossReplaceSchedule.Window(w.get(1).asDouble(), w.get(2).asDouble()));
                    }
                    JsonNode global = c.path("global");
                    CrossReplaceSchedule schedule = CrossReplaceSchedule.of(TOKENIZER, prompts.subList(1, prompts.size()),
                            steps, new CrossReplaceSchedule.Window(global.get(0).asDouble(), global.get(1).asDouble()),
                            perWord);
                    JsonNode alpha = c.path("alpha");
                    assertEquals(steps + 1, alpha.size());
                    assertEquals(prompts.size() - 1, schedule.targets());
                    float[][][] table = schedule.toArray();
                    for (int step = 0; step <= steps; step++) {
                        for (int p = 0; p < prompts.size() - 1; p++) {
                            assertEquals(alpha.get(step).get(p).asText(), bits(table[step][p]),
                                    "step " + step + ", target " + p);
                        }
                    }
                });
    }

    @TestFactory
    Stream<DynamicTest> localBlendSelections() {
        return cases("blend", c -> c.path("prompts") + " " + c.path("words"), c -> () -> {
            for (int p = 0; p < c.path("prompts").size(); p++) {
                WordIndices words = WordIndices.of(TOKENIZER, c.path("prompts").get(p).asText());
                assertEquals(c.path("selection").get(p).asText(), bits(words.selection(strings(c.path("words").get(p)))));
            }
        });
    }

    private static int[] lookup(WordIndices words, JsonNode word) {
        return word.isInt() ? words.positionsOf(word.asInt()) : words.positionsOf(word.asText());
    }

    private static Stream<DynamicTest> cases(String section, Function<JsonNode, String> name,
            Function<JsonNode, org.junit.jupiter.api.function.Executable> body) {
        JsonNode list = BATTERY.path(section);
        assertTrue(list.size() > 0, "the battery has no " + section + " cases");
        List<DynamicTest> tests = new ArrayList<>();
        for (int k = 0; k < list.size(); k++) {
            JsonNode c = list.get(k);
            tests.add(DynamicTest.dynamicTest(section + " " + k + ": " + name.apply(c), body.apply(c)));
        }
        return tests.stream();
    }

    private static String bits(float[] row) {
        StringBuilder out = new StringBuilder(row.length);
        for (float v : row) {
            assertTrue(v == 0f || v == 1f, "0/1 expected, got " + v);
            out.append(v == 1f ? '1' : '0');
        }
        return out.toString();
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = array.get(k).asInt();
        }
        return out;
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = (float) array.get(k).asDouble();
        }
        return out;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>(array.size());
        array.forEach(node -> out.add(node.asText()));
        return out;
    }
}
