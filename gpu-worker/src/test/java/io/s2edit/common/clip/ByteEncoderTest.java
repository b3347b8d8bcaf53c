package io.s2edit.common.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteEncoderTest {

    @Test
    void tableMapsAll256BytesToDistinctCharacters() {
        Set<Character> chars = new HashSet<>();
        for (int b = 0; b < ByteEncoder.TABLE_SIZE; b++) {
            chars.add(ByteEncoder.charOf(b));
        }
        assertEquals(256, chars.size());
    }

    @Test
    void printableBytesKeepTheirCharacterAndTheOthersCountUpFrom256() {
        assertEquals('!', ByteEncoder.charOf('!'));
        assertEquals('ÿ', ByteEncoder.charOf(0xFF));
        assertEquals('\u0100', ByteEncoder.charOf(0x00)); // first non-printable byte
        assertEquals('\u0120', ByteEncoder.charOf(' ')); // GPT-2's familiar "Ġ"
        assertEquals('\u0143', ByteEncoder.charOf(0xAD)); // soft hyphen, the 68th and last
    }

    @Test
    void encodesUtf8BytesOfText() {
        assertEquals("cafÃ©", ByteEncoder.encode("café")); // é = C3 A9
        assertEquals("ðŁĲ±", ByteEncoder.encode("🐱")); // F0 9F 90 B1
    }

    @Test
    void rejectsValuesOutsideAByte() {
        assertThrows(IllegalArgumentException.class, () -> ByteEncoder.charOf(256));
    }

    @Test
    void decodeInvertsEncode() {
        for (String text : new String[] {"lady", "café", "🐱 and 日本", "a\u0000b"}) {
            assertEquals(text, ByteEncoder.decode(ByteEncoder.encode(text)));
        }
    }

    @Test
    void decodeReplacesEachMaximalIllFormedPieceOnce() {
        // Expected strings are Python's bytes.decode("utf-8", "replace"), the same rule as Rust's from_utf8_lossy.
        String fffd = "\uFFFD";
        assertEquals("日", ByteEncoder.decode("æĹ¥")); // E6 97 A5
        assertEquals(fffd, ByteEncoder.decode("æĹ")); // E6 97: the first two bytes of 日, one replacement
        assertEquals(fffd, ByteEncoder.decode("¥")); // A5: a lone continuation byte
        assertEquals(fffd, ByteEncoder.decode("ðŁĲ")); // F0 9F 90: a cut 4-byte character
        assertEquals(fffd + fffd, ByteEncoder.decode("àĢ")); // E0 80: 80 cannot follow E0, two pieces
        assertEquals(fffd + fffd + fffd, ByteEncoder.decode("íłĢ")); // ED A0 80: a surrogate, three pieces
        assertEquals(fffd + "(", ByteEncoder.decode("Ã(")); // C3 28
        assertEquals(fffd + "a", ByteEncoder.decode("õa")); // F5 never starts a character
    }

    @Test
    void decodeKeepsCharactersOutsideTheTable() {
        assertEquals("lady</w>", ByteEncoder.decode("lady</w>")); // '<' '/' 'w' '>' are table characters
        assertEquals("[i]\u4E00", ByteEncoder.decode("[i]\u4E00")); // U+4E00 is not in the table: passes through
    }
}
