package io.s2edit.common.clip;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The reversible byte-to-character table of byte-level BPE ({@code bytes_to_unicode} in OpenAI
 * CLIP's {@code simple_tokenizer.py} and GPT-2's {@code encoder.py}; the {@code ByteLevel}
 * pre-tokenizer of HF {@code tokenizers}).
 *
 * <p>Every byte value 0..255 maps to one printable character: the printable Latin-1 bytes
 * ({@code !}..{@code ~}, {@code ¡}..{@code ¬}, {@code ®}..{@code ÿ}) map to themselves and the
 * remaining 68 bytes (controls, space, soft hyphen, ...) map, in byte order, to U+0100, U+0101,
 * ... . A piece of text is encoded as the characters of its UTF-8 bytes, so the BPE vocabulary
 * never needs an unknown token for any input.
 */
final class ByteEncoder {

    /** Number of byte values, and so of entries in the table. */
    static final int TABLE_SIZE = 256;

    private static final char[] BYTE_TO_CHAR = buildTable();
    private static final int[] CHAR_TO_BYTE = invert(BYTE_TO_CHAR);

    /** What a malformed UTF-8 sequence decodes to. */
    static final int REPLACEMENT = 0xFFFD;

    private ByteEncoder() {
    }

    /** The character that stands for byte {@code b} (0..255). */
    static char charOf(int b) {
        if (b < 0 || b >= TABLE_SIZE) {
            throw new IllegalArgumentException("a byte value is 0..255, got " + b);
        }
        return BYTE_TO_CHAR[b];
    }

    /** Encodes {@code text} as UTF-8 and replaces every byte by its table character. */
    static String encode(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        }
        return new String(out);
    }

    /**
     * The inverse of {@link #encode}, lossy like HF {@code tokenizers}' {@code ByteLevel} decoder:
     * table characters become bytes and the bytes are read as UTF-8, each maximal ill-formed
     * subsequence becoming one U+FFFD (Rust's {@code String::from_utf8_lossy}; a token holding
     * the first two bytes of a three-byte character decodes to one U+FFFD, a lone continuation
     * byte to one). Characters outside the table pass through unchanged.
     */
    static String decode(String symbols) {
        StringBuilder out = new StringBuilder(symbols.length());
        byte[] pending = new byte[symbols.length()];
        int count = 0;
        for (int i = 0; i < symbols.length(); i++) {
            char c = symbols.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b >= 0) {
                pending[count++] = (byte) b;
                continue;
            }
            appendUtf8Lossy(out, pending, count);
            count = 0;
            out.append(c);
        }
        appendUtf8Lossy(out, pending, count);
        return out.toString();
    }

    /** Decodes {@code bytes[0, length)} as UTF-8, one U+FFFD per maximal ill-formed subsequence. */
    static void appendUtf8Lossy(StringBuilder out, byte[] bytes, int length) {
        int i = 0;
        while (i < length) {
            int lead = bytes[i] & 0xFF;
            if (lead < 0x80) {
                out.append((char) lead);
                i++;
                continue;
            }
            // 1. Sequence length and the range allowed for the second byte (Unicode Table 3-7).
            int size;
            int low = 0x80;
            int high = 0xBF;
            if (lead >= 0xC2 && lead <= 0xDF) {
                size = 2;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                size = 3;
                low = lead == 0xE0 ? 0xA0 : 0x80;
                high = lead == 0xED ? 0x9F : 0xBF;
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                size = 4;
                low = lead == 0xF0 ? 0x90 : 0x80;
                high = lead == 0xF4 ? 0x8F : 0xBF;
            } else {
                out.appendCodePoint(REPLACEMENT); // 0x80..0xC1, 0xF5..0xFF never start a character
                i++;
                continue;
            }
            // 2. Take continuation bytes while they fit; a short sequence is one replacement.
            int codePoint = lead & (0xFF >> (size + 1));
            int taken = 1;
            while (taken < size && i + taken < length) {
                int next = bytes[i + taken] & 0xFF;
                boolean fits = taken == 1 ? next >= low && next <= high : next >= 0x80 && next <= 0xBF;
                if (!fits) {
                    break;
                }
                codePoint = (codePoint << 6) | (next & 0x3F);
                taken++;
            }
            out.appendCodePoint(taken == size ? codePoint : REPLACEMENT);
            i += taken;
        }
    }

    private static int[] invert(char[] table) {
        int max = 0;
        for (char c : table) {
            max = Math.max(max, c);
        }
        int[] inverse = new int[max + 1];
        Arrays.fill(inverse, -1);
        for (int b = 0; b < table.length; b++) {
            inverse[table[b]] = b;
        }
        return inverse;
    }

    private static char[] buildTable() {
        char[] table = new char[TABLE_SIZE];
        boolean[] printable = new boolean[TABLE_SIZE];
        markRange(printable, '!', '~');
        markRange(printable, '\u00A1', '\u00AC');
        markRange(printable, '\u00AE', '\u00FF');
        int next = TABLE_SIZE; // 1. printable bytes keep their code point; 2. the rest get 256, 257, ...
        for (int b = 0; b < TABLE_SIZE; b++) {
            table[b] = printable[b] ? (char) b : (char) next++;
        }
        return table;
    }

    private static void markRange(boolean[] printable, char first, char last) {
        for (int c = first; c <= last; c++) {
            printable[c] = true;
        }
    }
}
