package io.s2edit.engine.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped safetensors file.
 *
 * <p>Layout: an 8-byte little-endian header length, a JSON header {@code {name: {dtype, shape,
 * data_offsets: [begin, end]}, "__metadata__": {...}}} whose offsets count from the end of the
 * header, then the raw tensor bytes. Each tensor is mapped on its own (so files over 2 GiB work:
 * only a single tensor must stay under 2 GiB) and copied into an owned fp32 array on load. BF16
 * is widened to fp32 here in Java, because DJL's bf16 path aborts the JVM; F16 is widened the
 * same way so CPU inference never runs in half precision.
 */
public final class SafeTensors implements AutoCloseable {

    /** One tensor's entry in the header. */
    public record TensorInfo(String name, String dtype, Shape shape, long begin, long end) {
        long byteLength() {
            return end - begin;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Path path, FileChannel channel, long dataStart,
            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and indexes {@code path}; the file stays open until {@link #close()}. */
    public static SafeTensors open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > 100_000_000L || 8 + headerLength > channel.size()) {
                throw new IOException(path + " is not a safetensors file (header length " + headerLength + ")");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            JsonNode root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
            long dataStart = 8 + headerLength;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (field.getKey().equals("__metadata__")) {
                    field.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                tensors.put(field.getKey(), parseEntry(path, field.getKey(), field.getValue(), channel.size() - dataStart));
            }
            return new SafeTensors(path, channel, dataStart,
                    Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode node, long dataLength) throws IOException {
        String dtype = node.path("dtype").asText();
        JsonNode shapeNode = node.path("shape");
        long[] dims = new long[shapeNode.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = shapeNode.get(i).asLong();
        }
        long begin = node.path("data_offsets").path(0).asLong();
        long end = node.path("data_offsets").path(1).asLong();
        Shape shape = new Shape(dims);
        long expected = shape.size() * bytesPerElement(dtype, name);
        if (end - begin != expected || begin < 0 || end > dataLength) {
            throw new IOException(path + ": tensor '" + name + "' " + dtype + shape + " spans bytes ["
                    + begin + ", " + end + ") but needs " + expected + " bytes within " + dataLength);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static int bytesPerElement(String dtype, String name) {
        return switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            case "U8", "I8", "BOOL" -> 1;
            default -> throw new IllegalArgumentException("tensor '" + name + "' has unsupported dtype " + dtype
                    + "; supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL");
        };
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        while (into.hasRemaining()) {
            int n = channel.read(into, position + into.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    public Path path() {
        return path;
    }

    /** Tensor names in file order. */
    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new IllegalArgumentException(path + " has no tensor '" + name + "'");
        }
        return info;
    }

    /** The {@code __metadata__} block (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Loads a tensor as an array owned by {@code manager}: floating types become FLOAT32, integer
     * types INT64 (I32/I16/I8/U8) or stay INT64, BOOL becomes BOOLEAN.
     */
    public NDArray load(String name, NDManager manager) {
        TensorInfo info = info(name);
        ByteBuffer raw = map(info);
        Shape shape = info.shape();
        int n = Math.toIntExact(shape.size());
        switch (info.dtype()) {
            case "F32":
                return ownedCopy(manager, raw, shape, DataType.FLOAT32);
            case "F16": {
                float[] out = new float[n];
                for (int i = 0; i < n; i++) {
                    out[i] = Half.toFloat(raw.getShort(2 * i));
                }
                return manager.create(out, shape);
            }
            case "BF16": {
                float[] out = new float[n];
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((raw.getShort(2 * i) & 0xFFFF) << 16);
                }
                return manager.create(out, shape);
            }
            case "F64": {
                float[] out = new float[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (float) raw.getDouble(8 * i);
                }
                return manager.create(out, shape);
            }
            case "I64":
                return ownedCopy(manager, raw, shape, DataType.INT64);
            case "I32", "I16", "I8", "U8": {
                long[] out = new long[n];
                int width = bytesPerElement(info.dtype(), name);
                for (int i = 0; i < n; i++) {
                    out[i] = switch (width) {
                        case 4 -> raw.getInt(4 * i);
                        case 2 -> raw.getShort(2 * i);
                        default -> info.dtype().equals("U8") ? raw.get(i) & 0xFF : raw.get(i);
                    };
                }
                return manager.create(out, shape);
            }
            case "BOOL": {
                boolean[] out = new boolean[n];
                for (int i = 0; i < n; i++) {
                    out[i] = raw.get(i) != 0;
                }
                return manager.create(out, shape);
            }
            default:
                throw new IllegalStateException("unreachable dtype " + info.dtype());
        }
    }

    /** The array made over the mapping may share its memory; the duplicate owns its own. */
    private static NDArray ownedCopy(NDManager manager, ByteBuffer raw, Shape shape, DataType type) {
        try (NDArray view = manager.create(raw, shape, type)) {
            return view.duplicate();
        }
    }

    /**
     * Maps one tensor's bytes. {@code manager.create(buffer, ...)} copies, so the mapping is never
     * written through (writing into a read-only mapping segfaults the JVM).
     */
    private ByteBuffer map(TensorInfo info) {
        try {
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), info.byteLength());
            return mapped.slice().order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map tensor '" + info.name() + "' of " + path, e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
