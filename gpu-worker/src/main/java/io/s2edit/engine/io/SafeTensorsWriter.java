package io.s2edit.engine.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes tensors as a safetensors file: F32 as is, or F16 when asked ({@link Precision#F16}),
 * INT64 as I64. The file appears atomically (written to a sibling temp file, then moved).
 *
 * <p>{@link #write} streams: the header is computed from the declared shapes, then each tensor is
 * converted and written in turn, so files larger than 2 GiB (an fp32 UNet) work and a tensor
 * given lazily ({@link #put(String, Shape, Supplier)}) is computed only when its bytes are due
 * and closed right after.
 */
public final class SafeTensorsWriter {

    /** Storage precision for floating-point tensors. */
    public enum Precision { F32, F16 }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A tensor to write: an array given now, or a floating-point one computed when written (then closed). */
    private record Entry(Shape shape, boolean integer, Supplier<NDArray> source, boolean closeAfterWrite) {
    }

    private final Map<String, Entry> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private Precision precision = Precision.F32;

    public SafeTensorsWriter precision(Precision precision) {
        this.precision = precision;
        return this;
    }

    public SafeTensorsWriter put(String name, NDArray tensor) {
        return add(name, new Entry(tensor.getShape(), tensor.getDataType() == DataType.INT64, () -> tensor, false));
    }

    /**
     * Adds a floating-point tensor of {@code shape} computed by {@code tensor} when the file is
     * written; the writer closes the array it returns.
     */
    public SafeTensorsWriter put(String name, Shape shape, Supplier<NDArray> tensor) {
        return add(name, new Entry(shape, false, tensor, true));
    }

    private SafeTensorsWriter add(String name, Entry entry) {
        if (tensors.putIfAbsent(name, entry) != null) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        return this;
    }

    public SafeTensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Serialises into bytes (header + data); for files under 2 GiB. */
    public byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Writes the file atomically, one tensor at a time. */
    public void write(Path path) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, path.getFileName().toString(), ".tmp");
        try {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                writeTo(os);
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void writeTo(OutputStream out) throws IOException {
        byte[] header = padded(header().toString().getBytes(StandardCharsets.UTF_8));
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
        out.write(header);
        for (Map.Entry<String, Entry> item : tensors.entrySet()) {
            Entry entry = item.getValue();
            NDArray array = entry.source().get();
            try {
                if (!array.getShape().equals(entry.shape())) {
                    throw new IllegalStateException("tensor '" + item.getKey() + "' was declared " + entry.shape() + " but is "
                            + array.getShape());
                }
                out.write(bytes(array, entry.integer()));
            } finally {
                if (entry.closeAfterWrite()) {
                    array.close();
                }
            }
        }
    }

    private ObjectNode header() {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> item : tensors.entrySet()) {
            Entry entry = item.getValue();
            String dtype = entry.integer() ? "I64" : precision == Precision.F16 ? "F16" : "F32";
            long length = entry.shape().size() * (entry.integer() ? 8 : precision == Precision.F16 ? 2 : 4);
            ObjectNode node = header.putObject(item.getKey());
            node.put("dtype", dtype);
            ArrayNode shape = node.putArray("shape");
            for (long d : entry.shape().getShape()) {
                shape.add(d);
            }
            node.putArray("data_offsets").add(offset).add(offset + length);
            offset += length;
        }
        return header;
    }

    private byte[] bytes(NDArray array, boolean integer) {
        if (integer) {
            return littleEndian(array.toLongArray());
        }
        float[] values = array.toType(DataType.FLOAT32, false).toFloatArray();
        return precision == Precision.F16 ? halfLittleEndian(values) : littleEndian(values);
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
