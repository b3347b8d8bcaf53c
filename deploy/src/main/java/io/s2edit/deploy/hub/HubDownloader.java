package io.s2edit.deploy.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Downloads a Stable Diffusion checkpoint from the Hugging Face hub into the standard cache layout
 * that huggingface_hub and diffusers share, so either side reuses what the other fetched:
 *
 * <pre>
 * {cache}/models--{org}--{name}/blobs/{etag}                     file contents (sha256 for LFS files)
 * {cache}/models--{org}--{name}/snapshots/{commit}/{path}      relative symlinks into blobs/
 * {cache}/models--{org}--{name}/refs/{revision}                the commit the revision points at
 * </pre>
 *
 * <p>Only what the engine reads is fetched: {@code model_index.json} and the {@code unet},
 * {@code vae}, {@code text_encoder}, {@code tokenizer} and {@code scheduler} folders, without
 * PyTorch/Flax/ONNX weights nor fp16/EMA variants (safetensors only). Hub protocol:
 * {@code GET /api/models/{id}/revision/{rev}} lists the files ({@code siblings}) and the commit
 * ({@code sha}); {@code /{id}/resolve/{commit}/{path}} answers with the file or a redirect to a
 * CDN, with {@code X-Linked-Etag}/{@code ETag} and {@code X-Linked-Size}. An interrupted download
 * resumes from its {@code .incomplete} blob with a {@code Range} request; {@code HF_TOKEN} is sent
 * as a bearer token to the hub only, never to the CDN a redirect points at.
 *
 * <p>Environment: {@code HF_ENDPOINT} (default https://huggingface.co), {@code HF_TOKEN},
 * {@code HF_HUB_CACHE} or {@code HF_HOME} (default {@code ~/.cache/huggingface}, then
 * {@code hub/}), {@code HF_HUB_OFFLINE=1} (cache only).
 */
public final class HubDownloader {

    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Set<String> COMPONENTS = Set.of("unet", "vae", "text_encoder", "tokenizer", "scheduler");
    private static final List<String> SKIPPED_SUFFIXES = List.of(".bin", ".ckpt", ".pt", ".pth", ".msgpack", ".onnx",
            ".onnx_data", ".pb", ".h5", ".ot", ".md", ".gitattributes");
    private static final Pattern VARIANT = Pattern.compile(".*\\.(fp16|non_ema|ema|fp32)\\.[^/]*$");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI endpoint;
    private final String token;
    private final Path cache;
    private final boolean offline;
    private final PrintStream log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    public HubDownloader(URI endpoint, String token, Path cache, boolean offline, PrintStream log) {
        String e = endpoint.toString();
        this.endpoint = URI.create(e.endsWith("/") ? e : e + "/");
        this.token = token == null || token.isBlank() ? null : token.trim();
        this.cache = cache;
        this.offline = offline;
        this.log = log;
    }

    /** Configured as huggingface_hub is, from the environment. */
    public static HubDownloader fromEnvironment(PrintStream log) {
        Map<String, String> env = System.getenv();
        Path home = env.containsKey("HF_HOME") ? Path.of(env.get("HF_HOME"))
                : Path.of(env.getOrDefault("XDG_CACHE_HOME", Path.of(System.getProperty("user.home"), ".cache").toString()), "huggingface");
        Path cache = env.containsKey("HF_HUB_CACHE") ? Path.of(env.get("HF_HUB_CACHE")) : home.resolve("hub");
        String token = env.get("HF_TOKEN");
        if (token == null) {
            try {
                Path file = home.resolve("token");
                token = Files.isRegularFile(file) ? Files.readString(file).trim() : null;
            } catch (IOException e) {
                token = null;
            }
        }
        boolean offline = Set.of("1", "true", "yes").contains(env.getOrDefault("HF_HUB_OFFLINE", "").toLowerCase(Locale.ROOT));
        return new HubDownloader(URI.create(env.getOrDefault("HF_ENDPOINT", "https://huggingface.co")), token, cache, offline, log);
    }

    public static boolean isRepoId(String s) {
        return REPO_ID.matcher(s).matches() && !s.contains("..");
    }

    /** The cache folder of {@code repoId}: {@code models--org--name}. */
    public Path repoFolder(String repoId) {
        return cache.resolve("models--" + repoId.replace("/", "--"));
    }

    /** Whether the engine needs {@code path} of a diffusers repository. */
    static boolean wanted(String path) {
        if (path.equals("model_index.json")) {
            return true;
        }
        int slash = path.indexOf('/');
        if (slash < 0 || !COMPONENTS.contains(path.substring(0, slash))) {
            return false;
        }
        String lower = path.toLowerCase(Locale.ROOT);
        return SKIPPED_SUFFIXES.stream().noneMatch(lower::endsWith) && !VARIANT.matcher(lower).matches();
    }

    /**
     * Makes sure the snapshot of {@code repoId} at {@code revision} holds the files the engine
     * needs and returns its folder. Files already in the cache are not fetched again; offline, a
     * complete cached snapshot is used as it is.
     */
    public Path download(String repoId, String revision) throws IOException, InterruptedException {
        if (!isRepoId(repoId)) {
            throw new IllegalArgumentException("not a hub model id (org/name): " + repoId);
        }
        Path repo = repoFolder(repoId);
        JsonNode info;
        if (offline) {
            return cached(repoId, revision, "HF_HUB_OFFLINE is set");
        }
        try {
            info = revisionInfo(repoId, revision);
        } catch (java.net.ConnectException | java.net.http.HttpConnectTimeoutException | java.nio.channels.UnresolvedAddressException e) {
            return cached(repoId, revision, "the hub at " + endpoint + " is unreachable (" + e + ")");
        }
        String commit = info.path("sha").asText(null);
        if (commit == null || !commit.matches("[0-9a-zA-Z]+")) {
            throw new IOException("the hub's answer for " + repoId + "@" + revision + " has no commit (sha)");
        }
        List<String> files = new ArrayList<>();
        info.path("siblings").forEach(s -> {
            String name = s.path("rfilename").asText("");
            if (wanted(name)) {
                files.add(name);
            }
        });
        if (!files.contains("model_index.json")) {
            throw new IOException(repoId + " is not a diffusers pipeline (no model_index.json at " + revision + ")");
        }
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        int fetched = 0;
        for (String file : files) {
            if (fetch(repoId, commit, file, repo, snapshot)) {
                fetched++;
            }
        }
        Files.createDirectories(repo.resolve("refs"));
        if (!revision.equals(commit)) {
            Files.writeString(repo.resolve("refs").resolve(revision), commit);
        }
        log.printf(Locale.ROOT, "hub: %s@%s (%s): %d file(s) in %s, %d downloaded%n", repoId, revision, commit.substring(0, Math.min(12, commit.length())),
                files.size(), snapshot, fetched);
        return snapshot;
    }

    private Path cached(String repoId, String revision, String why) throws IOException {
        Path repo = repoFolder(repoId);
        Path ref = repo.resolve("refs").resolve(revision);
        String commit = Files.isRegularFile(ref) ? Files.readString(ref).trim() : revision;
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        if (!Files.isRegularFile(snapshot.resolve("model_index.json"))) {
            throw new IOException(why + ", and " + repoId + "@" + revision + " is not in the cache " + cache);
        }
        log.println("hub: " + why + "; using the cached snapshot " + snapshot);
        return snapshot;
    }

    private JsonNode revisionInfo(String repoId, String revision) throws IOException, InterruptedException {
        URI uri = endpoint.resolve("api/models/" + repoId + "/revision/" + URLEncoder.encode(revision, StandardCharsets.UTF_8));
        HttpResponse<String> r = send(uri, "GET", null, HttpResponse.BodyHandlers.ofString(), true);
        check(r, repoId, revision);
        return JSON.readTree(r.body());
    }

    /** Fetches one file into blobs/ and links it from the snapshot; false when it was there already. */
    private boolean fetch(String repoId, String commit, String file, Path repo, Path snapshot) throws IOException, InterruptedException {
        Path link = snapshot.resolve(file).normalize();
        if (!link.startsWith(snapshot)) {
            throw new IOException("refusing a file outside the snapshot: " + file);
        }
        if (Files.exists(link)) { // follows the link: the blob is there
            return false;
        }
        // 1. metadata: the blob's name (etag) and size, from the hub (not the CDN it redirects to)
        URI resolve = endpoint.resolve(repoId + "/resolve/" + commit + "/" + encodePath(file));
        HttpResponse<Void> head = send(resolve, "HEAD", null, HttpResponse.BodyHandlers.discarding(), true);
        int hops = 0;
        while (isRedirect(head.statusCode()) && relative(head) && hops++ < 5) {
            resolve = resolve.resolve(head.headers().firstValue("Location").orElseThrow());
            head = send(resolve, "HEAD", null, HttpResponse.BodyHandlers.discarding(), true);
        }
        if (!isRedirect(head.statusCode())) {
            check(head, repoId, commit + " file " + file);
        }
        String etag = etag(head.headers()).orElseThrow(() -> new IOException("the hub sent no ETag for " + file));
        long size = head.headers().firstValueAsLong("X-Linked-Size").orElse(
                isRedirect(head.statusCode()) ? -1 : head.headers().firstValueAsLong("Content-Length").orElse(-1));
        Path blob = repo.resolve("blobs").resolve(etag);
        Files.createDirectories(blob.getParent());
        boolean downloaded = false;
        if (!Files.isRegularFile(blob)) {
            // 2. the content, resumed from an earlier partial download
            downloadBlob(resolve, file, blob, size, etag);
            downloaded = true;
        }
        // 3. the snapshot's relative symlink
        Files.createDirectories(link.getParent());
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, link.getParent().relativize(blob));
        return downloaded;
    }

    private void downloadBlob(URI uri, String file, Path blob, long size, String etag) throws IOException, InterruptedException {
        Path incomplete = blob.resolveSibling(blob.getFileName() + ".incomplete");
        long have = Files.isRegularFile(incomplete) ? Files.size(incomplete) : 0;
        URI target = uri;
        boolean toHub = true;
        HttpResponse<InputStream> r;
        int hops = 0;
        while (true) {
            String range = have > 0 ? "bytes=" + have + "-" : null;
            r = send(target, "GET", range, HttpResponse.BodyHandlers.ofInputStream(), toHub);
            if (!isRedirect(r.statusCode())) {
                break;
            }
            r.body().close();
            if (hops++ > 5) {
                throw new IOException("too many redirects for " + file);
            }
            URI next = target.resolve(r.headers().firstValue("Location").orElseThrow(() -> new IOException("redirect without Location")));
            toHub = sameHost(next, endpoint);
            target = next;
        }
        boolean append;
        if (r.statusCode() == 206) {
            append = true;
        } else if (r.statusCode() == 200) {
            append = false;
            have = 0;
        } else if (r.statusCode() == 416 && size >= 0 && have == size) {
            r.body().close();
            append = true;
        } else {
            String body = new String(r.body().readAllBytes(), StandardCharsets.UTF_8);
            throw new IOException("downloading " + file + " failed: " + r.statusCode() + " " + body);
        }
        if (have > 0 && append) {
            log.printf(Locale.ROOT, "hub: resuming %s at %s%n", file, bytes(have));
        }
        long total = size >= 0 ? size : have + r.headers().firstValueAsLong("Content-Length").orElse(-1);
        long done = have;
        long lastReport = System.nanoTime();
        try (InputStream in = r.body();
             OutputStream out = Files.newOutputStream(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                done += n;
                if (System.nanoTime() - lastReport > 1_000_000_000L) {
                    lastReport = System.nanoTime();
                    log.printf(Locale.ROOT, "hub: %-50s %s / %s%n", file, bytes(done), total < 0 ? "?" : bytes(total));
                }
            }
        }
        long got = Files.size(incomplete);
        if (size >= 0 && got != size) {
            throw new IOException("downloading " + file + ": got " + got + " bytes of " + size + "; run again to resume");
        }
        if (etag.matches("[0-9a-f]{64}")) { // an LFS file's etag is its SHA-256
            String sha = sha256(incomplete);
            if (!sha.equals(etag)) {
                Files.delete(incomplete);
                throw new IOException("downloading " + file + ": SHA-256 " + sha + " does not match the hub's " + etag);
            }
        }
        Files.move(incomplete, blob, StandardCopyOption.ATOMIC_MOVE);
        log.printf(Locale.ROOT, "hub: %-50s %s%n", file, bytes(got));
    }

    private <T> HttpResponse<T> send(URI uri, String method, String range, HttpResponse.BodyHandler<T> handler, boolean toHub)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10))
                .header("User-Agent", "s2edit-hub-downloader")
                .header("Accept-Encoding", "identity")
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null && toHub) {
            b.header("Authorization", "Bearer " + token);
        }
        if (range != null) {
            b.header("Range", range);
        }
        return http.send(b.build(), handler);
    }

    private static void check(HttpResponse<?> r, String repoId, String what) throws IOException {
        int s = r.statusCode();
        if (s / 100 == 2) {
            return;
        }
        if (s == 401 || s == 403) {
            throw new IOException("the hub refused " + repoId + " (" + s + "): set HF_TOKEN to a token that may read it"
                    + " (for a gated model, accept its licence on the model page first)");
        }
        if (s == 404) {
            throw new IOException("the hub has no " + repoId + " at " + what + " (404)");
        }
        throw new IOException("the hub answered " + s + " for " + repoId + " at " + what);
    }

    private static Optional<String> etag(HttpHeaders h) {
        return h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag"))
                .map(e -> e.replaceFirst("^W/", "").replace("\"", "").trim())
                .filter(e -> e.matches("[A-Za-z0-9._-]+"));
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean relative(HttpResponse<?> r) {
        return r.headers().firstValue("Location").map(l -> !URI.create(l).isAbsolute()).orElse(false);
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort()
                && a.getScheme().equalsIgnoreCase(b.getScheme());
    }

    private static String encodePath(String path) {
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) {
            parts.add(URLEncoder.encode(p, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return String.join("/", parts);
    }

    private static String sha256(Path file) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String bytes(long n) {
        return n >= 1 << 20 ? String.format(Locale.ROOT, "%.1f MiB", n / 1048576.0) : String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
    }
}
