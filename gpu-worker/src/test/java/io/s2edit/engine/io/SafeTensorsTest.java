package io.s2edit.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsF32AndI64WithMetadata() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {1.5f, -2f, 3.25f, 0f, 1e-8f, 65504f}, new Shape(2, 3));
            NDArray ids = m.create(new long[] {49406, 49408, 49407});
            Path file = dir.resolve("t.safetensors");
            new SafeTensorsWriter().put("a", a).put("ids", ids).metadata("base_model", "tiny").write(file);
            try (SafeTensors st = SafeTensors.open(file)) {
                assertEquals(java.util.List.of("a", "ids"), st.names());
                assertEquals("tiny", st.metadata().get("base_model"));
                assertArrayEquals(a.toFloatArray(), st.load("a", m).toFloatArray());
                assertEquals(new Shape(2, 3), st.load("a", m).getShape());
                assertArrayEquals(ids.toLongArray(), st.load("ids", m).toLongArray());
            }
        }
    }

    @Test
    void f16StorageIsWithinHalfPrecision() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] values = {0f, -0f, 1f, -1.00048828125f, 0.1f, 3.14159f, 65504f, 6e-8f, 1e-5f, -1234.5f};
            Path file = dir.resolve("h.safetensors");
            new SafeTensorsWriter().precision(SafeTensorsWriter.Precision.F16).put("x", m.create(values)).write(file);
            try (SafeTensors st = SafeTensors.open(file)) {
                assertEquals("F16", st.info("x").dtype());
                float[] back = st.load("x", m).toFloatArray();
                for (int i = 0; i < values.length; i++) {
                    float tolerance = Math.max(Math.abs(values[i]) * 0x1p-11f, 0x1p-25f);
                    assertEquals(values[i], back[i], tolerance, "value " + values[i]);
                }
            }
        }
    }

    @Test
    void halfConversionIsExactOnEveryHalfValue() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            float f = Half.toFloat(h);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(f))));
            } else {
                assertEquals(h, Half.fromFloat(f), "half bits 0x" + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void readsBf16ByWideningInJava() throws IOException {
        // bf16 of 1.0 = 0x3F80, -2.5 = 0xC020, 0.15625 = 0x3E20
        Path file = rawFile("{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,6]}}",
                new short[] {0x3F80, (short) 0xC020, 0x3E20});
        try (SafeTensors st = SafeTensors.open(file); NDManager m = NDManager.newBaseManager()) {
            assertArrayEquals(new float[] {1f, -2.5f, 0.15625f}, st.load("w", m).toFloatArray());
        }
    }

    @Test
    void rejectsOffsetsThatDoNotMatchTheShape() throws IOException {
        Path file = rawFile("{\"w\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,6]}}", new short[] {1, 2, 3});
        IOException e = assertThrows(IOException.class, () -> SafeTensors.open(file));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("needs 8 bytes"), e.getMessage());
    }

    @Test
    void rejectsUnknownDtypesByName() throws IOException {
        Path file = rawFile("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", new short[] {1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.open(file));
        assertTrue(e.getMessage().contains("F8_E4M3"), e.getMessage());
    }

    private Path rawFile(String header, short[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 2 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (short s : data) {
            b.putShort(s);
        }
        Path file = Files.createTempFile(dir, "raw", ".safetensors");
        Files.write(file, b.array());
        return file;
    }
}
