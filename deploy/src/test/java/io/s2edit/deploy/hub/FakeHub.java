package io.s2edit.deploy.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * A local stand-in for the Hugging Face hub, answering as huggingface.co does: the revision API
 * ({@code sha}, {@code siblings}), {@code /resolve/} with the file itself and its git blob id as
 * ETag for small files, and for LFS files (*.safetensors) a 302 to a CDN on another host with
 * {@code X-Linked-Etag} (SHA-256) and {@code X-Linked-Size}. The CDN serves byte ranges.
 */
final class FakeHub implements AutoCloseable {

    record Request(String server, String method, String path, String authorization, String range) {
    }

    static final String REPO = "org/tiny";
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    final Map<String, byte[]> files = new LinkedHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();
    volatile String requiredToken;
    private final HttpServer hub;
    private final HttpServer cdn;

    FakeHub(Path checkpoint) throws IOException {
        try (Stream<Path> s = Files.walk(checkpoint)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                files.put(checkpoint.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        // what a real SD repository also holds, which the engine does not read
        files.put("README.md", "# tiny".getBytes());
        files.put("v1-5-pruned.ckpt", new byte[100]);
        files.put("unet/diffusion_pytorch_model.bin", new byte[100]);
        files.put("unet/diffusion_pytorch_model.fp16.safetensors", new byte[100]);
        files.put("safety_checker/config.json", "{}".getBytes());
        hub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.start();
        cdn.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    List<Request> on(String server) {
        return requests.stream().filter(r -> r.server().equals(server)).toList();
    }

    private void record(String server, HttpExchange ex) {
        requests.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getPath(),
                ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Range")));
    }

    private void hub(HttpExchange ex) throws IOException {
        record("hub", ex);
        if (requiredToken != null && !("Bearer " + requiredToken).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            send(ex, 401, "{\"error\":\"Invalid credentials\"}".getBytes());
            return;
        }
        String path = ex.getRequestURI().getPath();
        if (path.equals("/api/models/" + REPO + "/revision/main")) {
            List<Map<String, String>> siblings = files.keySet().stream().map(f -> Map.of("rfilename", f)).toList();
            send(ex, 200, new ObjectMapper().writeValueAsBytes(Map.of("id", REPO, "sha", COMMIT, "siblings", siblings)));
            return;
        }
        String prefix = "/" + REPO + "/resolve/" + COMMIT + "/";
        byte[] content = path.startsWith(prefix) ? files.get(path.substring(prefix.length())) : null;
        if (content == null) {
            send(ex, 404, "{\"error\":\"Entry not found\"}".getBytes());
            return;
        }
        ex.getResponseHeaders().add("X-Repo-Commit", COMMIT);
        if (path.endsWith(".safetensors")) {
            String sha = sha256(content);
            ex.getResponseHeaders().add("X-Linked-Etag", "\"" + sha + "\"");
            ex.getResponseHeaders().add("X-Linked-Size", Integer.toString(content.length));
            ex.getResponseHeaders().add("ETag", "\"pointer-file-etag\"");
            ex.getResponseHeaders().add("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/blobs/" + sha
                    + "?X-Amz-Signature=abc");
            ex.sendResponseHeaders(302, -1);
            ex.close();
            return;
        }
        ex.getResponseHeaders().add("ETag", "\"" + gitBlobId(content) + "\"");
        send(ex, 200, content);
    }

    private void cdn(HttpExchange ex) throws IOException {
        record("cdn", ex);
        String sha = ex.getRequestURI().getPath().substring("/blobs/".length());
        byte[] content = files.values().stream().filter(c -> sha256(c).equals(sha)).findFirst().orElse(null);
        if (content == null) {
            send(ex, 404, new byte[0]);
            return;
        }
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            int from = Integer.parseInt(range.substring(6, range.length() - 1));
            byte[] rest = java.util.Arrays.copyOfRange(content, from, content.length);
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
            send(ex, 206, rest);
            return;
        }
        send(ex, 200, content);
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (head) {
            ex.getResponseHeaders().add("Content-Length", Integer.toString(body.length));
        }
        ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        }
        ex.close();
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String gitBlobId(byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            md.update(("blob " + b.length + "\0").getBytes());
            return HexFormat.of().formatHex(md.digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }
}
