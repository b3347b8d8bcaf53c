package io.s2edit.engine.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes tensors as a safetensors file: F32 as is, or F16 when asked ({@link Precision#F16}),
 * INT64 as I64. The file appears atomically (written to a sibling temp file, then moved).
 */
public final class SafeTensorsWriter {

    /** Storage precision for floating-point tensors. */
    public enum Precision { F32, F16 }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, NDArray> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private Precision precision = Precision.F32;

    public SafeTensorsWriter precision(Precision precision) {
        this.precision = precision;
        return this;
    }

    public SafeTensorsWriter put(String name, NDArray tensor) {
        if (tensors.putIfAbsent(name, tensor) != null) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        return this;
    }

    public SafeTensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Serialises into bytes (header + data). */
    public byte[] toBytes() {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        Map<String, byte[]> data = new LinkedHashMap<>();
        long offset = 0;
        for (Map.Entry<String, NDArray> entry : tensors.entrySet()) {
            NDArray array = entry.getValue();
            String dtype;
            byte[] bytes;
            if (array.getDataType() == DataType.INT64) {
                dtype = "I64";
                bytes = littleEndian(array.toLongArray());
            } else if (precision == Precision.F16) {
                dtype = "F16";
                bytes = halfLittleEndian(array.toType(DataType.FLOAT32, false).toFloatArray());
            } else {
                dtype = "F32";
                bytes = littleEndian(array.toType(DataType.FLOAT32, false).toFloatArray());
            }
            ObjectNode node = header.putObject(entry.getKey());
            node.put("dtype", dtype);
            ArrayNode shape = node.putArray("shape");
            for (long d : array.getShape().getShape()) {
                shape.add(d);
            }
            node.putArray("data_offsets").add(offset).add(offset + bytes.length);
            offset += bytes.length;
            data.put(entry.getKey(), bytes);
        }
        byte[] headerBytes = padded(header.toString().getBytes(StandardCharsets.UTF_8));
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(8 + headerBytes.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(headerBytes.length).put(headerBytes);
        data.values().forEach(out::put);
        return out.array();
    }

    /** Writes the file atomically. */
    public void write(Path path) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, path.getFileName().toString(), ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp)) {
            os.write(toBytes());
        }
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The header is padded with spaces to a multiple of 8 bytes, as the reference writer does. */
    private static byte[] padded(byte[] header) {
        int length = (header.length + 7) / 8 * 8;
        byte[] out = new byte[length];
        java.util.Arrays.fill(out, (byte) ' ');
        System.arraycopy(header, 0, out, 0, header.length);
        return out;
    }

    private static byte[] littleEndian(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    private static byte[] littleEndian(long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return b.array();
    }

    private static byte[] halfLittleEndian(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putShort(Half.fromFloat(v));
        }
        return b.array();
    }
}
