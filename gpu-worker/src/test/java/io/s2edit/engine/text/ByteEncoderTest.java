package io.s2edit.engine.text;

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
}
