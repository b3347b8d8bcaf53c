package io.s2edit.common.clip;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * CLIP's byte-level BPE tokenizer, giving exactly the ids of transformers 5's
 * {@code CLIPTokenizer} (checked against a reference battery in {@code ClipTokenizerParityTest}).
 *
 * <p>A prompt is encoded in these steps (HF {@code tokenizers}' order):
 * <ol>
 *   <li>split the raw prompt on the non-normalized added tokens (the special tokens
 *       {@code <|startoftext|>}, {@code <|endoftext|>}), exact match;</li>
 *   <li>clean each remaining segment ({@link ClipTextCleaner}: NFC, white space, lowercase; no
 *       ftfy, no HTML unescaping);</li>
 *   <li>split the cleaned text on the normalized added tokens ({@code [I]}, {@code [A]}; they
 *       therefore match in any case, {@code [i]} too, and need no spaces around them);</li>
 *   <li>pre-tokenise the rest into words ({@link ClipPreTokenizer}), byte-encode each
 *       ({@link ByteEncoder}) and BPE it ({@link BytePairEncoding});</li>
 *   <li>wrap in BOS 49406 and EOS 49407 and pad with the pad token (EOS) to {@link #maxLength()};
 *       a prompt that does not fit is rejected with {@link PromptTooLongException}.</li>
 * </ol>
 *
 * <p>Thread-safe; {@link #addTokens} may run while other threads encode (they see the tokens
 * added before their call began or after, never half).
 */
public final class ClipTokenizer {

    private final BytePairEncoding bpe;
    private final int maxLength;
    private final int bosId;
    private final int eosId;
    private final int padId;
    private volatile AddedVocabulary added;

    private ClipTokenizer(TokenizerFiles files) {
        this.bpe = new BytePairEncoding(files.vocab(), files.merges(), files.vocab().get(files.unk()));
        this.maxLength = files.maxLength();
        this.bosId = files.vocab().get(files.bos());
        this.eosId = files.vocab().get(files.eos());
        this.padId = files.vocab().get(files.pad());
        AddedVocabulary vocabulary = new AddedVocabulary();
        for (AddedToken token : files.addedTokens()) {
            vocabulary = vocabulary.with(token);
        }
        this.added = vocabulary;
    }

    /**
     * Loads a diffusers {@code tokenizer/} folder: {@code vocab.json}, {@code merges.txt} and,
     * when present, {@code tokenizer_config.json} and the added-token files (see
     * {@link TokenizerFiles}).
     */
    public static ClipTokenizer load(Path tokenizerDir) {
        return new ClipTokenizer(TokenizerFiles.read(tokenizerDir));
    }

    /**
     * Adds whole-word tokens, as HF's {@code tokenizer.add_tokens([...])} does: normalized (so
     * matched case-insensitively), not special. A new token gets the next id after the vocabulary
     * and the tokens added before it (the first gets 49,408 with CLIP's vocabulary); a token that
     * already exists keeps its id.
     *
     * @return the id of each token, in argument order
     */
    public synchronized int[] addTokens(String... tokens) {
        int[] ids = new int[tokens.length];
        AddedVocabulary vocabulary = added;
        for (int i = 0; i < tokens.length; i++) {
            String content = tokens[i];
            if (content == null || content.isBlank()) {
                throw new IllegalArgumentException("an added token must have visible text, got \"" + content + "\"");
            }
            AddedToken existing = vocabulary.get(content);
            if (existing != null) {
                ids[i] = existing.id();
                continue;
            }
            Integer inVocab = bpe.idOf(content);
            int id = inVocab != null ? inVocab : Math.max(bpe.vocabSize(), vocabulary.maxId() + 1);
            vocabulary = vocabulary.with(AddedToken.word(content, id));
            ids[i] = id;
        }
        added = vocabulary;
        return ids;
    }

    /**
     * The id of a token given exactly as stored: an added token's content ({@code "[I]"}) or a
     * vocabulary entry ({@code "lady</w>"}, {@code "<|endoftext|>"}).
     *
     * @throws IllegalArgumentException if there is no such token (HF would answer the unknown
     *                                  token's id; we refuse, so a typo cannot pass unnoticed)
     */
    public int idOf(String token) {
        AddedToken addedToken = added.get(token);
        if (addedToken != null) {
            return addedToken.id();
        }
        Integer id = bpe.idOf(token);
        if (id == null) {
            throw new IllegalArgumentException("\"" + token + "\" is neither an added token nor in the vocabulary;"
                    + " vocabulary words end in </w> (e.g. \"lady</w>\")");
        }
        return id;
    }

    /**
     * One token as text, as transformers 5's {@code tokenizer.decode([id])} gives it (the text
     * Prompt-to-Prompt's {@code get_word_inds} measures words with): a vocabulary token is
     * byte-decoded (a piece of a multi-byte character becomes U+FFFD, see
     * {@link ByteEncoder#decode}), its {@code </w>} becomes a space and surrounding white space
     * is stripped ({@code "lady</w>"} to {@code "lady"}); an added token gives its content, in
     * the cleaned (lowercased) form for normalized tokens, as HF stores them ({@code [I]} gives
     * {@code "[i]"}); {@code <|endoftext|>} gives itself.
     *
     * @throws IllegalArgumentException if no token has {@code id}
     */
    public String decodeToken(int id) {
        AddedToken addedToken = added.byId(id);
        if (addedToken != null) {
            return addedToken.normalized() ? ClipTextCleaner.clean(addedToken.content()) : addedToken.content();
        }
        String token = bpe.tokenOf(id);
        if (token == null) {
            throw new IllegalArgumentException("no token has id " + id + "; ids are 0.." + (vocabSize() - 1));
        }
        return stripWhitespace(ByteEncoder.decode(token).replace(BytePairEncoding.END_OF_WORD, " "));
    }

    /** Python's {@code str.strip()}: drops leading and trailing characters that {@code isspace()}. */
    private static String stripWhitespace(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && isPythonSpace(text.charAt(start))) {
            start++;
        }
        while (end > start && isPythonSpace(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(start, end);
    }

    private static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    /** Tokens the prompt encodes to, start and end tokens included; never throws for length. */
    public int tokenCount(String prompt) {
        return contentIds(prompt).length + 2;
    }

    /**
     * Encodes a prompt to {@link #maxLength()} ids: BOS, the prompt's tokens, EOS, then padding.
     *
     * @throws PromptTooLongException if BOS + tokens + EOS exceed {@link #maxLength()}
     */
    public TokenIds encode(String prompt) {
        int[] content = contentIds(prompt);
        int length = content.length + 2;
        if (length > maxLength) {
            throw new PromptTooLongException(length, maxLength);
        }
        int[] ids = new int[maxLength];
        Arrays.fill(ids, padId);
        ids[0] = bosId;
        System.arraycopy(content, 0, ids, 1, content.length);
        ids[length - 1] = eosId;
        return new TokenIds(ids, length - 1, length);
    }

    /**
     * The positions in {@link #encode encode(prompt)} of every occurrence of {@code word}.
     *
     * <p>How words map: {@code word} is tokenised like a prompt into pre-tokeniser pieces (a run
     * of letters, one digit, a run of punctuation, a contraction, or an added token); it occurs
     * wherever the prompt has the same pieces consecutively, so {@code "lady"} is found in
     * {@code "a lady."} and {@code "lady's"} but not in {@code "ladybird"}, and {@code "[I]"}
     * in {@code "a [I] lady"} and {@code "a[I]b"}. A word that BPE cuts into several tokens
     * covers all of them. Positions count from BOS = 0, so the first word is at 1; all
     * occurrences are returned in ascending order (Prompt-to-Prompt's {@code get_word_inds}
     * also returns every occurrence).
     *
     * @throws IllegalArgumentException if {@code word} has no tokens or does not occur
     * @throws PromptTooLongException   if the prompt does not fit
     */
    public int[] positionsOf(String prompt, String word) {
        encode(prompt); // rejects prompts that do not fit
        List<int[]> promptPieces = pieces(prompt);
        List<int[]> wordPieces = pieces(word);
        if (wordPieces.isEmpty()) {
            throw new IllegalArgumentException("word \"" + word + "\" has no tokens");
        }
        List<Integer> positions = new ArrayList<>();
        int position = 1; // after BOS
        for (int start = 0; start < promptPieces.size(); start++) {
            if (occursAt(promptPieces, start, wordPieces)) {
                int covered = wordPieces.stream().mapToInt(p -> p.length).sum();
                for (int k = 0; k < covered; k++) {
                    positions.add(position + k);
                }
            }
            position += promptPieces.get(start).length;
        }
        if (positions.isEmpty()) {
            throw new IllegalArgumentException("word \"" + word + "\" does not occur in prompt \"" + prompt + "\"");
        }
        return positions.stream().distinct().mapToInt(Integer::intValue).toArray();
    }

    /** Ids per encoded prompt, BOS and EOS included (77 for SD v1). */
    public int maxLength() {
        return maxLength;
    }

    /** Vocabulary size including added tokens (49,408 for CLIP before any token is added). */
    public int vocabSize() {
        return Math.max(bpe.vocabSize(), added.maxId() + 1);
    }

    /** Start-of-text id (49406). */
    public int bosId() {
        return bosId;
    }

    /** End-of-text id (49407). */
    public int eosId() {
        return eosId;
    }

    /** Padding id (49407, the end-of-text token, in SD v1). */
    public int padId() {
        return padId;
    }

    private int[] contentIds(String prompt) {
        return pieces(prompt).stream().flatMapToInt(Arrays::stream).toArray();
    }

    /** The prompt's pieces in order, each as its token ids (steps 1-4 of the class comment). */
    private List<int[]> pieces(String prompt) {
        AddedVocabulary vocabulary = added;
        List<int[]> pieces = new ArrayList<>();
        for (AddedVocabulary.Segment raw : vocabulary.splitRaw(prompt)) {
            if (raw.isToken()) {
                pieces.add(new int[] {raw.token().id()});
                continue;
            }
            for (AddedVocabulary.Segment cleaned : vocabulary.splitCleaned(ClipTextCleaner.clean(raw.text()))) {
                if (cleaned.isToken()) {
                    pieces.add(new int[] {cleaned.token().id()});
                    continue;
                }
                for (String piece : ClipPreTokenizer.split(cleaned.text())) {
                    pieces.add(bpe.encode(ByteEncoder.encode(piece)));
                }
            }
        }
        return pieces;
    }

    private static boolean occursAt(List<int[]> pieces, int start, List<int[]> wanted) {
        if (start + wanted.size() > pieces.size()) {
            return false;
        }
        for (int k = 0; k < wanted.size(); k++) {
            if (!Arrays.equals(pieces.get(start + k), wanted.get(k))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "ClipTokenizer[vocabSize=" + vocabSize() + ", maxLength=" + maxLength + "]";
    }
}
