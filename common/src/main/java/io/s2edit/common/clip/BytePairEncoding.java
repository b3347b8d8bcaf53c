package io.s2edit.common.clip;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of CLIP: merges ranked by their line in {@code merges.txt}, an end-of-word
 * marker {@code </w>} on the last symbol of every word, and a cache of finished words.
 *
 * <p>Mirrors {@code SimpleTokenizer.bpe} of OpenAI CLIP and the {@code BPE} model that HF
 * {@code tokenizers} builds for {@code CLIPTokenizer} ({@code end_of_word_suffix="</w>"}, no
 * continuing-subword prefix, no dropout, {@code fuse_unk=false}): start from the characters of
 * the byte-encoded word, the last one carrying {@code </w>}; repeatedly take the adjacent pair
 * with the lowest merge rank and merge every occurrence of it, left to right; stop when no
 * adjacent pair is a merge. A symbol missing from the vocabulary (possible only with a cut-down
 * vocabulary) becomes the unknown token, one per symbol.
 *
 * <p>Thread-safe: the tables are read-only and the cache is concurrent.
 */
final class BytePairEncoding {

    /** Marks the last symbol of a word, as in CLIP's vocabulary ({@code "lady</w>"}). */
    static final String END_OF_WORD = "</w>";

    private final Map<String, Integer> vocab;
    private final String[] tokens; // id -> token; null where no token has the id
    private final Map<String, Integer> mergeRanks; // "left right" -> line index
    private final int unknownId;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab     token to id, as in {@code vocab.json}
     * @param merges    merge pairs in rank order, each {@code "left right"} as in {@code merges.txt}
     * @param unknownId id given to a symbol that is not in the vocabulary
     * @throws IllegalArgumentException if a merge is malformed or names a token the vocabulary
     *                                  lacks (HF {@code tokenizers} refuses such files too)
     */
    BytePairEncoding(Map<String, Integer> vocab, List<String> merges, int unknownId) {
        this.vocab = Map.copyOf(vocab);
        this.tokens = new String[vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1];
        vocab.forEach((token, id) -> tokens[id] = token);
        this.unknownId = unknownId;
        Map<String, Integer> ranks = new HashMap<>(merges.size() * 2);
        for (int rank = 0; rank < merges.size(); rank++) {
            String merge = merges.get(rank);
            String[] parts = merge.split(" ", -1);
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new IllegalArgumentException("merge " + (rank + 1) + " must be two tokens separated by one"
                        + " space, got \"" + merge + "\"");
            }
            for (String token : new String[] {parts[0], parts[1], parts[0] + parts[1]}) {
                if (!vocab.containsKey(token)) {
                    throw new IllegalArgumentException("merge " + (rank + 1) + " \"" + merge + "\" needs token \""
                            + token + "\", which the vocabulary lacks");
                }
            }
            ranks.putIfAbsent(merge, rank);
        }
        this.mergeRanks = ranks;
    }

    /** Number of tokens in the vocabulary (49,408 for CLIP). */
    int vocabSize() {
        return vocab.size();
    }

    /** The id of {@code token}, or {@code null} when the vocabulary lacks it. */
    Integer idOf(String token) {
        return vocab.get(token);
    }

    /** The token with {@code id}, e.g. {@code "lady</w>"}, or {@code null} when no token has it. */
    String tokenOf(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    /** The ids of one byte-encoded word (see {@link ByteEncoder}); cached. */
    int[] encode(String word) {
        return cache.computeIfAbsent(word, w -> {
            List<String> symbols = split(w);
            int[] ids = new int[symbols.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = vocab.getOrDefault(symbols.get(i), unknownId);
            }
            return ids;
        }).clone();
    }

    /** The BPE symbols of one byte-encoded word, e.g. {@code "ladies"} to {@code [ladies</w>]}. */
    List<String> split(String word) {
        if (word.isEmpty()) {
            return List.of();
        }
        // 1. One symbol per character; the last carries the end-of-word marker.
        List<String> symbols = new ArrayList<>(word.length());
        word.codePoints().forEach(cp -> symbols.add(Character.toString(cp)));
        int last = symbols.size() - 1;
        symbols.set(last, symbols.get(last) + END_OF_WORD);
        // 2. Merge the best-ranked adjacent pair, all its occurrences, until none is a merge.
        while (symbols.size() > 1) {
            String best = bestPair(symbols);
            if (best == null) {
                break;
            }
            mergeAll(symbols, best);
        }
        return symbols;
    }

    private String bestPair(List<String> symbols) {
        String best = null;
        int bestRank = Integer.MAX_VALUE;
        for (int i = 0; i + 1 < symbols.size(); i++) {
            String pair = symbols.get(i) + ' ' + symbols.get(i + 1);
            Integer rank = mergeRanks.get(pair);
            if (rank != null && rank < bestRank) {
                bestRank = rank;
                best = pair;
            }
        }
        return best;
    }

    private static void mergeAll(List<String> symbols, String pair) {
        int space = pair.indexOf(' ');
        String left = pair.substring(0, space);
        String right = pair.substring(space + 1);
        List<String> merged = new ArrayList<>(symbols.size());
        for (int i = 0; i < symbols.size(); i++) {
            if (i + 1 < symbols.size() && symbols.get(i).equals(left) && symbols.get(i + 1).equals(right)) {
                merged.add(left + right);
                i++;
            } else {
                merged.add(symbols.get(i));
            }
        }
        symbols.clear();
        symbols.addAll(merged);
    }
}
