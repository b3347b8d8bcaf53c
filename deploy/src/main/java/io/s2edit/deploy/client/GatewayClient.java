package io.s2edit.deploy.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;

/**
 * The gateway's REST API as the command line uses it: submit a chain (multipart), read a job,
 * follow its Server-Sent Events, download outputs. Errors carry the problem details' text.
 */
public final class GatewayClient {

    /** A multipart part: a text field or a file. */
    public record Part(String name, String text, Path file, String contentType) {
        public static Part text(String name, String value) {
            return new Part(name, value, null, null);
        }

        public static Part file(String name, Path file, String contentType) {
            return new Part(name, null, file, contentType);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    public GatewayClient(URI server) {
        String s = server.toString();
        this.server = URI.create(s.endsWith("/") ? s : s + "/");
    }

    /** {@code POST path} with a multipart body; the 2xx answer as JSON. */
    public JsonNode postMultipart(String path, Iterable<Part> parts, String idempotencyKey) throws IOException, InterruptedException {
        String boundary = "s2edit-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Part p : parts) {
            body.write(("--" + boundary + "\r\n").getBytes(StandardCharsets.UTF_8));
            if (p.file() == null) {
                body.write(("Content-Disposition: form-data; name=\"" + p.name() + "\"\r\n"
                        + "Content-Type: text/plain; charset=UTF-8\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                body.write(p.text().getBytes(StandardCharsets.UTF_8));
            } else {
                body.write(("Content-Disposition: form-data; name=\"" + p.name() + "\"; filename=\""
                        + p.file().getFileName().toString().replace("\"", "") + "\"\r\n"
                        + "Content-Type: " + p.contentType() + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                body.write(Files.readAllBytes(p.file()));
            }
            body.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder req = HttpRequest.newBuilder(resolve(path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        if (idempotencyKey != null) {
            req.header("Idempotency-Key", idempotencyKey);
        }
        return json(send(req.build()));
    }

    public JsonNode job(String id) throws IOException, InterruptedException {
        return json(send(HttpRequest.newBuilder(resolve("v1/jobs/" + id)).timeout(Duration.ofSeconds(30)).GET().build()));
    }

    /**
     * Follows {@code GET /v1/jobs/{id}/events} until the stream ends (after the terminal status);
     * each event goes to {@code onEvent(name, data)}. Returns the job as last read.
     */
    public JsonNode follow(String id, BiConsumer<String, JsonNode> onEvent) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(resolve("v1/jobs/" + id + "/events"))
                .header("Accept", "text/event-stream").GET().build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() / 100 != 2) {
            throw failure(r.statusCode(), new String(r.body().readAllBytes(), StandardCharsets.UTF_8), req.uri());
        }
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String event = "message";
            StringBuilder data = new StringBuilder();
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        onEvent.accept(event, JSON.readTree(data.toString()));
                    }
                    event = "message";
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    if (data.length() > 0) {
                        data.append('\n');
                    }
                    data.append(line.substring(5).stripLeading());
                }
            }
            if (data.length() > 0) {
                onEvent.accept(event, JSON.readTree(data.toString()));
            }
        }
        return job(id);
    }

    /** Downloads output {@code name} of job {@code id} to {@code target}. */
    public void download(String id, String name, Path target) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(resolve("v1/jobs/" + id + "/outputs/" + name)).timeout(Duration.ofMinutes(5))
                .GET().build();
        Path part = target.resolveSibling(target.getFileName() + ".part");
        HttpResponse<Path> r = http.send(req, HttpResponse.BodyHandlers.ofFile(part));
        if (r.statusCode() / 100 != 2) {
            String text = Files.readString(part);
            Files.deleteIfExists(part);
            throw failure(r.statusCode(), text, req.uri());
        }
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
    }

    private URI resolve(String path) {
        return server.resolve(path);
    }

    private HttpResponse<String> send(HttpRequest req) throws IOException, InterruptedException {
        HttpResponse<String> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot connect to " + server + " (is ./s2edit up running?)", e);
        }
        if (r.statusCode() / 100 != 2) {
            throw failure(r.statusCode(), r.body(), req.uri());
        }
        return r;
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    /** An error answer: the problem's detail (and field) when it is problem+json. */
    private static IOException failure(int status, String body, URI uri) {
        try {
            JsonNode p = JSON.readTree(body);
            if (p != null && p.hasNonNull("detail")) {
                return new IOException("the server refused " + uri.getPath() + " (" + status + " "
                        + p.path("title").asText("") + "): " + p.get("detail").asText()
                        + (p.hasNonNull("field") ? " [field " + p.get("field").asText() + "]" : ""));
            }
        } catch (IOException notJson) {
            // fall through
        }
        return new IOException("the server answered " + status + " to " + uri.getPath() + ": " + body);
    }

    /** JSON text of a map (for the JSON-valued form fields). */
    public static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public static Map<String, Object> map() {
        return new LinkedHashMap<>();
    }
}
