package io.s2edit.engine.text;

import java.nio.charset.StandardCharsets;

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
